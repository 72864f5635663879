"""The coordinators' inbox: the replies Jigi did not act on by itself, for a person to read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from service.models import InboundKind, InboundMessage


def inbox_query(open_only: bool) -> Select[InboundMessage]:
    """The inbox, newest first, but a reply that may ask to stop comes before everything: sending on to
    someone who said stop is the worse error."""
    query = select(InboundMessage).order_by(
        (InboundMessage.kind == InboundKind.POSSIBLE_OPTOUT).desc(),
        InboundMessage.received_at.desc(),
        InboundMessage.id.desc(),
    )
    return query.where(InboundMessage.handled.is_(False)) if open_only else query


def mark_handled(message: InboundMessage, by: str, now: datetime) -> bool:
    """Mark a reply as handled by `by`; False when it already was."""
    if message.handled:
        return False
    message.handled, message.handled_at, message.handled_by = True, now, by
    return True
