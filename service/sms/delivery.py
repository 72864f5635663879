"""Delivery reports: Africa's Talking tells, late, out of order, twice or never, what became of an SMS.

A final state (delivered, failed) is never replaced; a report seen before for the same row adds nothing.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import DomainError
from service.models import MessageEvent, OutboundMessage
from service.outbox import details
from service.outbox.lifecycle import move, record_events
from service.periodic import PassContext, periodic_pass

log = logging.getLogger(__name__)

# AT's report status -> the row status it means.
REPORT_STATUSES = {
    "Sent": "sent",
    "Submitted": "sent",
    "Buffered": "sent",
    "Success": "delivered",
    "Failed": "failed",
    "Rejected": "failed",
    "Expired": "failed",
}
# Orange's receipt `deliveryStatus` -> the row status it means (DeliveredToTerminal is final).
ORANGE_STATUSES = {
    "DeliveredToNetwork": "sent",
    "MessageWaiting": "sent",
    "DeliveryUncertain": "sent",
    "DeliveredToTerminal": "delivered",
    "DeliveryImpossible": "failed",
}
# The Android app's events about a message Jigi sent (`sms:delivered` comes once per part).
ANDROID_STATUSES = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed"}
AT = "africastalking"
# Each gateway's one table of report statuses.
STATUS_TABLES = {AT: REPORT_STATUSES, "orange": ORANGE_STATUSES, "android": ANDROID_STATUSES}
FINAL = ("delivered", "failed")
UNKNOWN_ID = "unknown_id"
DUPLICATE = "duplicate"
KEPT = "kept"
# Reports that arrived while the database was unavailable, oldest first, until a pass stores them.
KEPT_REPORTS_KEY = "jigi:kept-delivery-reports"
KEPT_BATCH = 500


class MalformedReport(DomainError):
    """A report without an id or with a status AT does not send."""


def check_report(gateway_id: str, status: str, gateway: str = AT) -> None:
    """Refuse a report that names no message or carries a status the gateway does not send."""
    if not gateway_id:
        raise MalformedReport("The report has no message id.", field="id")
    if status not in STATUS_TABLES[gateway]:
        raise MalformedReport("The report has an unknown status.", field="status")


def apply_report(
    session: Session,
    gateway_id: str,
    status: str,
    failure_reason: str | None,
    now: datetime,
    gateway: str = AT,
) -> str:
    """Record a report on the row it is about; return the row's status, or UNKNOWN_ID, DUPLICATE."""
    check_report(gateway_id, status, gateway)
    row = session.scalar(
        select(OutboundMessage).where(OutboundMessage.gateway_message_id == gateway_id).limit(1)
    )
    if row is None:
        log.info("delivery report %s for unknown message id %s", status, gateway_id)
        return UNKNOWN_ID
    event = f"report:{status}"
    detail = failure_reason or None
    seen = session.scalar(
        select(MessageEvent.id)
        .where(
            MessageEvent.message_id == row.id,
            MessageEvent.status == event,
            MessageEvent.detail.is_not_distinct_from(detail),
        )
        .limit(1)
    )
    if seen is not None:
        return DUPLICATE
    record_events(session, [row.id], event, now, detail)
    target = STATUS_TABLES[gateway][status]
    if target in FINAL:
        values = {"delivered_at": now} if target == "delivered" else {"last_error": detail or status}
        move(session, row.id, ("sent",), target, now, details.REPORT.text(status=status), **values)
    session.refresh(row)
    return row.status


def keep_report(
    client: redis.Redis,
    gateway_id: str,
    status: str,
    failure_reason: str | None,
    received_at: datetime,
    gateway: str = AT,
) -> str:
    """Keep a checked report in Redis while the database is unavailable; a periodic pass stores it."""
    check_report(gateway_id, status, gateway)
    at = received_at.isoformat()
    report = {"id": gateway_id, "status": status, "reason": failure_reason, "at": at, "gateway": gateway}
    client.rpush(KEPT_REPORTS_KEY, json.dumps(report))
    return KEPT


@periodic_pass("kept_reports", order=20)
def store_kept_reports(context: PassContext) -> dict[str, int]:
    """Store the reports kept during an outage, at the time they arrived.

    They are removed from Redis only after the commit; a crash in between stores some twice, which
    `apply_report` counts as duplicates.
    """
    kept = context.redis.lrange(KEPT_REPORTS_KEY, 0, KEPT_BATCH - 1)
    if not kept:
        return {}
    with context.database.session() as session:
        for raw in kept:
            report = json.loads(raw)
            received_at = datetime.fromisoformat(report["at"])
            gateway = report.get("gateway", AT)
            apply_report(session, report["id"], report["status"], report["reason"], received_at, gateway)
    context.redis.ltrim(KEPT_REPORTS_KEY, len(kept), -1)
    return {"kept_reports": len(kept)}
