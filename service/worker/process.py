"""One worker process: a sweeper thread plus an RQ SimpleWorker (no fork per job) on the priority queues.

SIGTERM or SIGINT stops it after the job in hand; several can run at once on the same database and Redis.
When Redis is unreachable (restarted, a blip, not yet started) the worker waits, with a bounded backoff and
a log line, and resumes: rows live in the database, so nothing is lost, and a row is claimed before it is
sent, so nothing is sent twice.
"""

from __future__ import annotations

import logging
import threading

import redis
from flask import Flask
from rq import Queue, SimpleWorker

from service.config import get_settings
from service.db import get_db
from service.logs import REQUEST_ID, new_request_id
from service.periodic import PassContext
from service.redis_conn import connect
from service.sms.queues import QUEUES
from service.timeutil import utcnow
from service.worker.passes import run_locked

log = logging.getLogger(__name__)
RESTART_PAUSE_SECONDS = 1.0
# Seconds to wait before trying Redis again, after the 1st, 2nd... failure in a row.
REDIS_BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 15.0)


class SendWorker(SimpleWorker):
    """RQ's in-process worker that also tells the sweeper thread when a stop is requested."""

    def __init__(self, *args, stopping: threading.Event, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = stopping

    def perform_job(self, job, queue, execution) -> bool:
        """Run the job under the request id of whatever enqueued it (see `service.logs`)."""
        REQUEST_ID.set(str((job.meta or {}).get("request_id") or job.id))
        return super().perform_job(job, queue, execution)

    def request_stop(self, signum, frame) -> None:
        self.stopping.set()
        super().request_stop(signum, frame)


def sweep_forever(app: Flask, stopping: threading.Event) -> None:
    """Run the periodic passes every SWEEP_INTERVAL_SECONDS until `stopping` is set; a failure is logged
    and retried."""
    settings = get_settings(app)
    database, connection = get_db(app), connect(get_settings(app), fail_fast=False)
    while not stopping.is_set():
        new_request_id("pass-")
        try:
            counts = run_locked(PassContext(database, connection, settings, utcnow()))
            if counts and any(counts.values()):
                log.info("periodic passes: %s", counts)
        except redis.RedisError as error:
            log.warning("sweep pass skipped, Redis unreachable (%s)", error)
        except Exception:
            log.exception("sweep pass failed; trying again in %s s", settings.sweep_interval_seconds)
        stopping.wait(settings.sweep_interval_seconds)


def run_worker(app: Flask) -> None:
    """Sweep and send until SIGTERM/SIGINT; the RQ loop is restarted if it stops on an error, and waits
    for Redis when it is unreachable."""
    stopping = threading.Event()
    sweeper = threading.Thread(target=sweep_forever, args=(app, stopping), name="sweeper", daemon=True)
    sweeper.start()
    connection = connect(get_settings(app), fail_fast=False)
    failures = 0
    try:
        with app.app_context():
            while not stopping.is_set():
                queues = [Queue(name, connection=connection) for name in QUEUES]
                try:  # making an RQ worker already talks to Redis
                    worker = SendWorker(queues, connection=connection, stopping=stopping)
                    worker.work(logging_level="WARNING")
                except redis.RedisError as error:
                    pause = REDIS_BACKOFF_SECONDS[min(failures, len(REDIS_BACKOFF_SECONDS) - 1)]
                    failures += 1
                    log.warning("Redis unreachable (%s); trying again in %.0f s", error, pause)
                    stopping.wait(pause)
                    continue
                failures = 0
                if not stopping.is_set():
                    log.warning("the RQ worker loop stopped; starting it again")
                    stopping.wait(RESTART_PAUSE_SECONDS)
    finally:
        stopping.set()
        sweeper.join(timeout=30)
