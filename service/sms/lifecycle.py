"""Status changes of outbound rows: always a conditional UPDATE, always a MessageEvent.

A change applies only to rows still in the expected status, so two processes racing on the same row
cannot both win; the ids that changed are returned and each gets one history event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, update
from sqlalchemy.orm import Session

from service.models import MessageEvent, OutboundMessage


def transition(
    session: Session,
    where: ColumnElement[bool],
    from_statuses: Iterable[str],
    to: str,
    now: datetime,
    detail: str | None = None,
    **values: Any,
) -> list[int]:
    """Move the rows matching `where` that are in one of `from_statuses` to `to`; return their ids."""
    statement = (
        update(OutboundMessage)
        .where(where, OutboundMessage.status.in_(tuple(from_statuses)))
        .values(status=to, updated_at=now, **values)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    )
    changed = list(session.scalars(statement))
    record_events(session, changed, to, now, detail)
    return changed


def move(
    session: Session,
    message_id: int,
    from_statuses: Iterable[str],
    to: str,
    now: datetime,
    detail: str | None = None,
    **values: Any,
) -> bool:
    """Move one row; False if it was no longer in one of `from_statuses`."""
    return bool(
        transition(session, OutboundMessage.id == message_id, from_statuses, to, now, detail, **values)
    )


def record_events(
    session: Session, message_ids: Iterable[int], status: str, now: datetime, detail: str | None = None
) -> None:
    """Add one history event per row."""
    rows = [{"message_id": i, "status": status, "detail": detail, "created_at": now} for i in message_ids]
    if rows:
        session.execute(insert(MessageEvent), rows)
