"""RQ queues for sending: one per priority, workers listen in QUEUES order. Jobs carry row ids only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import redis
from rq import Queue

from service.models import PRIORITY_APPOINTMENT, PRIORITY_EMERGENCY, PRIORITY_MEDICATION

QUEUES = ("emergency", "medication", "appointment", "default")
SEND_JOB = "service.sms.jobs.send_job"
FAILED_JOB_TTL = 24 * 3600


def queue_for(priority: int) -> str:
    """The queue of a row's priority: emergency alerts first, then medication, appointments, the rest."""
    if priority <= PRIORITY_EMERGENCY:
        return "emergency"
    if priority <= PRIORITY_MEDICATION:
        return "medication"
    if priority <= PRIORITY_APPOINTMENT:
        return "appointment"
    return "default"


def enqueue_sends(connection: redis.Redis, rows: Iterable[tuple[int, int]], job_timeout: int) -> int:
    """Enqueue one send job per (id, priority), one Redis pipeline per queue; return how many."""
    by_queue: dict[str, list[int]] = defaultdict(list)
    for message_id, priority in rows:
        by_queue[queue_for(priority)].append(message_id)
    for name, ids in by_queue.items():
        queue = Queue(name, connection=connection)
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    SEND_JOB,
                    args=(message_id,),
                    timeout=job_timeout,
                    result_ttl=0,
                    failure_ttl=FAILED_JOB_TTL,
                    description=f"send SMS #{message_id}",
                )
                for message_id in ids
            ]
        )
    return sum(len(ids) for ids in by_queue.values())
