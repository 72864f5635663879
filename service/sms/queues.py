"""RQ queues for sending: one per priority, workers listen in QUEUES order. Jobs carry row ids only.

A job carries up to JOB_BATCH ids: RQ's own work per job (a dozen Redis round trips) costs more than
sending one SMS, so a backlog is sent in batches. A small load is still split one id per job, up to
SPREAD jobs per queue, so that every worker takes a share at once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator

import redis
from rq import Queue

from service.logs import REQUEST_ID
from service.outbox.kinds import Priority

QUEUES = ("emergency", "medication", "appointment", "default")
SEND_JOB = "service.sms.jobs.send_job"
FAILED_JOB_TTL = 24 * 3600
JOB_BATCH = 50
SPREAD = 4


def queue_for(priority: int) -> str:
    """The queue of a row's priority: emergency alerts first, then medication, appointments, the rest."""
    if priority <= Priority.EMERGENCY:
        return "emergency"
    if priority <= Priority.MEDICATION:
        return "medication"
    if priority <= Priority.APPOINTMENT:
        return "appointment"
    return "default"


def queue_key(name: str) -> str:
    """The Redis list of a queue's waiting jobs (RQ's naming)."""
    return Queue.redis_queue_namespace_prefix + name


def batches(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in order, split into jobs of at most JOB_BATCH ids and into at least min(len, SPREAD) jobs."""
    jobs = max(math.ceil(len(ids) / JOB_BATCH), min(len(ids), SPREAD))
    size, extra = divmod(len(ids), jobs) if jobs else (0, 0)
    start = 0
    for number in range(jobs):
        end = start + size + (1 if number < extra else 0)
        yield ids[start:end]
        start = end


def enqueue_sends(
    connection: redis.Redis, rows: Iterable[tuple[int, int]], seconds_per_message: float
) -> int:
    """Enqueue send jobs for (id, priority) rows, one Redis pipeline per queue; return how many rows."""
    by_queue: dict[str, list[int]] = defaultdict(list)
    for message_id, priority in rows:
        by_queue[queue_for(priority)].append(message_id)
    for name, ids in by_queue.items():
        queue = Queue(name, connection=connection)
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    SEND_JOB,
                    args=tuple(batch),
                    timeout=int(seconds_per_message * len(batch)) + 60,
                    result_ttl=0,
                    failure_ttl=FAILED_JOB_TTL,
                    description=f"send SMS #{', #'.join(map(str, batch))}",
                    meta={"request_id": REQUEST_ID.get()},  # the worker logs the job under it
                )
                for batch in batches(ids)
            ]
        )
    return sum(len(ids) for ids in by_queue.values())
