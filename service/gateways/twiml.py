"""TwiML voice: calls placed through Twilio's `Calls` resource and played in TwiML (`<Play>`, `<Gather>`,
`<Redirect>`), which Somleng (the open-source telco API an NGO can run itself, with a local operator's SIP
trunk) and SignalWire speak too. The only module that knows that API; its local compatible server is
`service/devtools/twiml_server.py` (`make twiml-server`).

Every request the provider sends is signed (`X-Twilio-Signature`: HMAC-SHA1 of the address it requested
and its sorted form fields, keyed with the account's auth token); an unsigned or wrongly signed one gets 403
and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlencode
from xml.etree import ElementTree

import requests
from flask import Blueprint, Response, request

from service.config import Settings, get_settings
from service.db import get_db
from service.gateways.callbacks import plain
from service.gateways.port import Outcome, OutgoingCall, SendResult, http_session, transport_failure
from service.i18n import _
from service.timeutil import utcnow
from service.voice import flow
from service.voice.callbacks import MAX_SESSION_ID, CallStep, answer_step, call_ended, seconds_of
from service.voice.calls import CallEnd

bp = Blueprint("twiml", __name__)
NAME = "twiml"
LABEL = _("TwiML (Twilio, Somleng, SignalWire)")  # as the console names it
REQUIRED: tuple[str, ...] = ()  # not an SMS gateway
# The provider fetches the recordings and each step of a call at PUBLIC_URL.
VOICE_REQUIRED = ("TWIML_ACCOUNT_SID", "TWIML_AUTH_TOKEN", "TWIML_NUMBER", "PUBLIC_URL")
SIGNATURE_HEADER = "X-Twilio-Signature"
RING_SECONDS = 30  # how long a call rings before it counts as not answered
GATHER_TIMEOUT_SECONDS = 15

# The `code` of an error answer to POST Calls, and what it means for the row; another 4xx code counts
# as PERMANENT (this call will never go), an unknown 5xx or 429 as TRANSIENT.
CALL_ERRORS = {
    20003: Outcome.CONFIG_ERROR,  # authentication failed
    20005: Outcome.CONFIG_ERROR,  # the account is not active (suspended, unpaid)
    20429: Outcome.TRANSIENT,  # too many requests
    21210: Outcome.CONFIG_ERROR,  # the From number is not the account's
    21212: Outcome.CONFIG_ERROR,  # the From number is not valid
    21211: Outcome.PERMANENT,  # the To number is not valid
    21214: Outcome.PERMANENT,  # the To number cannot be reached
    21215: Outcome.CONFIG_ERROR,  # calls to this country are not enabled on the account
    21216: Outcome.PERMANENT,  # the To number is blocked
}
# The `CallStatus` of the status callback, and how the call ended.
CALL_ENDS = {
    "completed": CallEnd.ANSWERED,
    "busy": CallEnd.UNREACHED,
    "no-answer": CallEnd.UNREACHED,
    "canceled": CallEnd.UNREACHED,
    "failed": CallEnd.UNREACHABLE,
}


def signature(auth_token: str, url: str, form: Iterable[tuple[str, str]]) -> str:
    """The X-Twilio-Signature of a request to `url` with these form fields."""
    signed = url + "".join(name + value for name, value in sorted(form))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def step_url(settings: Settings, reference: str, step: str = flow.Step.START) -> str:
    """Where the provider asks for a step of the call on row `reference`."""
    query = {"step": step} | ({"call": reference} if reference else {})
    return f"{settings.public_url or ''}/twiml/voice?" + urlencode(query)


class TwimlVoice:
    """Places one call per request with the provider's `Calls` resource; the call then asks
    `/twiml/voice` for each step, and its end comes to `/twiml/voice/status`."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        account = settings.twiml_account_sid or ""
        self.url = f"{settings.twiml_api_url.rstrip('/')}/2010-04-01/Accounts/{account}/Calls.json"
        self.auth = (account, settings.twiml_auth_token or "")
        self.number = settings.twiml_number or ""
        self.settings = settings
        self.timeout = settings.at_timeout_seconds
        self.http = http_session(self.url)

    def call(self, call: OutgoingCall) -> SendResult:
        status_url = f"{self.settings.public_url or ''}/twiml/voice/status?" + urlencode(
            {"call": call.reference}
        )
        form = {
            "To": call.recipient,
            "From": self.number,
            "Url": step_url(self.settings, call.reference),
            "Method": "POST",
            "StatusCallback": status_url,
            "StatusCallbackMethod": "POST",
            "Timeout": str(RING_SECONDS),
        }
        try:
            answer = self.http.post(self.url, data=form, auth=self.auth, timeout=self.timeout)
        except requests.RequestException as error:
            return transport_failure(error, self.timeout)
        return classify_call(answer)


def classify_call(answer: requests.Response) -> SendResult:
    """What the provider's answer to POST Calls means for the row."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if answer.status_code >= 500 or answer.status_code == 429:
            return SendResult(Outcome.TRANSIENT, reason=f"the voice provider answered {answer.status_code}")
        return SendResult(
            Outcome.UNKNOWN, reason=f"unreadable answer {answer.status_code}: {answer.text[:200]}"
        )
    if answer.status_code in (200, 201):
        sid = body.get("sid")
        if not isinstance(sid, str) or not sid:
            return SendResult(Outcome.UNKNOWN, reason="a call accepted without a sid")
        return SendResult(Outcome.ACCEPTED, message_id=sid[:64], reason=str(body.get("status", "queued")))
    code = body.get("code")
    default = (
        Outcome.TRANSIENT if answer.status_code >= 500 or answer.status_code == 429 else Outcome.PERMANENT
    )
    outcome = CALL_ERRORS.get(code, default) if isinstance(code, int) else default
    if answer.status_code == 401:
        outcome = Outcome.CONFIG_ERROR
    reason = f"{code or answer.status_code}: {str(body.get('message', ''))[:160]}"
    if outcome is Outcome.CONFIG_ERROR:
        reason += " (check TWIML_ACCOUNT_SID, TWIML_AUTH_TOKEN and TWIML_NUMBER)"
    return SendResult(outcome, reason=reason)


def _signed() -> bool:
    """Whether the request carries the signature of the address the provider requested (PUBLIC_URL and
    this path: behind a proxy the request's own host is not the one the provider signed)."""
    settings = get_settings()
    token = settings.twiml_auth_token or ""
    if not token:
        return False
    url = (settings.public_url or request.host_url.rstrip("/")) + request.full_path.rstrip("?")
    given = request.headers.get(SIGNATURE_HEADER, "")
    expected = signature(token, url, request.form.items(multi=True))
    return hmac.compare_digest(given.encode(), expected.encode())


def _call_step() -> CallStep | Response:
    """The step a request is about, or the 4xx answer for a request that is not one."""
    if not _signed():
        return plain("bad or missing signature", 403)
    session_id = request.form.get("CallSid", "").strip()
    if not session_id or len(session_id) > MAX_SESSION_ID:
        return plain("missing or too long: CallSid", 400)
    inbound = request.form.get("Direction") == "inbound"
    return CallStep(
        reference=request.args.get("call", ""),
        session_id=session_id,
        inbound=inbound,
        caller=request.form.get("From" if inbound else "To", ""),
        step=request.args.get("step", flow.Step.START),
        digits=request.form.get("Digits", ""),
    )


@bp.post("/twiml/voice")
def voice_step() -> Response:
    """Each step of a call (the call's `Url`, a Gather's `action`, a Redirect; the number's voice URL for
    a call to Jigi): what to play next, in TwiML."""
    step = _call_step()
    if isinstance(step, Response):
        return step
    settings = get_settings()
    with get_db().session() as session:
        row, instructions = answer_step(session, settings, step, utcnow())
        return _twiml(instructions, settings, f"jigi-{row.id}" if row is not None else "")


@bp.post("/twiml/voice/status")
def voice_status() -> Response:
    """The call's end (its StatusCallback; the number's status callback for a call to Jigi)."""
    step = _call_step()
    if isinstance(step, Response):
        return step
    status = request.form.get("CallStatus", "")[:20]
    if status not in CALL_ENDS:  # queued, ringing, in-progress: not the end yet
        return _twiml([], get_settings())
    with get_db().session() as session:
        call_ended(
            session, get_settings(), step, CALL_ENDS[status], utcnow(),
            duration=seconds_of(request.form.get("CallDuration")) if status == "completed" else 0,
            cause=status,
        )  # fmt: skip
    return _twiml([], get_settings())


def _twiml(instructions: list[flow.Instruction], settings: Settings, reference: str = "") -> Response:
    """The instructions in TwiML; each step's address names the call's row (`reference`)."""
    root = ElementTree.Element("Response")
    for instruction in instructions:
        if isinstance(instruction, flow.Play):
            ElementTree.SubElement(root, "Play").text = instruction.url
        elif isinstance(instruction, flow.Gather):
            gather = ElementTree.SubElement(
                root,
                "Gather",
                input="dtmf",
                numDigits="1",
                timeout=str(GATHER_TIMEOUT_SECONDS),
                action=step_url(settings, reference, instruction.step),
                method="POST",
            )
            for play in instruction.plays:
                ElementTree.SubElement(gather, "Play").text = play.url
        elif isinstance(instruction, flow.Dial):
            ElementTree.SubElement(root, "Dial").text = instruction.number
        else:
            redirect = ElementTree.SubElement(root, "Redirect", method="POST")
            redirect.text = step_url(settings, reference, instruction.step)
    body = b'<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(root)
    return Response(body, 200, mimetype="application/xml")
