"""The 08:00 peak: 50,000 reminders held by quiet hours become due at once, while emergencies arrive.

The reminders are scheduled for later, then released in one UPDATE of their due time, as 08:00 releases
what the night held. Two `python worker.py` processes send them to the local AT-compatible server. From
the release on, one emergency alert is raised every second, as a volunteer's report would raise it, until
the last reminder has left. Measured: the time until the last reminder left (beside the time a bare SDK
loop would take for as many sends), and each emergency's time from its commit to `sent`, beside the same
emergencies raised with nothing else to send, in the same run. The AT server's own record of what it
received says whether anything was sent twice.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta
from os import environ

import redis
import requests
from rq import Worker
from sqlalchemy import func, select, update

from bench.common import CpuMeter, Environment, Figure, bench_environment, percentile, started, wait_for
from bench.sms_bench import (
    DOSE_AT,
    UNFINISHED,
    bare_loop,
    clear_rows,
    counts,
    finished_rows,
    phone,
    sms_server,
)
from service.models import Kind, MessageEvent, MessageStatus, OutboundMessage
from service.outbox import details
from service.outbox.rows import schedule_message, schedule_messages
from service.timeutil import utcnow

REMINDERS = int(environ.get("BENCH_PEAK", "50000"))
WORKERS = 2
EMERGENCIES_ALONE = 10
EMERGENCY_EVERY_S = 1.0
BARE_SENDS = 1000
DEADLINE_S = 900
EMERGENCY_TARGET_S = 10.0  # from the alert's commit to the SMS accepted by the gateway
ALERT_PARAMS = {"reference": "R4M9", "village": "Bellafarandi", "volunteer_phone": "+22376123456"}
CLINICIAN_BASE = 900_000


def hold_reminders(environment: Environment, count: int) -> None:
    """`count` medication reminders scheduled a day ahead, in one bulk insert."""
    later = utcnow() + timedelta(days=1)
    rows = (
        {
            "kind": Kind.MEDICATION,
            "recipient": phone(n),
            "language": "fr",
            "params": {"reference": f"P{n:05d}", "dose_at": DOSE_AT},
            "due_at": later,
            "expires_at": later + timedelta(hours=2),
        }
        for n in range(count)
    )
    with environment.database.session() as session:
        schedule_messages(session, rows)


def release(environment: Environment) -> datetime:
    """Make every held reminder due now, in one statement, as the end of quiet hours does."""
    with environment.database.session() as session:
        now = utcnow()
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.kind == Kind.MEDICATION, OutboundMessage.status == MessageStatus.SCHEDULED)
            .values(due_at=now)
        )
    return now


def raise_emergency(environment: Environment, number: int) -> tuple[int, datetime]:
    """One emergency alert SMS to an on-call clinician, due now; its id and the instant it was committed."""
    with environment.database.session() as session:
        row = schedule_message(
            session,
            kind=Kind.EMERGENCY_ALERT,
            recipient=phone(CLINICIAN_BASE + number),
            language="fr",
            params=ALERT_PARAMS,
        )
        session.flush()
        row_id = row.id
    return row_id, utcnow()


class Emergencies(threading.Thread):
    """Raises one emergency every EMERGENCY_EVERY_S until stopped; remembers when each was committed."""

    def __init__(self, environment: Environment, first_number: int) -> None:
        super().__init__(daemon=True)
        self.environment = environment
        self.number = first_number
        self.committed: dict[int, datetime] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            row_id, at = raise_emergency(self.environment, self.number)
            self.committed[row_id] = at
            self.number += 1
            self.stopping.wait(EMERGENCY_EVERY_S)


def latencies(environment: Environment, committed: dict[int, datetime]) -> list[float]:
    """Seconds from each emergency's commit to its `sent` (rows not sent are left out, and counted apart)."""
    with environment.database.session() as session:
        query = select(OutboundMessage.id, OutboundMessage.sent_at).where(OutboundMessage.id.in_(committed))
        sent = {row_id: at for row_id, at in session.execute(query) if at is not None}
    return sorted((sent[i] - committed[i]).total_seconds() for i in sent)


def emergencies_alone(environment: Environment) -> list[float]:
    """Emergencies raised one a second with nothing else to send: the baseline of their latency."""
    committed = dict(raise_emergency_then_wait(environment, number) for number in range(EMERGENCIES_ALONE))
    return latencies(environment, committed)


def backlog_gone(environment: Environment) -> bool:
    """Whether every held reminder has left (emergencies raised meanwhile are waited for apart)."""
    with environment.database.session() as session:
        query = select(func.count()).where(
            OutboundMessage.kind == Kind.MEDICATION, OutboundMessage.status.in_(UNFINISHED)
        )
        return not session.scalar(query)


def raise_emergency_then_wait(environment: Environment, number: int) -> tuple[int, datetime]:
    row_id, at = raise_emergency(environment, number)
    if not wait_for(lambda: finished_rows(environment), 30, 0.05):
        raise RuntimeError("an emergency alert was not sent within 30 s on an idle system")
    return row_id, at


def requeued(environment: Environment) -> int:
    """History lines saying a row was enqueued again because its job looked lost."""
    with environment.database.session() as session:
        query = select(func.count()).where(MessageEvent.detail == details.REQUEUED.text())
        return int(session.scalar(query) or 0)


def sent_twice(at_url: str) -> int:
    """Numbers the AT server received a message for more than once (each row has its own number)."""
    received = requests.get(at_url + "/_control/received", timeout=60).json()
    return sum(count - 1 for count in Counter(entry["to"] for entry in received).values() if count > 1)


def summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5):.1f} s, max {max(values, default=float('nan')):.1f} s"


def run() -> list[Figure]:
    """The peak figures: the backlog's drain time, and emergencies' latency alone and during the peak."""
    print(f"Peak: {REMINDERS} reminders released at once, {WORKERS} workers, emergencies", flush=True)
    with bench_environment() as environment, sms_server(environment) as server:
        bare = bare_loop(server.url, server.text, BARE_SENDS)
        requests.post(server.url + "/_control/reset", timeout=10)
        clear_rows(environment)
        return peak(environment, server.worker_env, server.url, bare)


def peak(environment: Environment, env: dict[str, str], at_url: str, bare: float) -> list[Figure]:
    connection = redis.Redis.from_url(environment.redis_url)
    with ExitStack() as stack:
        for _ in range(WORKERS):
            stack.enter_context(started([sys.executable, "worker.py"], env))
        if not wait_for(lambda: len(Worker.all(connection=connection)) >= WORKERS, 60):
            raise RuntimeError("the workers did not start")
        alone = emergencies_alone(environment)
        print(f"    emergencies alone: {summary(alone)}", flush=True)
        hold_reminders(environment, REMINDERS)
        released_at = release(environment)
        emergencies = Emergencies(environment, EMERGENCIES_ALONE)
        emergencies.start()
        start = time.perf_counter()

        def progress() -> None:
            done, total = counts(environment).get("sent", 0), REMINDERS + len(emergencies.committed)
            print(f"    {done}/{total} sent, {time.perf_counter() - start:.0f} s", flush=True)

        try:
            with CpuMeter("peak") as cpu:
                drained = wait_for(lambda: backlog_gone(environment), DEADLINE_S, 0.25, progress)
        finally:
            emergencies.stopping.set()
            emergencies.join(timeout=30)
        wait_for(lambda: finished_rows(environment), 60, 0.05)  # the last emergency raised
    with environment.database.session() as session:
        last_sent = session.scalar(
            select(func.max(OutboundMessage.sent_at)).where(OutboundMessage.kind == Kind.MEDICATION)
        )
    final = counts(environment)
    expected = REMINDERS + EMERGENCIES_ALONE + len(emergencies.committed)
    during = latencies(environment, emergencies.committed)
    drain = (last_sent - released_at).total_seconds() if last_sent else float("nan")
    twice, again = sent_twice(at_url), requeued(environment)
    complete = drained and final == {"sent": expected}
    figures = [
        Figure(
            "Peak",
            f"{REMINDERS:,} reminders released at once: until the last left, {WORKERS} workers",
            f"{drain:.0f} s ({REMINDERS / drain:.0f} msg/s, machine CPU {cpu.average:.0f}%)",
            f"{REMINDERS / bare:.0f} s (bare SDK loop, {bare:.0f} msg/s)",
            f"{REMINDERS / drain / bare:.0%} of bare" if drain else "",
            "all sent, none twice",
            complete and twice == 0,
            f"final statuses {final}; sent twice: {twice}; rows enqueued again as lost: {again}",
        ),
        Figure(
            "Peak",
            f"emergency alerts during the peak ({len(during)}, one a second): commit to sent",
            summary(during),
            f"{summary(alone)} ({len(alone)} alone)",
            f"p50 ×{percentile(during, 0.5) / percentile(alone, 0.5):.1f}" if alone and during else "",
            f"every one ≤ {EMERGENCY_TARGET_S:.0f} s",
            bool(during) and max(during) <= EMERGENCY_TARGET_S and len(during) == len(emergencies.committed),
        ),
    ]
    for figure in figures:
        figure.show()
    return figures


if __name__ == "__main__":
    run()
