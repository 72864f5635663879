"""Voice: calls placed per second, and the time of the voice callback's XML answer.

Calls: due call rows through the sweeper and one `python worker.py` process to the local Africa's
Talking-compatible voice server (its phones do not ring back), beside a bare loop of the same `POST /call`
requests on one keep-alive HTTP session, as the adapter sends them.

Callback: each session is one answered call's two steps (`POST /at/voice`: picked up, then the key 0,
which plays the message again and records the key), against the app as deployed (gunicorn), beside a bare
endpoint answering the same size of XML from memory, with the same client: first in a closed loop (what
each sustains), then in an open loop at half the callback's own rate (the answer time a caller hears).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import wave
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import requests

from bench.common import (
    BENCH_TOKEN,
    ROOT,
    CpuMeter,
    Environment,
    Figure,
    bench_environment,
    gunicorn,
    started,
)
from bench.load import OPEN_LOAD, Plan, Summary, run_load
from bench.sms_bench import pipeline_run
from service.config import Settings
from service.models import Channel, MessageStatus
from service.outbox.rows import schedule_message
from service.timeutil import utcnow
from service.voice.recordings import save_recording

API_KEY = "bench-api-key"
CALLS = int(os.environ.get("BENCH_VOICE_CALLS", "1500"))
BARE_CALLS = int(os.environ.get("BENCH_VOICE_BARE", "1500"))
SECONDS = float(os.environ.get("BENCH_VOICE_SECONDS", "8"))
LANES = 32
CLIENT_PROCESSES = int(os.environ.get("BENCH_CLIENTS", "2"))
CALL_ROWS = 256  # answered calls the callback sessions are about, a few per lane
VOICE_PATH = f"/at/voice?token={BENCH_TOKEN}"
BARE_PATH = "/bench/bare-xml"
NUMBER = "+22320220000"
P99_TARGET_MS = 20
STEPS_PER_CALL = 2


def phone(n: int) -> str:
    return f"+2237{n:07d}"


def silence(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * int(8000 * seconds))
    return out.getvalue()


def record(environment: Environment) -> None:
    """The recordings a medication call plays in French."""
    settings = Settings.from_env(environment.env)
    with environment.database.session() as session:
        for name in ("medication", "voice_keys"):
            save_recording(session, settings, name, "fr", silence(), "Jigi.", "bench", utcnow())


def add_call_rows(environment: Environment, count: int, status: str = MessageStatus.SCHEDULED) -> list[int]:
    """`count` medication reminder calls in French, due now, through the real scheduling function."""
    now = utcnow()
    with environment.database.session() as session:
        rows = [
            schedule_message(
                session,
                kind="medication",
                recipient=phone(n),
                language="fr",
                params={"reference": f"P{n:05d}", "dose_at": "2025-05-13T08:00:00+00:00"},
                due_at=now,
                expires_at=now + timedelta(hours=2),
                channel=Channel.VOICE,
                voice_language="fr",
            )
            for n in range(count)
        ]
        session.flush()
        for row in rows:
            row.status = status
            if status == MessageStatus.SENT:
                row.gateway_message_id = f"ATVId_bench_{row.id}"
        return [row.id for row in rows]


def add_due_calls(environment: Environment, count: int) -> None:
    add_call_rows(environment, count)


def bare_loop(url: str, count: int) -> float:
    """Calls per second of a plain loop of the adapter's request on one keep-alive session."""
    http = requests.Session()
    headers = {"apiKey": API_KEY, "Accept": "application/json"}
    start = time.perf_counter()
    for n in range(count):
        form = {"username": "sandbox", "from": NUMBER, "to": phone(n), "clientRequestId": f"jigi-{n}"}
        answer = http.post(url + "/call", data=form, headers=headers, timeout=10)
        assert answer.json()["entries"][0]["status"] == "Queued", answer.text
    return count / (time.perf_counter() - start)


def calls_placed(environment: Environment) -> list[Figure]:
    command = [sys.executable, str(ROOT / "bench" / "at_process.py"), API_KEY, "voice"]
    with started(command, environment.env, stdout=subprocess.PIPE, text=True) as server:
        url = server.stdout.readline().strip()
        with CpuMeter("bare call loop") as cpu:
            bare = bare_loop(url, BARE_CALLS)
        figures = [
            Figure("Voice", "bare HTTP call loop (baseline)", f"{bare:.0f} calls/s (CPU {cpu.average:.0f}%)")
        ]
        figures[-1].show()
        env = dict(
            environment.env,
            VOICE_GATEWAY="africastalking",
            AT_API_KEY=API_KEY,
            AT_VOICE_API_URL=url,
            AT_VOICE_NUMBER=NUMBER,
            PUBLIC_URL="http://127.0.0.1:9",
            QUIET_HOURS="off",
            CALLING_HOURS="off",
        )
        for workers in (1, 2):
            result = pipeline_run(environment, env, workers, server.pid, CALLS, add_due_calls)
            figures.append(
                Figure(
                    "Voice",
                    f"calls placed, {workers} worker process{'es' if workers > 1 else ''}",
                    f"{result.rate:.0f} calls/s (machine CPU {result.machine_cpu:.0f}%)",
                    f"{bare:.0f} calls/s",
                    f"{result.rate / bare:.0%} of bare",
                    "≥ 80% of bare",
                    result.rate >= 0.8 * bare,
                    f"{result.end_to_end:.0f} calls/s from commit, sweeper interval included; worker"
                    f"{'s' if workers > 1 else ''} {result.worker_cpu:.0f}% of a core, voice server "
                    f"{result.server_cpu:.0f}%",
                )
            )
            figures[-1].show()
    return figures


def voice_steps(references: tuple[str, ...]):
    """The script of one answered call: picked up, then the key 0 (hear it again)."""

    def script(_session_id: str, reference: str) -> list[bytes]:
        common = {"sessionId": f"ATVId_bench_{reference[5:]}", "clientRequestId": reference, "isActive": "1"}
        return [
            urlencode({**common, "direction": "Outbound", "callSessionState": "Answered"}).encode(),
            urlencode({**common, "dtmfDigits": "0"}).encode(),
        ]

    return script


def callback_latency(environment: Environment) -> list[Figure]:
    """The callback in a closed loop (what it sustains), then in an open loop at OPEN_LOAD of that (the
    answer time a caller hears on a busy server), each beside the bare endpoint."""
    ids = add_call_rows(environment, CALL_ROWS, MessageStatus.SENT)
    references = tuple(f"jigi-{row_id}" for row_id in ids)
    with gunicorn(dict(environment.env, PUBLIC_URL="http://127.0.0.1:9")) as base_url:
        address = urlsplit(base_url)

        def measure(path: str, check, rate: float = 0.0) -> Summary:
            plan = Plan(
                address.hostname, address.port, path, (), references, LANES, SECONDS, CLIENT_PROCESSES,
                script=voice_steps(references), accepts=lambda body: body.startswith("<?xml"), rate=rate,
            )  # fmt: skip
            with CpuMeter(
                f"{path.split('?')[0]} x{LANES}" + (f" at {rate:.0f} calls/s" if rate else "")
            ) as cpu:
                outcome = run_load(plan, check)
            return Summary.of(outcome, cpu.average)

        bare_check = lambda body: "<GetDigits" in body  # noqa: E731
        voice_check = lambda body: "<GetDigits" in body and "/voice/recordings/" in body  # noqa: E731
        bare_closed, voice_closed = measure(BARE_PATH, bare_check), measure(VOICE_PATH, voice_check)
        calls_per_s = OPEN_LOAD * voice_closed.rate / STEPS_PER_CALL
        bare, voice = (
            measure(BARE_PATH, bare_check, calls_per_s),
            measure(VOICE_PATH, voice_check, calls_per_s),
        )
    figures = [
        Figure(
            "Voice",
            f"/at/voice XML, closed loop, {LANES} concurrent calls: throughput",
            f"{voice_closed.rate:.0f} req/s (p99 {voice_closed.p99_ms:.1f} ms)",
            f"{bare_closed.rate:.0f} req/s (p99 {bare_closed.p99_ms:.1f} ms)",
            f"{voice_closed.rate / bare_closed.rate:.0%}",
            notes=voice_closed.notes,
        ),
        Figure(
            "Voice",
            f"/at/voice XML, open loop, {voice.rate:.0f} req/s ({OPEN_LOAD:.0%} of its closed-loop "
            "throughput): p50 / p99",
            f"{voice.p50_ms:.1f} / {voice.p99_ms:.1f} ms",
            f"{bare.p50_ms:.1f} / {bare.p99_ms:.1f} ms",
            f"p99 ×{voice.p99_ms / bare.p99_ms:.1f}",
            f"p99 ≤ {P99_TARGET_MS} ms",
            voice.p99_ms <= P99_TARGET_MS and not voice.failed and not voice_closed.failed,
            voice.notes,
        ),
    ]
    for figure in figures:
        figure.show()
    return figures


def run() -> list[Figure]:
    """The voice figures: calls placed beside a bare loop, then the callback's answer time."""
    print(
        f"Voice: {CALLS} due calls; bare loop of {BARE_CALLS} calls; callback for {SECONDS:.0f} s", flush=True
    )
    with bench_environment() as environment:
        record(environment)
        figures = calls_placed(environment)
        figures += callback_latency(environment)
    return figures


if __name__ == "__main__":
    run()
