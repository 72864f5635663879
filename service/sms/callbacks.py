"""Africa's Talking callbacks of the sending side: delivery reports."""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, request

from service.db import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, get_db
from service.redis_conn import get_redis
from service.sms.delivery import MalformedReport, apply_report, keep_report
from service.timeutil import utcnow
from service.webhook_auth import require_callback_token

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
PLAIN = {"Content-Type": "text/plain"}
RETRY_LATER = {**PLAIN, "Retry-After": str(RETRY_AFTER_SECONDS)}


@bp.post("/at/sms/delivery")
@require_callback_token
def delivery_report() -> tuple[str, int, dict[str, str]]:
    """AT's form POST about one message: 200 for any well-formed report (even an unknown id), else 400.

    While the database is unavailable a report is kept in Redis and stored later; only when Redis fails
    too does the answer (503) ask the gateway to send it again.
    """
    form = request.form
    report = (form.get("id", ""), form.get("status", ""), form.get("failureReason"), utcnow())
    try:
        try:
            with get_db().session() as session:
                outcome = apply_report(session, *report)
        except UNAVAILABLE_ERRORS:
            log.warning("database unavailable: keeping delivery report %s in Redis", report[0])
            outcome = keep_report(get_redis(), *report)
    except MalformedReport as error:
        return f"Bad delivery report: {error}\n", 400, PLAIN
    except redis.RedisError:
        log.error("database and Redis unavailable: delivery report %s refused for a retry", report[0])
        return "Cannot store the report now; send it again later.\n", 503, RETRY_LATER
    return f"OK {outcome}\n", 200, PLAIN
