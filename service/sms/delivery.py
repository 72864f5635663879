"""Delivery reports: Africa's Talking tells, late, out of order, twice or never, what became of an SMS.

A final state (delivered, failed) is never replaced; a report seen before for the same row adds nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import DomainError
from service.models import MessageEvent, OutboundMessage
from service.outbox.lifecycle import move, record_events

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
FINAL = ("delivered", "failed")
UNKNOWN_ID = "unknown_id"
DUPLICATE = "duplicate"


class MalformedReport(DomainError):
    """A report without an id or with a status AT does not send."""


def apply_report(
    session: Session, gateway_id: str, status: str, failure_reason: str | None, now: datetime
) -> str:
    """Record a report on the row it is about; return the row's status, or UNKNOWN_ID, DUPLICATE."""
    if not gateway_id:
        raise MalformedReport("The report has no message id.", field="id")
    if status not in REPORT_STATUSES:
        raise MalformedReport("The report has an unknown status.", field="status")
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
    target = REPORT_STATUSES[status]
    if target in FINAL:
        values = {"delivered_at": now} if target == "delivered" else {"last_error": detail or status}
        move(session, row.id, ("sent",), target, now, f"delivery report {status}", **values)
    session.refresh(row)
    return row.status
