"""The sweeper: turns due rows into RQ jobs and repairs what a lost job or a dead worker left behind.

The database is the truth and Redis only a work list: rows are claimed (`scheduled` -> `queued`) with a
conditional update before their ids are enqueued, `queued` rows whose job was lost (Redis flushed, worker
killed) are enqueued again after CLAIM_TIMEOUT_SECONDS, and rows stuck in `sending` past
SEND_TIMEOUT_SECONDS become `unknown` (see service.sms.sender). While the queues below emergency already
hold MAX_WAITING_JOBS jobs no worker has taken, a pass claims emergencies only: a backlog (the 08:00 peak)
waits in the database, not in Redis, so no row waits `queued` long enough to look lost. It is the
worker's `sending` pass (service/worker/passes.py), which runs under the passes' cross-process lock.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service import system_alerts
from service.config import Settings
from service.db import Database
from service.models import MessageStatus, OutboundMessage
from service.outbox import details
from service.outbox.kinds import Priority
from service.outbox.lifecycle import transition
from service.periodic import PassContext
from service.sms.queues import QUEUES, enqueue_sends, queue_key
from service.system_alerts import AlertKind

log = logging.getLogger(__name__)

MAX_BATCHES_PER_PASS = 50
MAX_WAITING_JOBS = 200  # 5,000-10,000 rows: well under CLAIM_TIMEOUT_SECONDS of sending


@dataclass(frozen=True)
class SweepReport:
    """What one pass did."""

    claimed: int = 0
    requeued: int = 0
    unknown: int = 0


def sending_pass(context: PassContext) -> dict[str, int]:
    """The worker's sending pass."""
    return asdict(sweep(context.database, context.redis, context.settings, context.now))


def sweep(database: Database, connection: redis.Redis, settings: Settings, now: datetime) -> SweepReport:
    """One pass: give up on stuck sends, re-enqueue lost jobs, enqueue due rows."""
    unknown = mark_stuck_sends(database, settings, now)
    requeued = requeue_lost(database, connection, settings, now)
    claimed = 0
    for _batch in range(MAX_BATCHES_PER_PASS):
        urgent_only = waiting_jobs(connection) >= MAX_WAITING_JOBS
        with database.session() as session:
            rows = claim_due(session, settings.sweep_batch_size, now, urgent_only)
        claimed += enqueue_sends(connection, rows, settings.at_timeout_seconds)
        if len(rows) < settings.sweep_batch_size:
            break
    return SweepReport(claimed=claimed, requeued=requeued, unknown=unknown)


def waiting_jobs(connection: redis.Redis) -> int:
    """Send jobs waiting in the queues below emergency, not yet taken by a worker."""
    pipeline = connection.pipeline(transaction=False)
    for name in QUEUES[1:]:
        pipeline.llen(queue_key(name))
    return sum(pipeline.execute())


def due_query(limit: int, now: datetime, urgent_only: bool = False) -> Select[int]:
    """The ids of up to `limit` due rows, most urgent first (emergencies only if `urgent_only`); the
    (status, due_at) index finds them, so its cost follows the due rows, not the millions of future ones,
    and the partial index on (priority, due_at, id) of scheduled rows serves the order without a sort
    (docs/benchmarks.md shows the plan)."""
    query = select(OutboundMessage.id).where(
        OutboundMessage.status == MessageStatus.SCHEDULED, OutboundMessage.due_at <= now
    )
    if urgent_only:
        query = query.where(OutboundMessage.priority <= Priority.EMERGENCY)
    return query.order_by(OutboundMessage.priority, OutboundMessage.due_at, OutboundMessage.id).limit(limit)


def claim_due(
    session: Session, limit: int, now: datetime, urgent_only: bool = False
) -> list[tuple[int, int]]:
    """Claim up to `limit` due rows, most urgent first; return (id, priority) of those this call won."""
    ids = list(session.scalars(due_query(limit, now, urgent_only)))
    if not ids:
        return []
    won = set(
        transition(
            session,
            OutboundMessage.id.in_(ids),
            (MessageStatus.SCHEDULED,),
            MessageStatus.QUEUED,
            now,
            claimed_at=now,
        )
    )
    return _with_priority(session, [i for i in ids if i in won])


def requeue_lost(database: Database, connection: redis.Redis, settings: Settings, now: datetime) -> int:
    """Enqueue again the `queued` rows claimed longer than CLAIM_TIMEOUT_SECONDS ago."""
    cutoff = now - timedelta(seconds=settings.claim_timeout_seconds)
    with database.session() as session:
        lost = transition(
            session,
            OutboundMessage.claimed_at < cutoff,
            (MessageStatus.QUEUED,),
            MessageStatus.QUEUED,
            now,
            details.REQUEUED.text(),
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
            (MessageStatus.SENDING,),
            MessageStatus.UNKNOWN,
            now,
            details.NO_ANSWER.text(),
        )
        if stuck:
            log.warning("%d SMS left in 'sending' are now 'unknown' (not resent)", len(stuck))
            system_alerts.raise_alert(
                session,
                AlertKind.UNKNOWN_SENDS,
                "Some SMS may or may not have been sent (a worker stopped while sending); "
                "they are marked 'unknown' and will not be resent automatically.",
            )
    return len(stuck)


def _with_priority(session: Session, ids: list[int]) -> list[tuple[int, int]]:
    """(id, priority) of `ids`, in the order given."""
    if not ids:
        return []
    query = select(OutboundMessage.id, OutboundMessage.priority).where(OutboundMessage.id.in_(ids))
    priorities = dict(session.execute(query).all())
    return [(i, priorities[i]) for i in ids]
