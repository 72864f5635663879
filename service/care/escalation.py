"""Placeholder: emergency alert escalation, called by the sweeper on each pass."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.config import Settings


def escalate_due_alerts(session: Session, settings: Settings, now: datetime) -> int:
    """Escalate unacknowledged alerts whose time has come; return how many were escalated."""
    return 0
