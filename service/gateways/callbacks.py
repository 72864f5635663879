"""What every gateway's callback answers: plain text, 200 for anything well formed (an unknown id
included), 400 for a malformed request.

A delivery report that arrives while the database is unavailable is kept in Redis and stored later; only
when Redis fails too does the answer (503) ask the gateway to send it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import redis
from flask import Response

from service.config import get_settings
from service.db import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, get_db
from service.gateways.reports import MalformedReport, Report, apply_report, keep_report
from service.inbox.replies import DuplicateInbound, InboundSms, receive_sms
from service.models import MessageStatus
from service.redis_conn import get_redis
from service.timeutil import utcnow

log = logging.getLogger(__name__)


def plain(body: str, status: int = 200, retry_after: bool = False) -> Response:
    """A plain-text answer; `retry_after` asks the gateway to send the request again later."""
    response = Response(body, status=status, mimetype="text/plain")
    if retry_after:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def store_report(
    statuses: Mapping[str, MessageStatus], gateway_id: str, status: str, reason: str | None = None
) -> Response:
    """Check a report against the gateway's `statuses`, then apply it now, or keep it while the database
    is unavailable."""
    try:
        report = Report.read(statuses, gateway_id, status, reason)
    except MalformedReport as error:
        return plain(f"Bad delivery report: {error}\n", 400)
    now = utcnow()
    try:
        try:
            with get_db().session() as session:
                outcome = apply_report(session, report, now)
        except UNAVAILABLE_ERRORS:
            log.warning("database unavailable: keeping delivery report %s in Redis", report.gateway_id)
            outcome = keep_report(get_redis(), report, now)
    except redis.RedisError:
        log.error("database and Redis unavailable: delivery report %s refused for a retry", report.gateway_id)
        return plain("Cannot store the report now; send it again later.\n", 503, retry_after=True)
    return plain(f"OK {outcome}\n")


def receive(sms: InboundSms) -> Response:
    """Store and act on an incoming SMS once; a retry of the same id answers 200 and does nothing."""
    try:
        with get_db().session() as session:
            receive_sms(session, get_settings(), sms, utcnow())
    except DuplicateInbound:
        return plain("duplicate")
    return plain("ok")
