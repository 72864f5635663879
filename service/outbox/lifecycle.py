"""Status changes of outbound rows: always a conditional UPDATE, always a MessageEvent.

A change applies only to rows still in the expected status, so two processes racing on the same row
cannot both win; the ids that changed are returned and each gets one history event. The statements are
plain Core on the session's connection: they are on every send's path, and the ORM's bulk machinery
would only add time (no object of the session is kept in step anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Insert, Table, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from service.models import MessageEvent, OutboundMessage

OUTBOUND = cast(Table, OutboundMessage.__table__)
EVENTS = cast(Table, MessageEvent.__table__)
INSERT_EVENT = insert(EVENTS)


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
        update(OUTBOUND)
        .where(where, OUTBOUND.c.status.in_(tuple(from_statuses)))
        .values(status=to, updated_at=now, **values)
        .returning(OUTBOUND.c.id)
    )
    changed = list(session.connection().execute(statement).scalars())
    record_events(session, changed, to, now, detail)
    return changed


def move(
    session: Session,
    message_id: int,
    from_statuses: Iterable[str],
    to: str,
    now: datetime,
    detail: str | None = None,
    *,
    sending_since: datetime | None = None,
    **values: Any,
) -> bool:
    """Move one row; False if it was no longer in one of `from_statuses` (or, when `sending_since` is
    given, no longer the send that was claimed at that moment)."""
    connection = session.connection()
    together = connection.dialect.name == "postgresql"
    statement = _one_row_move(
        tuple(from_statuses), to, tuple(sorted(values)), sending_since is not None, together
    )
    params = {"row_id": message_id, "now_value": now, "sending_since": sending_since}
    params.update({f"{name}_value": value for name, value in values.items()})
    if together:
        params.update(event_status=to, event_detail=detail)
        return connection.execute(statement, params).first() is not None
    changed = list(connection.execute(statement, params).scalars())
    record_events(session, changed, to, now, detail)
    return bool(changed)


@lru_cache(maxsize=256)
def _one_row_move(
    from_statuses: tuple[str, ...], to: str, columns: tuple[str, ...], same_send: bool, with_event: bool
) -> Update | Insert:
    """The UPDATE of one row by id, built once per shape: on every send's path, building and hashing a
    statement costs several times more than running one already built. On PostgreSQL the row's event is
    inserted by the same statement (the UPDATE in a WITH clause), one round trip instead of two."""
    conditions = [OUTBOUND.c.id == bindparam("row_id"), OUTBOUND.c.status.in_(from_statuses)]
    if same_send:
        conditions.append(OUTBOUND.c.sending_at == bindparam("sending_since"))
    values = {name: bindparam(f"{name}_value", type_=OUTBOUND.c[name].type) for name in columns}
    now = bindparam("now_value", type_=OUTBOUND.c.updated_at.type)
    changing = update(OUTBOUND).where(*conditions).values(status=to, updated_at=now, **values)
    if not with_event:
        return changing.returning(OUTBOUND.c.id)
    changed = changing.returning(OUTBOUND.c.id).cte("changed")
    event = select(
        changed.c.id,
        bindparam("event_status", type_=EVENTS.c.status.type),
        bindparam("event_detail", type_=EVENTS.c.detail.type),
        now,
    )
    return (
        insert(EVENTS)
        .from_select(["message_id", "status", "detail", "created_at"], event)
        .returning(EVENTS.c.message_id)
    )


def record_events(
    session: Session, message_ids: Iterable[int], status: str, now: datetime, detail: str | None = None
) -> None:
    """Add one history event per row."""
    rows = [{"message_id": i, "status": status, "detail": detail, "created_at": now} for i in message_ids]
    if rows:
        session.connection().execute(INSERT_EVENT, rows[0] if len(rows) == 1 else rows)
