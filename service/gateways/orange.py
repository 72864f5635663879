"""Orange's SMS API (Orange Developer, "SMS Africa & Middle East"): sending, its delivery receipts and
incoming SMS, and the `gateways subscribe` command. The only module that knows Orange's OAuth2 token, its
OneAPI JSON and its error codes; its local compatible server is `service/devtools/orange_server.py`
(`make orange-server`).

A token is fetched with the client credentials, kept by the adapter (one per worker process, shared by its
jobs), renewed a minute before it expires, and fetched again once when Orange answers 401 before the send
is tried a second time. Orange's receipts carry only the message's resource id, the last segment of the
`resourceURL` of the 201 answer: that is the id Jigi keeps.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import click
import requests
from flask import Blueprint, Response, request
from flask.cli import with_appcontext

from service.cli import fail
from service.config import Settings, get_settings
from service.gateways.callbacks import plain, receive, store_report
from service.gateways.port import (
    RETRY_LATER_STATUSES,
    Outcome,
    Outgoing,
    SendResult,
    http_session,
    transport_failure,
)
from service.i18n import _
from service.inbox.replies import InboundSms, gateway_time
from service.models import MessageStatus
from service.timeutil import utcnow
from service.webhook_auth import require_callback_token

log = logging.getLogger(__name__)
bp = Blueprint("orange", __name__)
NAME = "orange"
LABEL = _("Orange")  # as the console names it
# Variables that must be set when SMS_GATEWAY includes Orange.
REQUIRED = ("ORANGE_CLIENT_ID", "ORANGE_CLIENT_SECRET")

TOKEN_PATH = "/oauth/v3/token"
OUTBOUND_PATH = "/smsmessaging/v1/outbound/{sender}/requests"
SUBSCRIPTIONS_PATH = "/smsmessaging/v1/outbound/{sender}/subscriptions"
# A token is renewed this long before Orange says it expires, so that no send meets its expiry.
TOKEN_MARGIN_SECONDS = 60
# Orange's gateway codes in a 401 body: the token is missing, invalid or expired.
TOKEN_CODES = {40: "Missing credentials", 41: "Invalid credentials", 42: "Expired credentials"}
# OneAPI exception ids (`requestError.serviceException` / `policyException`) that are not permanent;
# every other SVC… or POL… id refuses this message for good.
EXCEPTION_OUTCOMES: dict[str, Outcome] = {
    "SVC0001": Outcome.TRANSIENT,  # "A service error occurred": Orange's side, try again
    "POL0001": Outcome.PERMANENT,  # policy error (e.g. a destination not allowed by the contract)
}
# A receipt's `deliveryStatus` -> the row status it means (DeliveredToTerminal is final).
DELIVERY_STATUSES = {
    "DeliveredToNetwork": MessageStatus.SENT,
    "MessageWaiting": MessageStatus.SENT,
    "DeliveryUncertain": MessageStatus.SENT,
    "DeliveredToTerminal": MessageStatus.DELIVERED,
    "DeliveryImpossible": MessageStatus.FAILED,
}


@dataclass
class Token:
    value: str
    expires_at: float  # time.monotonic()


class OrangeGateway:
    """Sends one SMS per request through Orange's SMS API and classifies the answer."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.base = settings.orange_api_url.rstrip("/")
        self.client_id = settings.orange_client_id
        self.client_secret = settings.orange_client_secret
        self.sender_address = settings.orange_sender_address
        self.sender_name = settings.orange_sender_name
        self.timeout = settings.at_timeout_seconds
        self.http = http_session(self.base)
        self._token: Token | None = None
        self._token_lock = threading.Lock()

    # --- sending -------------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> SendResult:
        recipient, text = message.recipient, message.text
        token = self._valid_token()
        if isinstance(token, SendResult):
            return token
        answer = self._post_message(token, recipient, text)
        if isinstance(answer, requests.Response) and answer.status_code == 401:
            log.info("Orange refused the token (%s); fetching a new one", _token_code(answer))
            self._forget(token)
            token = self._valid_token()
            if isinstance(token, SendResult):
                return token
            answer = self._post_message(token, recipient, text)
        if isinstance(answer, SendResult):
            return answer
        return classify_answer(answer)

    def _post_message(self, token: str, recipient: str, text: str) -> requests.Response | SendResult:
        request: dict[str, Any] = {
            "address": f"tel:{recipient}",
            "senderAddress": self.sender_address,
            "outboundSMSTextMessage": {"message": text},
        }
        if self.sender_name:
            request["senderName"] = self.sender_name
        url = self.base + OUTBOUND_PATH.format(sender=quote(self.sender_address, safe=""))
        headers = {"Authorization": f"Bearer {token}"}
        return self._call("POST", url, json={"outboundSMSMessageRequest": request}, headers=headers)

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response | SendResult:
        """One HTTP call; a failure to reach Orange is TRANSIENT, an answer lost after sending UNKNOWN."""
        try:
            return self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            return transport_failure(error, self.timeout)

    # --- the OAuth2 token ----------------------------------------------------------------------------

    def _valid_token(self) -> str | SendResult:
        """The kept token, or a new one; a SendResult when none can be had (nothing was sent)."""
        with self._token_lock:
            if self._token is not None and time.monotonic() < self._token.expires_at:
                return self._token.value
            answer = self._call(
                "POST",
                self.base + TOKEN_PATH,
                auth=(self.client_id, self.client_secret),
                data={"grant_type": "client_credentials"},
                headers={"Accept": "application/json"},
            )
            if isinstance(answer, SendResult):  # no token, so no message left: resending is safe
                return SendResult(Outcome.TRANSIENT, reason=f"token: {answer.reason}")
            token = parse_token(answer)
            if isinstance(token, SendResult):
                return token
            self._token = token
            return token.value

    def _forget(self, value: str) -> None:
        with self._token_lock:
            if self._token is not None and self._token.value == value:
                self._token = None

    # --- delivery-receipt subscription ---------------------------------------------------------------

    def subscribe(self, notify_url: str) -> dict[str, Any]:
        """Ask Orange to post delivery receipts to `notify_url`; return Orange's answer."""
        token = self._valid_token()
        if isinstance(token, SendResult):
            raise RuntimeError(f"no Orange token: {token.reason}")
        url = self.base + SUBSCRIPTIONS_PATH.format(sender=quote(self.sender_address, safe=""))
        body = {
            "deliveryReceiptSubscription": {
                "callbackReference": {"notifyURL": notify_url, "callbackData": "jigi"},
            }
        }
        answer = self._call("POST", url, json=body, headers={"Authorization": f"Bearer {token}"})
        if isinstance(answer, SendResult):
            raise RuntimeError(f"Orange could not be reached: {answer.reason}")
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"Orange refused the subscription: {answer.status_code} {answer.text[:300]}")
        return answer.json()


def parse_token(answer: requests.Response) -> Token | SendResult:
    """Orange's token answer; `expires_in` comes as a JSON string on Orange's pages, a number elsewhere."""
    if answer.status_code in (400, 401, 403):
        return SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"Orange refused the client credentials ({answer.status_code} {_token_code(answer)}): "
            "check ORANGE_CLIENT_ID and ORANGE_CLIENT_SECRET",
        )
    if answer.status_code != 200:
        return SendResult(Outcome.TRANSIENT, reason=f"token: Orange answered {answer.status_code}")
    try:
        body = answer.json()
        lifetime = float(body.get("expires_in", 3600))
        value = str(body["access_token"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return SendResult(Outcome.TRANSIENT, reason=f"token: unreadable answer {answer.text[:200]}")
    return Token(value, time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS))


def classify_answer(answer: requests.Response) -> SendResult:
    """What Orange's answer to one send means for the row."""
    if answer.status_code == 201:
        try:
            resource = answer.json()["outboundSMSMessageRequest"]["resourceURL"]
        except (ValueError, KeyError, TypeError):
            return SendResult(Outcome.UNKNOWN, reason=f"201 without a resourceURL: {answer.text[:200]}")
        return SendResult(Outcome.ACCEPTED, message_id=resource.rstrip("/").rsplit("/", 1)[-1], reason="201")
    if answer.status_code == 401:
        return SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"Orange refused a fresh token ({_token_code(answer)}): check the Orange application",
        )
    exception_id, text = _request_error(answer)
    if exception_id is not None:
        outcome = EXCEPTION_OUTCOMES.get(exception_id, Outcome.PERMANENT)
        if answer.status_code in RETRY_LATER_STATUSES:
            outcome = Outcome.TRANSIENT
        return SendResult(outcome, reason=f"{answer.status_code} {exception_id} {text}".strip())
    if answer.status_code in RETRY_LATER_STATUSES:
        return SendResult(Outcome.TRANSIENT, reason=f"Orange answered {answer.status_code}")
    if answer.status_code == 403:
        return SendResult(Outcome.CONFIG_ERROR, reason=f"Orange forbids sending: {answer.text[:200]}")
    return SendResult(Outcome.PERMANENT, reason=f"Orange answered {answer.status_code}: {answer.text[:200]}")


def _request_error(answer: requests.Response) -> tuple[str | None, str]:
    """The OneAPI exception id and text of an error answer, if it has one."""
    try:
        error = answer.json()["requestError"]
        exception = error.get("serviceException") or error.get("policyException") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, ""
    text = str(exception.get("text", ""))
    for index, value in enumerate(exception.get("variables") or [], start=1):
        text = text.replace(f"%{index}", str(value))
    return exception.get("messageId"), text


def _token_code(answer: requests.Response) -> str:
    try:
        code = int(answer.json().get("code"))
    except (ValueError, TypeError, AttributeError):
        return "no code"
    return f"{code} {TOKEN_CODES.get(code, 'unknown code')}"


# --- callbacks ----------------------------------------------------------------------------------------

ID_LIMIT, SENDER_LIMIT = 64, 20


@bp.post("/gateways/orange/delivery")
@require_callback_token
def receipt() -> Response:
    """Orange's `deliveryInfoNotification`; `callbackData` is the message's resource id."""
    body: Any = request.get_json(silent=True)
    try:
        notification = body["deliveryInfoNotification"]
        message_id, status = notification["callbackData"], notification["deliveryInfo"]["deliveryStatus"]
    except (KeyError, TypeError):
        return plain("Bad delivery receipt: not a deliveryInfoNotification\n", 400)
    if not isinstance(message_id, str) or not isinstance(status, str):
        return plain("Bad delivery receipt: callbackData and deliveryStatus must be text\n", 400)
    reason = status if status == "DeliveryImpossible" else None
    return store_report(DELIVERY_STATUSES, message_id, status, reason)


@bp.post("/gateways/orange/inbound")
@require_callback_token
def inbound_sms() -> Response:
    """Orange's `inboundSMSMessageNotification`: the same reply handling as Africa's Talking's."""
    body: Any = request.get_json(silent=True)
    try:
        message = body["inboundSMSMessageNotification"]["inboundSMSMessage"]
        fields = {name: message[name] for name in ("messageId", "message", "senderAddress")}
    except (KeyError, TypeError):
        return plain("not an inboundSMSMessageNotification with messageId, message, senderAddress", 400)
    if not all(isinstance(value, str) for value in fields.values()) or not fields["messageId"].strip():
        return plain("messageId, message and senderAddress must be text", 400)
    message_id = f"orange:{fields['messageId'].strip()}"  # kept apart from Africa's Talking's ids
    sender = fields["senderAddress"].strip().removeprefix("tel:")
    if len(message_id) > ID_LIMIT or len(sender) > SENDER_LIMIT:
        return plain("too long: messageId or senderAddress", 400)
    to = message.get("destinationAddress")
    sms = InboundSms(
        at_id=message_id,
        sender=sender,
        text=fields["message"],
        to=to.removeprefix("tel:")[:20] if isinstance(to, str) and to else None,
        sent_at=gateway_time(message.get("dateTime"), utcnow()),
    )
    return receive(sms)


# --- command ------------------------------------------------------------------------------------------


@click.command("subscribe")
@with_appcontext
def subscribe_command() -> None:
    """Ask Orange to post delivery receipts to PUBLIC_URL (SMS_GATEWAY=orange)."""
    settings = get_settings()
    if not settings.public_url:
        fail("set PUBLIC_URL to the https:// address at which Orange reaches Jigi")
    notify_url = f"{settings.public_url}/gateways/orange/delivery?token={settings.at_callback_token}"
    try:
        OrangeGateway(settings).subscribe(notify_url)
    except (RuntimeError, requests.RequestException) as error:
        fail(str(error))
    click.echo(f"Orange will post delivery receipts to {settings.public_url}/gateways/orange/delivery.")
