"""The sweeper: turns due rows into RQ jobs and repairs what a lost job or a dead worker left behind.

The database is the truth and Redis only a work list: rows are claimed (`scheduled` -> `queued`) with a
conditional update before their ids are enqueued, `queued` rows whose job was lost (Redis flushed, worker
killed) are enqueued again after CLAIM_TIMEOUT_SECONDS, and rows stuck in `sending` past
SEND_TIMEOUT_SECONDS become `unknown` (see service.sms.sender). A short Redis lock keeps passes from
overlapping across processes, but correctness rests on the conditional updates, not on the lock.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.care.escalation import escalate_due_alerts
from service.config import Settings
from service.db import Database
from service.models import OutboundMessage
from service.sms import system_alerts
from service.sms.lifecycle import transition
from service.sms.queues import enqueue_sends

log = logging.getLogger(__name__)

LOCK_KEY = "jigi:sms:sweep-lock"
MAX_BATCHES_PER_PASS = 50


@dataclass(frozen=True)
class SweepReport:
    """What one pass did."""

    claimed: int = 0
    requeued: int = 0
    unknown: int = 0
    escalated: int = 0


def sweep(database: Database, connection: redis.Redis, settings: Settings, now: datetime) -> SweepReport:
    """One pass: give up on stuck sends, re-enqueue lost jobs, enqueue due rows, escalate alerts."""
    unknown = mark_stuck_sends(database, settings, now)
    requeued = requeue_lost(database, connection, settings, now)
    claimed = 0
    for _batch in range(MAX_BATCHES_PER_PASS):
        with database.session() as session:
            rows = claim_due(session, settings.sweep_batch_size, now)
        claimed += enqueue_sends(connection, rows, settings.at_timeout_seconds)
        if len(rows) < settings.sweep_batch_size:
            break
    with database.session() as session:
        escalated = escalate_due_alerts(session, settings, now)
    return SweepReport(claimed=claimed, requeued=requeued, unknown=unknown, escalated=escalated)


def due_query(limit: int, now: datetime) -> Select[tuple[int]]:
    """The ids of up to `limit` due rows, most urgent first; the (status, due_at) index finds them, so its
    cost follows the due rows, not the millions of future ones (docs/benchmarks.md shows the plan)."""
    return (
        select(OutboundMessage.id)
        .where(OutboundMessage.status == "scheduled", OutboundMessage.due_at <= now)
        .order_by(OutboundMessage.priority, OutboundMessage.due_at, OutboundMessage.id)
        .limit(limit)
    )


def claim_due(session: Session, limit: int, now: datetime) -> list[tuple[int, int]]:
    """Claim up to `limit` due rows, most urgent first; return (id, priority) of those this call won."""
    ids = list(session.scalars(due_query(limit, now)))
    if not ids:
        return []
    won = set(transition(session, OutboundMessage.id.in_(ids), ("scheduled",), "queued", now, claimed_at=now))
    return _with_priority(session, [i for i in ids if i in won])


def requeue_lost(database: Database, connection: redis.Redis, settings: Settings, now: datetime) -> int:
    """Enqueue again the `queued` rows claimed longer than CLAIM_TIMEOUT_SECONDS ago."""
    cutoff = now - timedelta(seconds=settings.claim_timeout_seconds)
    with database.session() as session:
        lost = transition(
            session,
            OutboundMessage.claimed_at < cutoff,
            ("queued",),
            "queued",
            now,
            "enqueued again: its job was lost or is late",
            claimed_at=now,
        )
        rows = _with_priority(session, sorted(lost))
    if rows:
        log.warning("re-enqueueing %d SMS whose job was lost", len(rows))
    return enqueue_sends(connection, rows, settings.at_timeout_seconds)


def mark_stuck_sends(database: Database, settings: Settings, now: datetime) -> int:
    """Rows `sending` for longer than SEND_TIMEOUT_SECONDS: their worker died; they become `unknown`."""
    cutoff = now - timedelta(seconds=settings.send_timeout_seconds)
    with database.session() as session:
        stuck = transition(
            session,
            OutboundMessage.sending_at < cutoff,
            ("sending",),
            "unknown",
            now,
            "no answer recorded: the worker stopped while sending; not resent",
        )
        if stuck:
            log.warning("%d SMS left in 'sending' are now 'unknown' (not resent)", len(stuck))
            system_alerts.raise_alert(
                session,
                system_alerts.UNKNOWN_SENDS,
                "Some SMS may or may not have been sent (a worker stopped while sending); "
                "they are marked 'unknown' and will not be resent automatically.",
            )
    return len(stuck)


@contextmanager
def sweep_lock(connection: redis.Redis, ttl_seconds: float) -> Iterator[bool]:
    """Hold the cross-process sweep lock if free; yields whether this process got it."""
    token = uuid.uuid4().hex
    acquired = bool(connection.set(LOCK_KEY, token, nx=True, px=max(1, int(ttl_seconds * 1000))))
    try:
        yield acquired
    finally:
        if acquired and connection.get(LOCK_KEY) == token.encode():
            connection.delete(LOCK_KEY)


def run_pass(
    database: Database, connection: redis.Redis, settings: Settings, now: datetime
) -> SweepReport | None:
    """One pass under the lock; None when another process is sweeping."""
    with sweep_lock(connection, max(30.0, settings.sweep_interval_seconds * 10)) as acquired:
        if not acquired:
            return None
        return sweep(database, connection, settings, now)


def _with_priority(session: Session, ids: list[int]) -> list[tuple[int, int]]:
    """(id, priority) of `ids`, in the order given."""
    if not ids:
        return []
    query = select(OutboundMessage.id, OutboundMessage.priority).where(OutboundMessage.id.in_(ids))
    priorities = dict(session.execute(query).all())
    return [(i, priorities[i]) for i in ids]
