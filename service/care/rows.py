"""Cancelling and re-planning a patient's outbound rows; only rows not yet handed to the sender change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from service.models import OutboundMessage
from service.outbox import schedule_message

# A move or cancel touches only rows still waiting for their time; an opt-out or an acknowledged alert
# also stops rows the sweeper has claimed but no worker has started to send (workers claim `queued`
# rows with a conditional update, so a cancelled row is never sent).
WAITING = ("scheduled",)
UNSENT = ("scheduled", "queued")


def cancel_rows(session: Session, *criteria: ColumnElement[bool], statuses: tuple[str, ...] = WAITING) -> int:
    """Cancel the matching rows that are in `statuses`; return how many were cancelled."""
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status.in_(statuses), *criteria)
        .values(status="cancelled")
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def ensure_row(session: Session, *, dedupe_key: str, due_at: datetime, **fields: Any) -> OutboundMessage:
    """The row for `dedupe_key`, scheduled at `due_at`: a waiting or cancelled one is re-planned, a row
    already sent is left alone (that reminder went out once for this very time), otherwise it is added."""
    row = session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key))
    if row is None:
        return schedule_message(session, dedupe_key=dedupe_key, due_at=due_at, **fields)
    if row.status in ("scheduled", "cancelled"):
        row.status = "scheduled"
        row.kind = fields["kind"]
        row.due_at = due_at
        row.expires_at = fields.get("expires_at")
        row.recipient = fields["recipient"]
        row.language = fields["language"]
        row.params = fields["params"]
    return row
