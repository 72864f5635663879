"""The "SMS Gateway for Android" app (the open-source SMSGate): an Android phone with a local SIM sends
Jigi's SMS. Sending, the app's events and the `gateways register-webhooks` command: the only module that
knows the app's API; its local compatible server is `service/devtools/android_server.py`
(`make android-server`).

Jigi gives each message its own id (`jigi-<row id>`): the app answers 409 for an id it already has, so a
send repeated after a lost answer is recognised as already accepted. The app's events (sent, delivered,
failed, received) carry that id back to `POST /gateways/android/events`. That URL carries the callback
token; when ANDROID_GATEWAY_SIGNING_KEY is set, `X-Signature` must also be the hex HMAC-SHA256 of the body
followed by `X-Timestamp`, and the timestamp recent. The app retries an event until it gets a 2xx, and
`sms:delivered` comes once per part of a long SMS: a repeat changes nothing (reports are recorded once per
row and status, incoming SMS once per event id).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

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
bp = Blueprint("android", __name__)
NAME = "android"
LABEL = _("Téléphone Android")  # as the console names it
# Variables that must be set when SMS_GATEWAY includes the Android phone.
REQUIRED = ("ANDROID_GATEWAY_URL", "ANDROID_GATEWAY_USERNAME", "ANDROID_GATEWAY_PASSWORD")
# In production the phone's events must be signed, with a strong key.
PRODUCTION_SECRETS = ("ANDROID_GATEWAY_SIGNING_KEY",)

# The events Jigi registers a webhook for; each webhook's id is stable, so registering twice changes nothing.
EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed")
# The app's events about a message Jigi sent -> the row status they mean (`sms:delivered` comes per part).
EVENT_STATUSES = {
    "sms:sent": MessageStatus.SENT,
    "sms:delivered": MessageStatus.DELIVERED,
    "sms:failed": MessageStatus.FAILED,
}
# How far X-Timestamp may be from now (the phone's clock drifts; a replay weeks later is refused).
MAX_SKEW_SECONDS = 5 * 60


def webhook_id(event: str) -> str:
    return "jigi-" + event.replace(":", "-")


class AndroidGateway:
    """Sends one SMS per request to the phone's API (local server or cloud) with HTTP Basic auth."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        if not settings.android_gateway_url:
            raise ValueError("ANDROID_GATEWAY_URL is required for the Android gateway")
        self.base = settings.android_gateway_url.rstrip("/")
        self.auth = (settings.android_gateway_username, settings.android_gateway_password)
        self.timeout = settings.at_timeout_seconds
        self.http = http_session(self.base)

    def send(self, message: Outgoing) -> SendResult:
        body: dict[str, Any] = {
            "id": message.reference,
            "textMessage": {"text": message.text},
            "phoneNumbers": [message.recipient],
            "withDeliveryReport": True,
        }
        try:
            answer = self.http.post(f"{self.base}/messages", json=body, auth=self.auth, timeout=self.timeout)
        except requests.RequestException as error:
            return transport_failure(error, self.timeout)
        return classify_answer(answer, message.reference)

    def register_webhooks(self, url: str) -> list[str]:
        """Register `url` for every event Jigi listens to, under stable ids; return the events."""
        for event in EVENTS:
            body = {"id": webhook_id(event), "url": url, "event": event}
            answer = self.http.post(f"{self.base}/webhooks", json=body, auth=self.auth, timeout=self.timeout)
            if answer.status_code not in (200, 201):
                raise RuntimeError(
                    f"the phone refused the {event} webhook: {answer.status_code} {answer.text[:200]}"
                )
        return list(EVENTS)


def classify_answer(answer: requests.Response, reference: str) -> SendResult:
    """What the app's answer to one send means for the row."""
    if answer.status_code in (200, 201, 202):
        state = _field(answer, "state")
        if state == "Failed":
            return SendResult(Outcome.PERMANENT, reason=f"the phone could not send it: {answer.text[:200]}")
        return SendResult(Outcome.ACCEPTED, message_id=reference, reason=state or str(answer.status_code))
    if answer.status_code == 409:  # this id is known: a repeat of a send the phone already took
        return SendResult(Outcome.ACCEPTED, message_id=reference, reason="409 already accepted")
    if answer.status_code in (401, 403):
        return SendResult(
            Outcome.CONFIG_ERROR,
            reason=f"the phone refused the credentials ({answer.status_code}): "
            "check ANDROID_GATEWAY_USERNAME and ANDROID_GATEWAY_PASSWORD",
        )
    if answer.status_code in RETRY_LATER_STATUSES:  # a phone that does not answer is usually offline
        return SendResult(Outcome.TRANSIENT, reason=f"the phone answered {answer.status_code} (offline?)")
    return SendResult(
        Outcome.PERMANENT, reason=f"the phone refused it: {answer.status_code} {answer.text[:200]}"
    )


def _field(answer: requests.Response, name: str) -> str | None:
    try:
        body: Any = answer.json()
    except ValueError:
        return None
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


# --- events -------------------------------------------------------------------------------------------


def signature_ok(key: str, body: bytes, timestamp: str, signature: str, now: float | None = None) -> bool:
    """Whether `signature` signs `body` + `timestamp` with `key`, and the timestamp is recent."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - moment) > MAX_SKEW_SECONDS:
        return False
    expected = hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    # As bytes: a header with other than ASCII in it is simply a wrong signature, not an error.
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


@bp.post("/gateways/android/events")
@require_callback_token
def event() -> Response:
    key = get_settings().android_gateway_signing_key
    if key and not signature_ok(
        key,
        request.get_data(cache=True),
        request.headers.get("X-Timestamp", ""),
        request.headers.get("X-Signature", ""),
    ):
        return plain("Bad or stale signature\n", 403)
    body: Any = request.get_json(silent=True)
    name = body.get("event") if isinstance(body, dict) else None
    payload = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(name, str) or not isinstance(payload, dict) or not isinstance(body.get("id"), str):
        return plain("Bad event: id, event and payload are required\n", 400)
    if name in EVENT_STATUSES:
        message_id = payload.get("messageId")
        if not isinstance(message_id, str):
            return plain("Bad event: payload.messageId is required\n", 400)
        reason = payload.get("reason") if name == "sms:failed" else None
        return store_report(EVENT_STATUSES, message_id, name, reason if isinstance(reason, str) else name)
    if name == "sms:received":
        sender, text = payload.get("phoneNumber"), payload.get("message")
        if not isinstance(sender, str) or not isinstance(text, str) or not sender.strip():
            return plain("Bad event: payload.phoneNumber and payload.message are required\n", 400)
        event_id = f"android:{body['id']}"  # the app's messageId of an SMS received is not unique
        if len(event_id) > 64 or len(sender) > 20:
            return plain("Bad event: id or phoneNumber too long\n", 400)
        sent_at = gateway_time(payload.get("receivedAt"), utcnow())
        return receive(InboundSms(at_id=event_id, sender=sender.strip(), text=text, sent_at=sent_at))
    return plain("OK ignored\n")  # other events (system:ping, mms:...) are not Jigi's


# --- command ------------------------------------------------------------------------------------------


@click.command("register-webhooks")
@with_appcontext
def register_webhooks_command() -> None:
    """Register Jigi's address with the Android phone for sms:received, sent, delivered and failed."""
    settings = get_settings()
    url = settings.public_url or ""
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        fail(
            "set PUBLIC_URL to the https:// address at which the phone reaches Jigi "
            "(the app accepts http:// only for 127.0.0.1, on the phone itself)"
        )
    try:
        events = AndroidGateway(settings).register_webhooks(
            f"{url}/gateways/android/events?token={settings.at_callback_token}"
        )
    except (RuntimeError, ValueError, requests.RequestException) as error:
        fail(f"cannot register the webhooks: {error}")
    click.echo(f"The phone will post {', '.join(events)} to {url}/gateways/android/events.")
