"""A closed-loop HTTP load generator for sessions of form POSTs: several client processes, asyncio, raw
sockets.

Each lane runs one session after another and waits for each answer before the next step (no think
time). A USSD session's steps carry the accumulated `text` as Africa's Talking sends it; another script
(a voice call's steps) gives its own bodies. Lanes are
spread over client processes so that the client is not the bottleneck; gunicorn's sync workers close
every connection, so each request opens its own (the same for the endpoint and its baseline).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

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


async def lane(plan: Plan, number: int, deadline: float, outcome: Outcome, check) -> None:
    """Sessions one after another until the deadline, on this lane's own phones (never two at once)."""
    texts = steps(plan.inputs)
    own_phones = plan.phones[number :: plan.lanes]
    count = 0
    while time.perf_counter() < deadline:
        phone = own_phones[count % len(own_phones)]
        session_id = f"ATUid_bench_{os.getpid()}_{number}_{count}"
        count += 1
        last = ""
        ok = True
        bodies = (
            plan.script(session_id, phone) if plan.script else [form(session_id, phone, t) for t in texts]
        )
        for body in bodies:
            payload = request_bytes(plan.host, plan.port, plan.path, body)
            start = time.perf_counter()
            try:
                status, last = await post(plan.host, plan.port, payload)
            except OSError as error:
                status, last = 0, f"connection error: {error}"
            outcome.latencies.append(time.perf_counter() - start)
            if status != 200 or not plan.accepts(last):
                ok = False
                break
        if ok and check(last):
            outcome.sessions += 1
        else:
            outcome.failed += 1
            if len(outcome.errors) < 5:
                outcome.errors.append(f"{phone} {session_id}: {last[:160]!r}")


def client_process(plan: Plan, share: range, start_at: float, check, results) -> None:
    """One client process: its share of the lanes, from `start_at` for `plan.seconds`."""
    outcome = Outcome()

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.perf_counter() + plan.seconds
        cpu = time.process_time()
        began = time.perf_counter()
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
