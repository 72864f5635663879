"""Delivery reports of the sending side, one route per gateway: Africa's Talking's form POST and Orange's
JSON receipt. Both answer 200 for any well-formed report (even an unknown id) and 400 otherwise.

While the database is unavailable a report is kept in Redis and stored later; only when Redis fails too
does the answer (503) ask the gateway to send it again.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Blueprint, request

from service.db import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, get_db
from service.redis_conn import get_redis
from service.sms.delivery import AT, MalformedReport, apply_report, keep_report
from service.timeutil import utcnow
from service.webhook_auth import require_callback_token

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
PLAIN = {"Content-Type": "text/plain"}
RETRY_LATER = {**PLAIN, "Retry-After": str(RETRY_AFTER_SECONDS)}
Answer = tuple[str, int, dict[str, str]]


@bp.post("/at/sms/delivery")
@require_callback_token
def delivery_report() -> Answer:
    """AT's form POST about one message."""
    form = request.form
    return store_report(AT, form.get("id", ""), form.get("status", ""), form.get("failureReason"))


@bp.post("/gateways/orange/delivery")
@require_callback_token
def orange_receipt() -> Answer:
    """Orange's `deliveryInfoNotification`; `callbackData` is the message's resource id."""
    body: Any = request.get_json(silent=True)
    try:
        notification = body["deliveryInfoNotification"]
        message_id, status = notification["callbackData"], notification["deliveryInfo"]["deliveryStatus"]
    except (KeyError, TypeError):
        return "Bad delivery receipt: not a deliveryInfoNotification\n", 400, PLAIN
    if not isinstance(message_id, str) or not isinstance(status, str):
        return "Bad delivery receipt: callbackData and deliveryStatus must be text\n", 400, PLAIN
    reason = status if status == "DeliveryImpossible" else None
    return store_report("orange", message_id, status, reason)


def store_report(gateway: str, gateway_id: str, status: str, reason: str | None) -> Answer:
    """Apply a report now, or keep it while the database is unavailable."""
    report = (gateway_id, status, reason, utcnow(), gateway)
    try:
        try:
            with get_db().session() as session:
                outcome = apply_report(session, *report)
        except UNAVAILABLE_ERRORS:
            log.warning("database unavailable: keeping delivery report %s in Redis", gateway_id)
            outcome = keep_report(get_redis(), *report)
    except MalformedReport as error:
        return f"Bad delivery report: {error}\n", 400, PLAIN
    except redis.RedisError:
        log.error("database and Redis unavailable: delivery report %s refused for a retry", gateway_id)
        return "Cannot store the report now; send it again later.\n", 503, RETRY_LATER
    return f"OK {outcome}\n", 200, PLAIN
