"""SMS throughput: due rows through the sweeper and `python worker.py` processes to a local AT server.

Baseline: a bare loop of `africastalking` SDK sends of the same message to the same server, one number a
request as the SDK is plainly used; the same loop with SMS_GROUP_SIZE numbers a request, as Jigi sends
reminders of one text, is shown beside it for comparison. The pipeline is measured with 1 and with 2 worker
processes, from the commit of the due rows until every row is `sent` (so the sweeper's interval is
included), with the machine's CPU utilisation during the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta

import africastalking
import psutil
import redis
from rq import Worker
from sqlalchemy import delete, func, select

from bench.common import ROOT, CpuMeter, Environment, Figure, bench_environment, started, wait_for
from service.config import Settings
from service.models import MessageEvent, OutboundMessage
from service.outbox.kinds import default_texts
from service.outbox.rows import schedule_message
from service.outbox.templates import render_body
from service.timeutil import utcnow

API_KEY = "bench-api-key"
ROWS = int(os.environ.get("BENCH_SMS_ROWS", "3000"))
BARE_SENDS = int(os.environ.get("BENCH_SMS_BARE", "1500"))
RUN_DEADLINE_S = 150
CPU_FULL = 85
ONE_WORKER_TARGET = 0.8  # of the bare SDK loop
SCALING_TARGET = f"scales: ≥ ×1.3 one worker, or CPU full (≥ {CPU_FULL}%)"
UNFINISHED = ("scheduled", "queued", "sending")
DOSE_AT = "2025-05-13T08:00:00+00:00"


def phone(n: int) -> str:
    return f"+2237{n:07d}"


def bare_loop(at_url: str, text: str, count: int, per_request: int = 1) -> float:
    """Messages per second of a plain loop of SDK sends, `per_request` numbers a request."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        africastalking.initialize("sandbox", API_KEY)
    service = africastalking.SMS
    service._baseUrl = at_url + "/version1"
    start = time.perf_counter()
    for first in range(0, count, per_request):
        numbers = [phone(n) for n in range(first, min(first + per_request, count))]
        reply = service.send(text, numbers, timeout=10)
        assert [r["statusCode"] for r in reply["SMSMessageData"]["Recipients"]] == [101] * len(numbers), reply
    return count / (time.perf_counter() - start)


def add_due_rows(environment: Environment, count: int) -> None:
    """`count` medication reminders due now, through the real scheduling function."""
    now = utcnow()
    with environment.database.session() as session:
        for n in range(count):
            schedule_message(
                session,
                kind="medication",
                recipient=phone(n),
                language="fr",
                params={"reference": f"P{n:05d}", "dose_at": DOSE_AT},
                due_at=now,
                expires_at=now + timedelta(hours=2),
            )


def clear_rows(environment: Environment) -> None:
    with environment.database.session() as session:
        session.execute(delete(MessageEvent))
        session.execute(delete(OutboundMessage))
    redis.Redis.from_url(environment.redis_url).flushdb()


def counts(environment: Environment) -> dict[str, int]:
    with environment.database.session() as session:
        query = select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        return dict(session.execute(query).all())


@dataclass(frozen=True)
class PipelineRun:
    """What one pipeline run measured."""

    rate: float  # rows per second from the sweeper's claim to the last row recorded sent
    end_to_end: float  # rows per second from the commit of the due rows, sweeper interval included
    machine_cpu: float  # % of the whole machine, from the sweeper's first claim to the last row sent
    worker_cpu: float  # % of one core, summed over the worker processes, over the same window
    server_cpu: float  # % of one core used by the local AT server, over the same window


def cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(sum(process.cpu_times()[:2]) for process in processes)


def pipeline_run(
    environment: Environment,
    env: dict[str, str],
    workers: int,
    at_server: int,
    rows: int = ROWS,
    add_rows: Callable[[Environment, int], None] = add_due_rows,
) -> PipelineRun:
    """Send `rows` due rows (made by `add_rows`) with `workers` worker processes; see PipelineRun for what
    is measured."""
    clear_rows(environment)
    connection = redis.Redis.from_url(environment.redis_url)
    with ExitStack() as stack:
        processes = [stack.enter_context(started([sys.executable, "worker.py"], env)) for _ in range(workers)]
        if not wait_for(lambda: len(Worker.all(connection=connection)) >= workers, 60):
            raise RuntimeError("the workers did not start")
        watched = [psutil.Process(process.pid) for process in processes]
        server = [psutil.Process(at_server)]
        add_rows(environment, rows)
        start = time.perf_counter()
        # CPU is measured from the sweeper's first claim, over the window the rate is measured in too.
        wait_for(lambda: counts(environment).get("scheduled", 0) < rows, RUN_DEADLINE_S, 0.01)
        claimed = time.perf_counter()
        cpu_before = cpu_seconds(watched), cpu_seconds(server)

        def progress() -> None:
            done = counts(environment).get("sent", 0)
            print(
                f"    {workers} worker(s): {done}/{rows} sent, {done / (time.perf_counter() - start):.0f}/s"
            )

        with CpuMeter(f"{workers} worker(s)") as cpu:
            finished = wait_for(lambda: finished_rows(environment), RUN_DEADLINE_S, 0.05, progress)
        elapsed = time.perf_counter() - start
        sending = time.perf_counter() - claimed
        worker_cpu = 100 * (cpu_seconds(watched) - cpu_before[0]) / sending
        server_cpu = 100 * (cpu_seconds(server) - cpu_before[1]) / sending
    final = counts(environment)
    if not finished or final != {"sent": rows}:
        print(f"    not all rows sent within {RUN_DEADLINE_S} s: {final}")
    with environment.database.session() as session:
        first_claim, last_sent = session.execute(
            select(func.min(OutboundMessage.claimed_at), func.max(OutboundMessage.sent_at))
        ).one()
    window = (last_sent - first_claim).total_seconds()
    sent = final.get("sent", 0)
    return PipelineRun(sent / window, sent / elapsed, cpu.average, worker_cpu, server_cpu)


def finished_rows(environment: Environment) -> bool:
    return not any(status in UNFINISHED for status in counts(environment))


@dataclass(frozen=True)
class SmsServer:
    """The local AT server in its own process, and what the workers and the bare loop send through it."""

    process: subprocess.Popen
    url: str
    text: str  # a medication reminder as the workers render it
    worker_env: dict[str, str]


@contextmanager
def sms_server(environment: Environment) -> Iterator[SmsServer]:
    """Start the local AT-compatible server (`bench/at_process.py`); stopped by its process id on exit."""
    command = [sys.executable, str(ROOT / "bench" / "at_process.py"), API_KEY]
    with started(command, environment.env, stdout=subprocess.PIPE, text=True) as process:
        url = process.stdout.readline().strip()
        settings = Settings.from_env(environment.env)
        params = {"reference": "P00001", "dose_at": DOSE_AT}
        text = render_body(default_texts()["medication"]["fr"], "medication", "fr", params, settings)
        worker_env = dict(
            environment.env,
            SMS_GATEWAY="africastalking",
            AT_API_KEY=API_KEY,
            AT_API_URL=url,
            QUIET_HOURS="off",
        )
        yield SmsServer(process, url, text, worker_env)


def run() -> list[Figure]:
    """The SMS figures: bare SDK loop, then the pipeline with 1 and 2 workers."""
    print(f"SMS: {ROWS} due rows per run; bare loop of {BARE_SENDS} SDK sends", flush=True)
    figures: list[Figure] = []
    with bench_environment() as environment, sms_server(environment) as server:
        with CpuMeter("bare SDK loop") as cpu:
            bare = bare_loop(server.url, server.text, BARE_SENDS)
        group = Settings().sms_group_size
        with CpuMeter(f"bare SDK loop, {group} numbers a request") as grouped_cpu:
            grouped = bare_loop(server.url, server.text, BARE_SENDS, group)
        figures += [
            Figure("SMS", "bare SDK loop (baseline)", f"{bare:.0f} msg/s (CPU {cpu.average:.0f}%)"),
            Figure(
                "SMS",
                f"bare SDK loop, {group} numbers a request (for comparison)",
                f"{grouped:.0f} msg/s (CPU {grouped_cpu.average:.0f}%)",
            ),
        ]
        for figure in figures:
            figure.show()
        runs: dict[int, PipelineRun] = {}
        for workers in (1, 2):
            result = runs[workers] = pipeline_run(environment, server.worker_env, workers, server.process.pid)
            scaled = workers == 1 or result.rate >= 1.3 * runs[1].rate or result.machine_cpu >= CPU_FULL
            figure = Figure(
                "SMS",
                f"{workers} worker process{'es' if workers > 1 else ''}",
                f"{result.rate:.0f} msg/s (machine CPU {result.machine_cpu:.0f}%)",
                f"{bare:.0f} msg/s",
                f"{result.rate / bare:.0%} of bare",
                f"≥ {ONE_WORKER_TARGET:.0%} of bare" if workers == 1 else SCALING_TARGET,
                result.rate >= ONE_WORKER_TARGET * bare if workers == 1 else scaled,
                f"{result.end_to_end:.0f} msg/s from commit, sweeper interval included; workers "
                f"{result.worker_cpu:.0f}% of a core, AT server {result.server_cpu:.0f}%",
            )
            figure.show()
            figures.append(figure)
    return figures


if __name__ == "__main__":
    run()
