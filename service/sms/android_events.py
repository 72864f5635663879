"""`POST /gateways/android/events`: the Android app's webhooks (sent, delivered, failed, received).

The URL carries the callback token; when ANDROID_GATEWAY_SIGNING_KEY is set, `X-Signature` must also be the
hex HMAC-SHA256 of the body followed by `X-Timestamp`, and the timestamp recent. The app retries an event
until it gets a 2xx, and `sms:delivered` comes once per part of a long SMS: a repeat changes nothing
(reports are recorded once per row and status, incoming SMS once per event id).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from flask import Blueprint, Response, request

from service.care.replies import InboundSms, gateway_time
from service.care.webhooks import receive
from service.config import get_settings
from service.sms.callbacks import PLAIN, store_report
from service.timeutil import utcnow
from service.webhook_auth import require_callback_token

bp = Blueprint("android", __name__)

# How far X-Timestamp may be from now (the phone's clock drifts; a replay weeks later is refused).
MAX_SKEW_SECONDS = 5 * 60
REPORTED = ("sms:sent", "sms:delivered", "sms:failed")


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
def android_event() -> Any:
    key = get_settings().android_gateway_signing_key
    if key and not signature_ok(
        key,
        request.get_data(cache=True),
        request.headers.get("X-Timestamp", ""),
        request.headers.get("X-Signature", ""),
    ):
        return Response("Bad or stale signature\n", 403, mimetype="text/plain")
    body: Any = request.get_json(silent=True)
    event = body.get("event") if isinstance(body, dict) else None
    payload = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(event, str) or not isinstance(payload, dict) or not isinstance(body.get("id"), str):
        return "Bad event: id, event and payload are required\n", 400, PLAIN
    if event in REPORTED:
        message_id = payload.get("messageId")
        if not isinstance(message_id, str):
            return "Bad event: payload.messageId is required\n", 400, PLAIN
        reason = payload.get("reason") if event == "sms:failed" else None
        return store_report("android", message_id, event, reason if isinstance(reason, str) else event)
    if event == "sms:received":
        sender, text = payload.get("phoneNumber"), payload.get("message")
        if not isinstance(sender, str) or not isinstance(text, str) or not sender.strip():
            return "Bad event: payload.phoneNumber and payload.message are required\n", 400, PLAIN
        event_id = f"android:{body['id']}"  # the app's messageId of an SMS received is not unique
        if len(event_id) > 64 or len(sender) > 20:
            return "Bad event: id or phoneNumber too long\n", 400, PLAIN
        sent_at = gateway_time(payload.get("receivedAt"), utcnow())
        return receive(InboundSms(at_id=event_id, sender=sender.strip(), text=text, sent_at=sent_at))
    return "OK ignored\n", 200, PLAIN  # other events (system:ping, mms:...) are not Jigi's
