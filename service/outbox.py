"""Writing outbound SMS rows: every message the system will send is a row first (DESIGN.md §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.models import (
    PRIORITY_APPOINTMENT,
    PRIORITY_EMERGENCY,
    PRIORITY_MEDICATION,
    PRIORITY_OTHER,
    OutboundMessage,
)
from service.timeutil import utcnow

# Every kind of SMS the system sends, with its sending priority.
KIND_PRIORITY = {
    "emergency_alert": PRIORITY_EMERGENCY,
    "alert_escalation": PRIORITY_EMERGENCY,
    "medication": PRIORITY_MEDICATION,
    "appointment_day_before": PRIORITY_APPOINTMENT,
    "appointment_same_day": PRIORITY_APPOINTMENT,
    "followup_checkin": PRIORITY_OTHER,
    "optout_confirmation": PRIORITY_OTHER,
    "referral_ack": PRIORITY_OTHER,
    "visit_confirmation": PRIORITY_OTHER,
}
MESSAGE_KINDS = tuple(KIND_PRIORITY)


def schedule_message(
    session: Session,
    *,
    kind: str,
    recipient: str,
    language: str,
    params: dict[str, Any],
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
    **links: Any,
) -> OutboundMessage:
    """Add an outbound row in the caller's transaction; emergency kinds ignore quiet hours."""
    if kind not in KIND_PRIORITY:
        raise ValueError(f"unknown message kind {kind!r}")
    priority = KIND_PRIORITY[kind]
    message = OutboundMessage(
        kind=kind,
        recipient=recipient,
        language=language,
        params=params,
        priority=priority,
        due_at=due_at or utcnow(),
        expires_at=expires_at,
        ignore_quiet_hours=priority == PRIORITY_EMERGENCY,
        status="scheduled",
        dedupe_key=dedupe_key,
        **links,
    )
    session.add(message)
    return message
