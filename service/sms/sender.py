"""Sending one outbound row: policy checks, rendering, the gateway call, and recording its answer.

Idempotent: every change is a conditional update from the status the row must be in, so a job run twice,
or two workers holding the same id, send it at most once. The one ambiguity that cannot be removed: a
worker that dies, or a request that times out, after the gateway took the message but before the row was
marked sent. Such a row stays `sending` (the sweeper turns it `unknown` after SEND_TIMEOUT_SECONDS) or is
recorded `unknown` at once; it is shown to coordinators and never resent automatically, because a
duplicate reminder on a shared phone is worse than a missing one (emergency alerts are escalated anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_
from sqlalchemy.orm import Session

from service.config import Settings
from service.db import Database
from service.gsm7 import Encoded, for_sms
from service.models import OutboundMessage, Patient
from service.sms import gateway as gw
from service.sms import system_alerts
from service.sms.lifecycle import move, transition
from service.sms.quiet_hours import patient_window, quiet_until
from service.sms.templates import TemplateError, render
from service.timeutil import utcnow

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(seconds=30)  # transient failures: 30 s, 1, 2, 4, 8 min...
HOLD = timedelta(minutes=15)  # no credit or bad configuration: try again every 15 min...
HOLD_LIMIT = timedelta(hours=24)  # ...for at most a day (or until the row's own expiry), then dropped
OPTOUT_KIND = "optout_confirmation"
SKIPPED = "skipped"
HELD = "held"


@dataclass(frozen=True)
class Claimed:
    """A row this worker moved to `sending`, ready for the gateway."""

    id: int
    recipient: str
    encoded: Encoded
    attempt: int
    sending_at: datetime
    expires_at: datetime | None


def backoff(attempt: int) -> timedelta:
    """Wait before retry number `attempt` (1-based) after a transient failure."""
    return RETRY_BASE * 2 ** (attempt - 1)


def deliver(
    database: Database, gateway: gw.Gateway, settings: Settings, message_id: int, now: datetime | None = None
) -> str:
    """Send row `message_id` if it is still `queued`; return its new status, `held` or `skipped`."""
    with database.session() as session:
        claimed = claim(session, message_id, settings, now or utcnow())
    if isinstance(claimed, str):
        return claimed
    result = gateway.send(claimed.recipient, claimed.encoded.text)
    with database.session() as session:
        return record(session, claimed, result, settings, now or utcnow())


def claim(session: Session, message_id: int, settings: Settings, now: datetime) -> Claimed | str:
    """Apply the sending policy to a `queued` row, then claim it (`sending`) unless the policy ended it."""
    row = session.get(OutboundMessage, message_id)
    if row is None or row.status != "queued":
        return SKIPPED
    if row.expires_at is not None and row.expires_at <= now:
        return _end(session, row.id, "dropped", now, f"expired at {row.expires_at.isoformat()}")
    patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
    if patient is not None and row.kind != OPTOUT_KIND and (patient.opted_out or not patient.sms_consent):
        reason = "patient opted out" if patient.opted_out else "no SMS consent"
        return _end(session, row.id, "cancelled", now, reason)
    if not row.ignore_quiet_hours:
        window = patient_window(patient.quiet_hours if patient else None, settings.quiet_hours)
        opens = quiet_until(now, window, settings.tz)
        if opens is not None:
            moved = move(
                session,
                row.id,
                ("queued",),
                "scheduled",
                now,
                f"quiet hours: held until {opens.isoformat()}",
                due_at=opens,
                claimed_at=None,
            )
            return HELD if moved else SKIPPED
    try:
        text = render(session, row.kind, row.language, row.params or {}, settings)
    except TemplateError as error:
        return _end(session, row.id, "failed", now, f"cannot render: {error}")
    if not move(session, row.id, ("queued",), "sending", now, f"attempt {row.attempts + 1}", sending_at=now):
        return SKIPPED
    return Claimed(
        id=row.id,
        recipient=row.recipient,
        encoded=for_sms(text, settings.gsm7_conversion),
        attempt=row.attempts + 1,
        sending_at=now,
        expires_at=row.expires_at,
    )


def record(
    session: Session, claimed: Claimed, result: gw.SendResult, settings: Settings, now: datetime
) -> str:
    """Record the gateway's answer on the row this worker claimed; return the row's new status."""
    sent = {
        "text": claimed.encoded.text,
        "encoding": claimed.encoded.encoding,
        "segments": claimed.encoded.segments,
    }
    if result.outcome == gw.ACCEPTED:
        system_alerts.resolve_alerts(session, system_alerts.CLEARED_BY_SUCCESS, now)
        values = dict(sent, attempts=claimed.attempt, sent_at=now, gateway_message_id=result.message_id)
        return _finish(
            session, claimed, "sent", now, f"accepted {result.message_id}", cost=result.cost, **values
        )
    if result.outcome == gw.PERMANENT:
        return _finish(session, claimed, "failed", now, result.reason, attempts=claimed.attempt, **sent)
    if result.outcome == gw.UNKNOWN:
        system_alerts.raise_alert(
            session,
            system_alerts.UNKNOWN_SENDS,
            "Some SMS may or may not have been sent (no clear answer from the gateway); "
            "they are marked 'unknown' and will not be resent automatically.",
        )
        return _finish(session, claimed, "unknown", now, result.reason, attempts=claimed.attempt, **sent)
    if result.outcome == gw.TRANSIENT:
        if claimed.attempt >= settings.max_send_attempts:
            reason = f"gave up after {claimed.attempt} attempts: {result.reason}"
            return _finish(session, claimed, "failed", now, reason, attempts=claimed.attempt, **sent)
        due = now + backoff(claimed.attempt)
        return _finish(
            session,
            claimed,
            "scheduled",
            now,
            result.reason,
            attempts=claimed.attempt,
            due_at=due,
            claimed_at=None,
        )
    kind, message = _alert_for(result)
    system_alerts.raise_alert(session, kind, message)
    # Nothing was sent: the row waits without spending an attempt, bounded by HOLD_LIMIT.
    expires = claimed.expires_at or now + HOLD_LIMIT
    return _finish(
        session,
        claimed,
        "scheduled",
        now,
        result.reason,
        due_at=now + HOLD,
        expires_at=expires,
        claimed_at=None,
    )


def _alert_for(result: gw.SendResult) -> tuple[str, str]:
    if result.outcome == gw.INSUFFICIENT_BALANCE:
        return (
            system_alerts.INSUFFICIENT_BALANCE,
            "The SMS account has no credit left: messages are waiting. Top up the Africa's Talking account.",
        )
    return (
        system_alerts.GATEWAY_CONFIG,
        f"The SMS gateway refuses to send ({result.reason}). Check AT_USERNAME, AT_API_KEY and "
        "AT_SENDER_ID; messages are waiting.",
    )


def _finish(session: Session, claimed: Claimed, to: str, now: datetime, detail: str | None, **values) -> str:
    """Move the row this worker claimed; a row the sweeper meanwhile marked `unknown` gets the truth."""
    ours = and_(OutboundMessage.id == claimed.id, OutboundMessage.sending_at == claimed.sending_at)
    if not transition(
        session, ours, ("sending", "unknown"), to, now, detail, last_error=_error(to, detail), **values
    ):
        log.warning("SMS #%s changed hands while sending; the gateway's answer was %s", claimed.id, to)
        return SKIPPED
    return to


def _end(session: Session, message_id: int, to: str, now: datetime, reason: str) -> str:
    """End a queued row without sending it."""
    return to if move(session, message_id, ("queued",), to, now, reason, last_error=reason) else SKIPPED


def _error(status: str, detail: str | None) -> str | None:
    return None if status == "sent" else detail
