"""Alerts for coordinators: problems that stop messages (no credit, bad gateway configuration, unknown
sends, a district with no on-call clinician), each shown once until it is resolved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.models import SystemAlert

INSUFFICIENT_BALANCE = "insufficient_balance"
GATEWAY_CONFIG = "gateway_config"
UNKNOWN_SENDS = "unknown_sends"
HELD_SMS = "held_sms"
GATEWAY_DOWN = "gateway_down"
# Alerts that a later accepted message proves resolved.
CLEARED_BY_SUCCESS = (INSUFFICIENT_BALANCE, GATEWAY_CONFIG)


def raise_alert(session: Session, kind: str, message: str) -> SystemAlert:
    """Open an alert, unless the same one (kind and message) is open: coordinators see one alert per
    problem, and a problem of one place (a district) does not hide the same problem elsewhere."""
    open_alert = session.scalar(
        select(SystemAlert)
        .where(SystemAlert.kind == kind, SystemAlert.message == message, SystemAlert.resolved_at.is_(None))
        .limit(1)
    )
    if open_alert is not None:
        return open_alert
    alert = SystemAlert(kind=kind, message=message)
    session.add(alert)
    return alert


def resolve_alerts(
    session: Session, kinds: tuple[str, ...], now: datetime, message: str | None = None
) -> None:
    """Close open alerts of `kinds` (only the one with `message`, when given): the problem is gone."""
    query = update(SystemAlert).where(SystemAlert.kind.in_(kinds), SystemAlert.resolved_at.is_(None))
    if message is not None:
        query = query.where(SystemAlert.message == message)
    session.execute(query.values(resolved_at=now))
