"""Africa's Talking adapter: the only module that knows AT's SDK, status codes and failure modes.

The SDK raises `AfricasTalkingException` (the body only, no status code) for a non-2xx answer and lets
`requests` errors through. A read timeout or a connection cut after the request left is ambiguous: AT may
have taken the message, so it is classified UNKNOWN and never resent (see docs/sms.md).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import africastalking
import requests
from africastalking.Service import AfricasTalkingException

from service.config import Settings
from service.sms.gateway import Outcome, Outgoing, SendResult, transport_failure

log = logging.getLogger(__name__)

# AT's per-recipient statusCode: its name in AT's documentation and what it means for the row. The one
# table of these codes: the local AT server (`service/devtools/at_server.py`) answers from it too.
STATUS_CODES: dict[int, tuple[str, Outcome]] = {
    100: ("Processed", Outcome.ACCEPTED),
    101: ("Sent", Outcome.ACCEPTED),
    102: ("Queued", Outcome.ACCEPTED),
    401: ("RiskHold", Outcome.PERMANENT),
    402: ("InvalidSenderId", Outcome.PERMANENT),
    403: ("InvalidPhoneNumber", Outcome.PERMANENT),
    404: ("UnsupportedNumberType", Outcome.PERMANENT),
    405: ("InsufficientBalance", Outcome.INSUFFICIENT_BALANCE),
    406: ("UserInBlacklist", Outcome.PERMANENT),
    407: ("CouldNotRoute", Outcome.PERMANENT),
    409: ("DoNotDisturbRejection", Outcome.PERMANENT),
    500: ("InternalServerError", Outcome.TRANSIENT),
    501: ("GatewayError", Outcome.TRANSIENT),
    502: ("RejectedByGateway", Outcome.TRANSIENT),
}
# The recipient's `status` text AT gives with an accepted code (the code's name is given otherwise).
ACCEPTED_STATUS = "Success"
# AT's body for HTTP 401; the SDK gives us nothing else to recognise bad credentials by.
BAD_CREDENTIALS_TEXT = "authentication is invalid"


class AfricasTalkingGateway:
    """Sends through the `africastalking` SDK, one recipient per request, and classifies the answer."""

    name = "africastalking"

    def __init__(self, settings: Settings) -> None:
        with warnings.catch_warnings():  # the SDK warns about its WhatsApp sandbox, which we do not use
            warnings.simplefilter("ignore", UserWarning)
            africastalking.initialize(settings.at_username, settings.at_api_key)
        self.service = africastalking.SMS
        if settings.at_api_url:
            self.service._baseUrl = settings.at_api_url + "/version1"
        self.sender_id = settings.at_sender_id
        self.timeout = settings.at_timeout_seconds

    def send(self, message: Outgoing) -> SendResult:
        try:
            reply = self.service.send(
                message.text, [message.recipient], sender_id=self.sender_id, timeout=self.timeout
            )
        except ValueError as error:  # the SDK's own check of the number
            return SendResult(Outcome.PERMANENT, reason=str(error))
        except AfricasTalkingException as error:
            return classify_http_error(str(error))
        except requests.RequestException as error:
            return transport_failure(error, self.timeout)
        return classify_reply(reply)


def classify_http_error(body: str) -> SendResult:
    """A non-2xx answer: bad credentials are a configuration error, anything else is retried."""
    if BAD_CREDENTIALS_TEXT in body.lower():
        return SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"Africa's Talking refused the credentials: {body.strip()} "
            "(check AT_USERNAME and AT_API_KEY)",
        )
    return SendResult(Outcome.TRANSIENT, reason=f"Africa's Talking answered an error: {body.strip()[:200]}")


def classify_reply(reply: Any) -> SendResult:
    """Decide on the recipient's `statusCode` in a 2xx reply (parsed only if it was application/json)."""
    if not isinstance(reply, dict):
        return SendResult(Outcome.UNKNOWN, reason=f"2xx answer that is not JSON: {str(reply)[:200]}")
    data = reply.get("SMSMessageData") or {}
    recipients = data.get("Recipients") or []
    if not recipients:
        message = data.get("Message") or "no recipients in the answer"
        return SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"Africa's Talking sent nothing: {message} "
            "(check AT_SENDER_ID, AT_USERNAME and AT_API_KEY)",
        )
    entry = recipients[0]
    try:
        code = int(entry.get("statusCode"))
    except (TypeError, ValueError):
        return SendResult(Outcome.UNKNOWN, reason=f"answer without a status code: {entry}")
    status = entry.get("status") or ""
    known = STATUS_CODES.get(code)
    if known is None:
        if code >= 500:
            return SendResult(Outcome.TRANSIENT, reason=f"{code} {status}".strip())
        log.warning("unexpected Africa's Talking status code %s (%s)", code, status)
        return SendResult(Outcome.PERMANENT, reason=f"{code} {status} (unexpected status code)")
    name, outcome = known
    if outcome is Outcome.ACCEPTED:
        return SendResult(outcome, message_id=entry.get("messageId"), cost=entry.get("cost"), reason=status)
    return SendResult(outcome, reason=f"{code} {status or name}")
