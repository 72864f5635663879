"""The "SMS Gateway for Android" adapter (the open-source SMSGate app): an Android phone with a local SIM
sends Jigi's SMS. The only module that knows the app's API.

Jigi gives each message its own id (`jigi-<row id>`): the app answers 409 for an id it already has, so a
send repeated after a lost answer is recognised as already accepted. The app's events (sent, delivered,
failed, received) carry that id back (`service/sms/android_events.py`).
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from service.config import Settings
from service.sms.gateway import Outcome, Outgoing, SendResult, transport_failure

log = logging.getLogger(__name__)

# The events Jigi registers a webhook for; each webhook's id is stable, so registering twice changes nothing.
EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed")
# A phone that does not answer is usually offline: retried, and the console's gateway view says so.
OFFLINE_STATUSES = {429, 500, 502, 503, 504}


def webhook_id(event: str) -> str:
    return "jigi-" + event.replace(":", "-")


class AndroidGateway:
    """Sends one SMS per request to the phone's API (local server or cloud) with HTTP Basic auth."""

    name = "android"

    def __init__(self, settings: Settings) -> None:
        if not settings.android_gateway_url:
            raise ValueError("ANDROID_GATEWAY_URL is required for the Android gateway")
        self.base = settings.android_gateway_url.rstrip("/")
        self.auth = (settings.android_gateway_username, settings.android_gateway_password)
        self.timeout = settings.at_timeout_seconds
        self.http = requests.Session()

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
    if answer.status_code in OFFLINE_STATUSES:
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
