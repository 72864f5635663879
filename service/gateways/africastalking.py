"""Africa's Talking: SMS sent through its SDK on one keep-alive session, its status codes, and its SMS
callbacks (delivery reports, incoming SMS, bulk opt-outs); voice calls placed through its voice API, and
the voice callback that answers each step of a call in AT's XML. The only module that knows AT's SMS and
voice APIs; its local compatible servers are `service/devtools/at_server.py` (`make at-server`) and
`service/devtools/at_voice_server.py` (`make at-voice-server`). The USSD callback is the USSD edge's
(`service/ussd/views.py`).

The SDK raises `AfricasTalkingException` (the body only, no status code) for a non-2xx answer and lets
`requests` errors through. A read timeout or a connection cut after the request left is ambiguous: AT may
have taken the message, so it is classified UNKNOWN and never resent (see docs/sms.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import requests
from africastalking.Service import AfricasTalkingException, validate_phone
from africastalking.SMS import SMSService
from flask import Blueprint, Response, request

from service.care.patients import opt_out
from service.config import Settings, get_settings
from service.db import get_db
from service.gateways.callbacks import plain, receive, store_report
from service.gateways.port import Outcome, Outgoing, OutgoingCall, SendResult, http_session, transport_failure
from service.i18n import _
from service.inbox.replies import InboundSms, gateway_time
from service.models import MessageStatus
from service.phones import InvalidPhone
from service.timeutil import utcnow
from service.voice import flow
from service.voice.callbacks import MAX_SESSION_ID, CallStep, answer_step, call_ended, seconds_of
from service.voice.calls import CallEnd
from service.voice.flow import Step
from service.webhook_auth import require_callback_token

log = logging.getLogger(__name__)
bp = Blueprint("africastalking", __name__)
NAME = "africastalking"
LABEL = _("Africa's Talking")  # as the console names it
# Variables that must be set when SMS_GATEWAY includes Africa's Talking, and when VOICE_GATEWAY is it
# (AT fetches the recordings and posts each step of a call at PUBLIC_URL).
REQUIRED = ("AT_API_KEY",)
VOICE_REQUIRED = ("AT_API_KEY", "AT_VOICE_NUMBER", "PUBLIC_URL")

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
# A delivery report's `status` -> the row status it means.
REPORT_STATUSES = {
    "Sent": MessageStatus.SENT,
    "Submitted": MessageStatus.SENT,
    "Buffered": MessageStatus.SENT,
    "Success": MessageStatus.DELIVERED,
    "Failed": MessageStatus.FAILED,
    "Rejected": MessageStatus.FAILED,
    "Expired": MessageStatus.FAILED,
}
# The recipient's `status` text AT gives with an accepted code (the code's name is given otherwise).
ACCEPTED_STATUS = "Success"
# AT's body for HTTP 401; the SDK gives us nothing else to recognise bad credentials by.
BAD_CREDENTIALS_TEXT = "authentication is invalid"


class KeptAliveSMS(SMSService):
    """The SDK's SMS service with its requests on one keep-alive session. The SDK itself posts each
    message through a new session: a new connection pool, the environment's proxy settings read again and,
    on AT's HTTPS API, a new connection and TLS handshake per message. Everything else is the SDK's: the
    number check, the form, the answer's parsing."""

    def __init__(self, username: str, api_key: str, base_url: str | None) -> None:
        super().__init__(username, api_key)
        if base_url:
            self._baseUrl = base_url + "/version1"
        self.http = http_session(self._baseUrl)

    def _make_request(
        self, url: str, method: str, headers: dict, data: Any, params: Any, **options: Any
    ) -> Any:
        """The SDK's own answer handling (a 2xx's JSON or text, else its exception with the body), on the
        kept session, for a POST without a callback (all `send` does); anything else as the SDK does it."""
        if method != "POST" or options.get("callback") is not None:
            return super()._make_request(url, method, headers, data, params, **options)
        answer = self.http.post(url, headers=headers, data=data, params=params, timeout=options["timeout"])
        if not 200 <= answer.status_code < 300:
            raise AfricasTalkingException(answer.text)
        return answer.json() if answer.headers.get("content-type") == "application/json" else answer.text


class AfricasTalkingGateway:
    """Sends through the `africastalking` SDK and classifies the answer: one text to one number, or to
    several numbers in one request (`send_group`), each number with its own answer."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.service = KeptAliveSMS(settings.at_username, settings.at_api_key, settings.at_api_url)
        self.sender_id = settings.at_sender_id
        self.timeout = settings.at_timeout_seconds

    def send(self, message: Outgoing) -> SendResult:
        return self.send_group([message])[0]

    def groups(self) -> bool:
        return True

    def send_group(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        """The first message's text to every message's number (all different), in one request. A number
        the SDK would refuse fails alone; an answer about the whole request (an HTTP error, a timeout, no
        recipients) is every message's."""
        refused = {
            position: SendResult(Outcome.PERMANENT, reason=f"Invalid phone number: {message.recipient}")
            for position, message in enumerate(messages)
            if not validate_phone(message.recipient)
        }
        numbers = [message.recipient for position, message in enumerate(messages) if position not in refused]
        answers = iter(self._request(messages[0].text, numbers) if numbers else [])
        return [refused.get(position) or next(answers) for position in range(len(messages))]

    def _request(self, text: str, numbers: list[str]) -> list[SendResult]:
        try:
            reply = self.service.send(text, numbers, sender_id=self.sender_id, timeout=self.timeout)
        except ValueError as error:  # the SDK's own check of the numbers, done above already
            return [SendResult(Outcome.PERMANENT, reason=str(error))] * len(numbers)
        except AfricasTalkingException as error:
            return [classify_http_error(str(error))] * len(numbers)
        except requests.RequestException as error:
            return [transport_failure(error, self.timeout)] * len(numbers)
        return classify_reply(reply, numbers)


def classify_http_error(body: str) -> SendResult:
    """A non-2xx answer: bad credentials are a configuration error, anything else is retried."""
    if BAD_CREDENTIALS_TEXT in body.lower():
        return SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"Africa's Talking refused the credentials: {body.strip()} "
            "(check AT_USERNAME and AT_API_KEY)",
        )
    return SendResult(Outcome.TRANSIENT, reason=f"Africa's Talking answered an error: {body.strip()[:200]}")


def classify_reply(reply: Any, numbers: list[str]) -> list[SendResult]:
    """Each number's answer in a 2xx reply (parsed only if it was application/json), found by its
    `number`: AT does not promise the order. A number the reply leaves out may have been sent: UNKNOWN."""
    if not isinstance(reply, dict):
        unreadable = SendResult(Outcome.UNKNOWN, reason=f"2xx answer that is not JSON: {str(reply)[:200]}")
        return [unreadable] * len(numbers)
    data = reply.get("SMSMessageData") or {}
    recipients = data.get("Recipients") or []
    if not recipients:
        message = data.get("Message") or "no recipients in the answer"
        result = SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"Africa's Talking sent nothing: {message} "
            "(check AT_SENDER_ID, AT_USERNAME and AT_API_KEY)",
        )
        return [result] * len(numbers)
    by_number = {entry.get("number"): entry for entry in recipients if isinstance(entry, dict)}
    if len(numbers) == 1 and numbers[0] not in by_number:
        by_number[numbers[0]] = recipients[0]  # one number asked, one answer: it is that number's
    missing = SendResult(Outcome.UNKNOWN, reason="the answer does not name this number")
    return [classify_recipient(by_number[number]) if number in by_number else missing for number in numbers]


def classify_recipient(entry: dict[str, Any]) -> SendResult:
    """Decide on one recipient's `statusCode`."""
    try:
        code = int(entry["statusCode"])
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


# --- callbacks ----------------------------------------------------------------------------------------

INBOUND_REQUIRED = ("from", "to", "id", "text")
INBOUND_LIMITS = {"id": 64, "from": 20}


@bp.post("/at/sms/delivery")
@require_callback_token
def delivery_report() -> Response:
    """AT's form POST about one message."""
    form = request.form
    return store_report(
        REPORT_STATUSES, form.get("id", ""), form.get("status", ""), form.get("failureReason")
    )


@bp.post("/at/sms/inbound")
@require_callback_token
def inbound_sms() -> Response:
    """Store and act on an incoming SMS once; a retry of the same AT id answers 200 and does nothing."""
    form = request.form
    missing = [
        name for name in INBOUND_REQUIRED if name not in form or (name != "text" and not form[name].strip())
    ]
    if missing:
        return plain(f"missing {', '.join(missing)}", 400)
    too_long = [name for name, limit in INBOUND_LIMITS.items() if len(form[name].strip()) > limit]
    if too_long:
        return plain(f"too long: {', '.join(too_long)}", 400)
    sms = InboundSms(
        at_id=form["id"].strip(),
        sender=form["from"].strip(),
        text=form["text"],
        to=form.get("to", "").strip()[:20] or None,
        link_id=form.get("linkId", "").strip()[:64] or None,
        sent_at=gateway_time(form.get("date"), utcnow()),
    )
    return receive(sms)


@bp.post("/at/sms/optout")
@require_callback_token
def bulk_optout() -> Response:
    """AT stopped sending to this number: opt its patients out, without a confirmation SMS AT would block."""
    phone = request.form.get("phoneNumber", "")
    try:
        with get_db().session() as session:
            opt_out(session, phone, source=NAME, confirm=False)
    except InvalidPhone as error:
        return plain(f"phoneNumber: {error}", 400)
    return plain("ok")


# --- voice ------------------------------------------------------------------------------------------

# The `status` of an entry of AT's answer to POST /call, and what it means for the row.
CALL_STATUSES = {
    "Queued": Outcome.ACCEPTED,
    "InvalidPhoneNumber": Outcome.PERMANENT,
    "DestinationNotSupported": Outcome.PERMANENT,
    "InsufficientCredit": Outcome.INSUFFICIENT_BALANCE,
}
# The last callback's `hangupCause`, and how the call ended; any other cause counts as not reached.
HANGUP_CAUSES = {
    "NORMAL_CLEARING": CallEnd.ANSWERED,
    "NO_ANSWER": CallEnd.UNREACHED,
    "USER_BUSY": CallEnd.UNREACHED,
    "SUBSCRIBER_ABSENT": CallEnd.UNREACHED,
    "CALL_REJECTED": CallEnd.UNREACHED,
    "NORMAL_TEMPORARY_FAILURE": CallEnd.UNREACHED,
    "RECOVERY_ON_TIMER_EXPIRE": CallEnd.UNREACHED,
    "NO_USER_RESPONSE": CallEnd.UNREACHED,
    "UNALLOCATED_NUMBER": CallEnd.UNREACHABLE,
    "INVALID_NUMBER_FORMAT": CallEnd.UNREACHABLE,
}
GATHER_TIMEOUT_SECONDS = 15


class AfricasTalkingVoice:
    """Places one call per request with AT's voice API. Plain HTTP, not the SDK: the SDK's `call` sends
    no `clientRequestId`, which AT gives back on every step of the call and which finds its row."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.url = settings.at_voice_api_url.rstrip("/") + "/call"
        self.username, self.api_key = settings.at_username, settings.at_api_key
        self.number = settings.at_voice_number or ""
        self.timeout = settings.at_timeout_seconds
        self.http = http_session(self.url)

    def call(self, call: OutgoingCall) -> SendResult:
        form = {"username": self.username, "from": self.number, "to": call.recipient}
        form["clientRequestId"] = call.reference
        headers = {"apiKey": self.api_key, "Accept": "application/json"}
        try:
            answer = self.http.post(self.url, data=form, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            return transport_failure(error, self.timeout)
        return classify_call(answer)


def classify_call(answer: requests.Response) -> SendResult:
    """What AT's answer to POST /call means for the row."""
    if answer.status_code in (401, 403):
        return SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"Africa's Talking refused the call ({answer.status_code}): check AT_USERNAME, AT_API_KEY "
            "and AT_VOICE_NUMBER",
        )
    if answer.status_code >= 500 or answer.status_code == 429:
        return SendResult(Outcome.TRANSIENT, reason=f"Africa's Talking answered {answer.status_code}")
    try:
        body = answer.json()
        entry = (body.get("entries") or [{}])[0]
    except (ValueError, AttributeError, IndexError):
        return SendResult(
            Outcome.UNKNOWN, reason=f"unreadable answer {answer.status_code}: {answer.text[:200]}"
        )
    status, error = entry.get("status"), body.get("errorMessage")
    if not status:
        return SendResult(Outcome.CONFIG_ERROR, reason=f"Africa's Talking placed no call: {error}")
    outcome = CALL_STATUSES.get(status, Outcome.PERMANENT)
    session_id = entry.get("sessionId") if outcome is Outcome.ACCEPTED else None
    if outcome is Outcome.ACCEPTED and not session_id:
        return SendResult(Outcome.UNKNOWN, reason="a queued call without a sessionId")
    return SendResult(outcome, message_id=session_id, reason=status)


@bp.post("/at/voice")
@require_callback_token
def voice_step() -> Response:
    """Every step of a call: what to play next, in AT's XML; the last post (isActive=0) says how it
    ended. A call Jigi does not know gets a neutral greeting; nothing well formed gets a 5xx."""
    form = request.form
    session_id = form.get("sessionId", "").strip()
    if not session_id or len(session_id) > MAX_SESSION_ID:
        return plain("missing or too long: sessionId", 400)
    settings = get_settings()
    step = CallStep(
        reference=form.get("clientRequestId", "") or request.args.get("call", ""),
        session_id=session_id,
        inbound=form.get("direction") == "Inbound",
        caller=form.get("callerNumber", ""),
        step=request.args.get("step", Step.START),
        digits=form.get("dtmfDigits", ""),
    )
    with get_db().session() as session:
        if form.get("isActive") == "0":
            cause = form.get("hangupCause", "")[:40]
            call_ended(
                session, settings, step, HANGUP_CAUSES.get(cause, CallEnd.UNREACHED), utcnow(),
                duration=seconds_of(form.get("durationInSeconds")),
                cost=form.get("amount", "")[:32] or None,
                currency=form.get("currencyCode", "")[:8] or None,
                cause=cause or None,
            )  # fmt: skip
            return _xml([], settings)
        row, instructions = answer_step(session, settings, step, utcnow())
        return _xml(instructions, settings, f"jigi-{row.id}" if row is not None else "")


def _xml(instructions: list[flow.Instruction], settings: Settings, reference: str = "") -> Response:
    """The instructions in AT's voice XML; each step's address names the call's row (`reference`), which
    an inbound call's later steps need (AT gives them no clientRequestId)."""
    root = ElementTree.Element("Response")

    def step_url(step: str) -> str:
        query = {"token": settings.at_callback_token, "step": step} | (
            {"call": reference} if reference else {}
        )
        return f"{settings.public_url or ''}/at/voice?" + urlencode(query)

    for instruction in instructions:
        if isinstance(instruction, flow.Play):
            ElementTree.SubElement(root, "Play", url=instruction.url)
        elif isinstance(instruction, flow.Gather):
            gather = ElementTree.SubElement(
                root,
                "GetDigits",
                timeout=str(GATHER_TIMEOUT_SECONDS),
                numDigits="1",
                callbackUrl=step_url(instruction.step),
            )
            for play in instruction.plays:
                ElementTree.SubElement(gather, "Play", url=play.url)
        elif isinstance(instruction, flow.Dial):
            ElementTree.SubElement(root, "Dial", phoneNumbers=instruction.number, record="false")
        else:
            ElementTree.SubElement(root, "Redirect").text = step_url(instruction.step)
    body = b'<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(root)
    return Response(body, 200, mimetype="application/xml")
