"""An HTTP load generator for sessions of form POSTs: several client processes, asyncio, raw sockets.

Closed loop (throughput): each lane runs one session after another and waits for each answer before the
next step (no think time), so the server is saturated. Open loop (latency): sessions start on a fixed
schedule, `rate` a second whatever the server does, and a session's first request is timed from the
instant it was due, so a server that falls behind shows it in the figures (no coordinated omission).
A session's steps always follow one another, as a phone sends them. A USSD session's steps carry the
accumulated `text` as Africa's Talking sends it; another script (a voice call's steps) gives its own
bodies. Lanes are spread over client processes so that the client is not the bottleneck; gunicorn's
sync workers close every connection, so each request opens its own (the same for the endpoint and its
baseline).
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.common import percentile

# The open loop's rate: a share of what the endpoint itself sustained in the closed loop (half: busy, not
# saturated). Its baseline runs at the same rate.
OPEN_LOAD = float(os.environ.get("BENCH_OPEN_LOAD", "0.5"))
SERVICE_CODE = "*384#"
NETWORK_CODE = "61002"


@dataclass(frozen=True)
class Plan:
    """What the clients do: where they post, the inputs of one session, and which phones each lane uses."""

    host: str
    port: int
    path: str
    inputs: tuple[str, ...]
    phones: tuple[str, ...]
    lanes: int
    seconds: float
    processes: int
    # The bodies of one session from (session id, the lane's phone or reference); None: USSD steps.
    script: Callable[[str, str], list[bytes]] | None = None
    accepts: Callable[[str], bool] = lambda body: body.startswith(("CON ", "END "))
    # Sessions started a second, over all processes; 0: closed loop, `lanes` sessions at a time.
    rate: float = 0.0

    def bodies(self, session_id: str, phone: str) -> list[bytes]:
        """The request bodies of one session."""
        if self.script:
            return self.script(session_id, phone)
        return [form(session_id, phone, text) for text in steps(self.inputs)]


@dataclass
class Outcome:
    """What one client process (or all of them, merged) measured."""

    latencies: list[float] = field(default_factory=list)
    sessions: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    elapsed: float = 0.0

    def merge(self, other: Outcome) -> None:
        self.latencies += other.latencies
        self.sessions += other.sessions
        self.failed += other.failed
        self.errors += other.errors[: max(0, 5 - len(self.errors))]
        self.cpu_seconds += other.cpu_seconds
        self.elapsed = max(self.elapsed, other.elapsed)


@dataclass(frozen=True)
class Summary:
    """An outcome's figures: requests a second, latency percentiles, and notes for the table."""

    rate: float
    p50_ms: float
    p99_ms: float
    sessions: int
    failed: int
    notes: str

    @classmethod
    def of(cls, outcome: Outcome, machine_cpu: float) -> Summary:
        latencies = sorted(outcome.latencies)
        client_cpu = 100 * outcome.cpu_seconds / outcome.elapsed
        notes = f"client CPU {client_cpu:.0f}% of a core, machine CPU {machine_cpu:.0f}%"
        if outcome.failed:
            notes += f", {outcome.failed} sessions FAILED (e.g. {outcome.errors[0][:120]})"
        return cls(
            len(latencies) / outcome.elapsed,
            1000 * percentile(latencies, 0.5),
            1000 * percentile(latencies, 0.99),
            outcome.sessions,
            outcome.failed,
            notes,
        )


def form(session_id: str, phone: str, text: str) -> bytes:
    """An AT USSD callback body (`phoneNumber` arrives as %2B223...)."""
    fields = {
        "sessionId": session_id,
        "serviceCode": SERVICE_CODE,
        "phoneNumber": phone,
        "networkCode": NETWORK_CODE,
        "text": text,
    }
    return urlencode(fields).encode()


def request_bytes(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def parse_response(raw: bytes) -> tuple[int, str]:
    """Status code and body of a complete HTTP/1.1 answer read until the server closed."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 else 0
    return status, body.decode("utf-8", "replace")


def steps(inputs: tuple[str, ...]) -> list[str]:
    """The `text` of every request of one session: "", "1", "1*1", ... ."""
    return ["*".join(inputs[:count]) for count in range(len(inputs) + 1)]


async def post(host: str, port: int, payload: bytes) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(payload)
        return parse_response(await reader.read())
    finally:
        writer.close()


async def session(
    plan: Plan, session_id: str, phone: str, outcome: Outcome, check, due: float | None = None
) -> None:
    """One session's requests in turn, each timed from when it left, the first from `due` if given."""
    last, ok = "", True
    for body in plan.bodies(session_id, phone):
        payload = request_bytes(plan.host, plan.port, plan.path, body)
        start = time.perf_counter() if due is None else due
        try:
            status, last = await post(plan.host, plan.port, payload)
        except OSError as error:
            status, last = 0, f"connection error: {error}"
        outcome.latencies.append(time.perf_counter() - start)
        due = None
        if status != 200 or not plan.accepts(last):
            ok = False
            break
    if ok and check(last):
        outcome.sessions += 1
    else:
        outcome.failed += 1
        if len(outcome.errors) < 5:
            outcome.errors.append(f"{phone} {session_id}: {last[:160]!r}")


async def lane(plan: Plan, number: int, deadline: float, outcome: Outcome, check) -> None:
    """Closed loop: sessions one after another until the deadline, on this lane's own phones."""
    own_phones = plan.phones[number :: plan.lanes]
    count = 0
    while time.perf_counter() < deadline:
        phone = own_phones[count % len(own_phones)]
        await session(plan, f"ATUid_bench_{os.getpid()}_{number}_{count}", phone, outcome, check)
        count += 1


async def open_loop(plan: Plan, share: range, deadline: float, outcome: Outcome, check) -> None:
    """Open loop: this process's share of `plan.rate`, each session on a phone not in a session."""
    free: asyncio.Queue[str] = asyncio.Queue()
    for number in share:
        for phone in plan.phones[number :: plan.lanes]:
            free.put_nowait(phone)
    interval = plan.processes / plan.rate
    first = time.perf_counter()
    running = []

    async def one(count: int, due: float) -> None:
        phone = await free.get()  # a phone never runs two sessions at once; waiting counts as latency
        try:
            await session(plan, f"ATUid_bench_{os.getpid()}_open_{count}", phone, outcome, check, due)
        finally:
            free.put_nowait(phone)

    for count in itertools.count():
        due = first + count * interval
        if due >= deadline:
            break
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        running.append(asyncio.create_task(one(count, due)))
    await asyncio.gather(*running)


def client_process(plan: Plan, share: range, start_at: float, check, results) -> None:
    """One client process: its share of the lanes, from `start_at` for `plan.seconds`."""
    outcome = Outcome()

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.perf_counter() + plan.seconds
        cpu = time.process_time()
        began = time.perf_counter()
        if plan.rate:
            await open_loop(plan, share, deadline, outcome, check)
        else:
            await asyncio.gather(*(lane(plan, number, deadline, outcome, check) for number in share))
        outcome.elapsed = time.perf_counter() - began
        outcome.cpu_seconds = time.process_time() - cpu

    asyncio.run(main())
    results.put(outcome)


def run_load(plan: Plan, check) -> Outcome:
    """Run `plan` in `plan.processes` client processes; `check(last_screen)` says a session succeeded."""
    if len(plan.phones) < plan.lanes:
        raise ValueError("each lane needs a phone of its own: a phone never runs two sessions at once")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 0.5  # every process starts its clock together
    shares = [range(n, plan.lanes, plan.processes) for n in range(plan.processes)]
    processes = [
        context.Process(target=client_process, args=(plan, share, start_at, check, results), daemon=True)
        for share in shares
    ]
    for process in processes:
        process.start()
    merged = Outcome()
    try:
        for _ in processes:
            merged.merge(results.get(timeout=plan.seconds + 120))
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return merged
