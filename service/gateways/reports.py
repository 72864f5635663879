"""Delivery reports, whatever the gateway: they tell, late, out of order, twice or never, what became of
an SMS.

Each gateway reads its own report into a `Report` with its own table of statuses; from there a report is
recorded on its row once. A final state (delivered, failed) is never replaced; a report seen before for the
same row adds nothing. While the database is unavailable a report is kept in Redis and a periodic pass
stores it later, at the time it arrived.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import DomainError
from service.models import MessageEvent, MessageStatus, OutboundMessage
from service.outbox import details
from service.outbox.lifecycle import move, record_events
from service.periodic import PassContext

log = logging.getLogger(__name__)

FINAL = (MessageStatus.DELIVERED, MessageStatus.FAILED)
UNKNOWN_ID = "unknown_id"
DUPLICATE = "duplicate"
KEPT = "kept"
# Reports that arrived while the database was unavailable, oldest first, until a pass stores them.
KEPT_REPORTS_KEY = "jigi:kept-delivery-reports"
KEPT_BATCH = 500


class MalformedReport(DomainError):
    """A report without an id or with a status the gateway does not send."""


@dataclass(frozen=True)
class Report:
    """One report: the gateway's id of the message, its status as the gateway says it, the row status
    that status means, and why it failed."""

    gateway_id: str
    status: str
    target: MessageStatus
    reason: str | None = None

    @classmethod
    def read(
        cls, statuses: Mapping[str, MessageStatus], gateway_id: str, status: str, reason: str | None = None
    ) -> Report:
        """A report checked against the gateway's table of `statuses`."""
        if not gateway_id:
            raise MalformedReport("The report has no message id.", field="id")
        if status not in statuses:
            raise MalformedReport("The report has an unknown status.", field="status")
        return cls(gateway_id, status, statuses[status], reason or None)


def apply_report(session: Session, report: Report, now: datetime) -> str:
    """Record a report on the row it is about; return the row's status, or UNKNOWN_ID, DUPLICATE."""
    row = session.scalar(
        select(OutboundMessage).where(OutboundMessage.gateway_message_id == report.gateway_id).limit(1)
    )
    if row is None:
        log.info("delivery report %s for unknown message id %s", report.status, report.gateway_id)
        return UNKNOWN_ID
    event, detail = f"report:{report.status}", report.reason
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
    if report.target in FINAL:
        values = (
            {"delivered_at": now}
            if report.target is MessageStatus.DELIVERED
            else {"last_error": detail or report.status}
        )
        text = details.REPORT.text(status=report.status)
        move(session, row.id, (MessageStatus.SENT,), report.target, now, text, **values)
    session.refresh(row)
    return row.status


def keep_report(client: redis.Redis, report: Report, received_at: datetime) -> str:
    """Keep a checked report in Redis while the database is unavailable; a periodic pass stores it."""
    client.rpush(KEPT_REPORTS_KEY, json.dumps({**asdict(report), "at": received_at.isoformat()}))
    return KEPT


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
            fields = json.loads(raw)
            received_at = datetime.fromisoformat(fields.pop("at"))
            report = Report(**{**fields, "target": MessageStatus(fields["target"])})
            apply_report(session, report, received_at)
    context.redis.ltrim(KEPT_REPORTS_KEY, len(kept), -1)
    return {"kept_reports": len(kept)}
