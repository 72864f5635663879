"""USSD latency and throughput: complete report-a-case sessions against the app as deployed (gunicorn).

Baseline: the same server answering `END ok` from a bare endpoint that touches neither Redis nor the
database, driven by the same client with the same request bodies. Sessions come from many volunteers'
phones (registered here). Throughput is measured in a closed loop at 32 and at 128 concurrent sessions
(the server saturated, so its latency there is only concurrency / throughput); the latency a volunteer
sees, in an open loop: sessions started at a fixed rate, half of what the USSD endpoint sustained.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import requests

from bench.common import BENCH_TOKEN, CpuMeter, Environment, Figure, bench_environment, gunicorn
from bench.load import OPEN_LOAD, Plan, Summary, form, run_load, steps
from service.people import add_volunteer

# Report a case: menu 1, first category, woman, 34 years, first village, no danger sign, no consent, confirm.
DEFAULT_INPUTS = "1*2*2*34*1*4*2*1"
INPUTS = tuple(os.environ.get("BENCH_USSD_INPUTS", DEFAULT_INPUTS).split("*"))
SECONDS = float(os.environ.get("BENCH_USSD_SECONDS", "8"))
CONCURRENCY = (32, 128)
CLIENT_PROCESSES = int(os.environ.get("BENCH_CLIENTS", "2"))
AREAS = ("TBK-A3", "GAO-A1", "MOP-A1")
EXTRA_VOLUNTEERS = 512
REFERENCE = re.compile(r"\bR[0-9A-Z]{3,8}\b")
USSD_PATH = f"/at/ussd?token={BENCH_TOKEN}"
BARE_PATH = "/bench/bare"
BARE_REDIS_PATH = "/bench/bare-redis"  # the bare endpoint plus the two Redis round trips of a USSD step
P99_TARGET_MS = 20
SHARE_TARGET = 0.75  # of the bare endpoint's throughput


def register_volunteers(environment: Environment, count: int) -> tuple[str, ...]:
    """`count` extra volunteers spread over the demo areas and both languages; returns their phones."""
    phones = tuple(f"+2237{n:07d}" for n in range(500_000, 500_000 + count))
    with environment.database.session() as session:
        for n, phone in enumerate(phones):
            add_volunteer(session, phone, f"Relais {n}", ("fr", "bm")[n % 2], AREAS[n % len(AREAS)])
    return phones


def is_bare_end(screen: str) -> bool:
    return screen == "END ok"


def is_report_end(screen: str) -> bool:
    return screen.startswith("END ") and REFERENCE.search(screen) is not None


def check_script(base_url: str, phones: tuple[str, ...]) -> None:
    """Walk the scripted session twice from the same phone; it must end on a screen with a reference."""
    for attempt in range(2):
        seen = []
        for text in steps(INPUTS):
            body = form(f"ATUid_bench_check_{attempt}", phones[0], text)
            answer = requests.post(
                base_url + USSD_PATH,
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=10,
            )
            seen.append(f"{text!r} -> {answer.status_code} {answer.text!r}")
        if not is_report_end(answer.text):
            transcript = "\n".join(seen)
            raise RuntimeError(
                f"the scripted inputs {'*'.join(INPUTS)} do not end a report with a reference "
                f"(set BENCH_USSD_INPUTS):\n{transcript}"
            )


def measure(
    base_url: str, path: str, phones: tuple[str, ...], lanes: int, check, rate: float = 0.0
) -> Summary:
    """Closed loop with `lanes` sessions, or open loop at `rate` sessions a second."""
    address = urlsplit(base_url)
    plan = Plan(
        address.hostname, address.port, path, INPUTS, phones, lanes, SECONDS, CLIENT_PROCESSES, rate=rate
    )
    with CpuMeter(f"{path.split('?')[0]} x{lanes}" + (f" at {rate:.0f} sessions/s" if rate else "")) as cpu:
        outcome = run_load(plan, check)
    return Summary.of(outcome, cpu.average)


def run() -> list[Figure]:
    """The USSD figures: throughput at 32 and 128 concurrent sessions, latency in an open loop, each beside
    the bare endpoint."""
    print(
        f"USSD: sessions of {len(INPUTS) + 1} requests ({'*'.join(INPUTS)}), {SECONDS:.0f} s per measure, "
        f"{CLIENT_PROCESSES} client processes",
        flush=True,
    )
    figures: list[Figure] = []
    with bench_environment() as environment:
        phones = register_volunteers(environment, EXTRA_VOLUNTEERS)
        with gunicorn(environment.env) as base_url:
            check_script(base_url, phones)
            ussd_rates, bare_rates = {}, {}
            for lanes in CONCURRENCY:
                bare = measure(base_url, BARE_PATH, phones, lanes, is_bare_end)
                bare_rates[lanes] = bare.rate
                print(f"    bare x{lanes}: {bare.rate:.0f} req/s, p99 {bare.p99_ms:.1f} ms")
                ussd = measure(base_url, USSD_PATH, phones, lanes, is_report_end)
                ussd_rates[lanes] = ussd.rate
                print(f"    USSD x{lanes}: {ussd.rate:.0f} req/s, p99 {ussd.p99_ms:.1f} ms; {ussd.notes}")
                figures += [
                    Figure(
                        "USSD",
                        f"{lanes} concurrent sessions, closed loop: throughput",
                        f"{ussd.rate:.0f} req/s ({ussd.sessions} sessions)",
                        f"{bare.rate:.0f} req/s",
                        f"{ussd.rate / bare.rate:.0%}",
                        f"≥ {SHARE_TARGET:.0%} of bare",
                        ussd.rate >= SHARE_TARGET * bare.rate and not ussd.failed,
                    ),
                    Figure(
                        "USSD",
                        f"{lanes} concurrent sessions, closed loop: latency p50 / p99",
                        f"{ussd.p50_ms:.1f} / {ussd.p99_ms:.1f} ms",
                        f"{bare.p50_ms:.1f} / {bare.p99_ms:.1f} ms",
                        f"p99 ×{ussd.p99_ms / bare.p99_ms:.1f}",
                        "",
                        None,
                        ussd.notes,
                    ),
                ]
                for figure in figures[-2:]:
                    figure.show()
            figures.append(redis_ceiling(base_url, phones, bare_rates[CONCURRENCY[0]]))
            figures[-1].show()
            figures.append(open_loop_latency(base_url, phones, OPEN_LOAD * ussd_rates[CONCURRENCY[0]]))
            figures[-1].show()
    return figures


def redis_ceiling(base_url: str, phones: tuple[str, ...], bare_rate: float) -> Figure:
    """What the bare endpoint keeps of its throughput once it makes a USSD step's two Redis round trips
    and nothing else: the most the USSD endpoint could reach by its design on this machine."""
    lanes = CONCURRENCY[0]
    ceiling = measure(base_url, BARE_REDIS_PATH, phones, lanes, is_bare_end)
    return Figure(
        "USSD",
        f"{lanes} concurrent sessions, closed loop: the bare endpoint plus a step's two Redis round trips "
        "(the design's ceiling, for comparison)",
        f"{ceiling.rate:.0f} req/s",
        f"{bare_rate:.0f} req/s",
        f"{ceiling.rate / bare_rate:.0%}",
        notes=ceiling.notes,
    )


def open_loop_latency(base_url: str, phones: tuple[str, ...], requests_per_s: float) -> Figure:
    """p50 / p99 of USSD and of the bare endpoint, sessions started at `requests_per_s` / their steps."""
    lanes = CONCURRENCY[0]
    sessions_per_s = requests_per_s / len(steps(INPUTS))
    bare = measure(base_url, BARE_PATH, phones, lanes, is_bare_end, sessions_per_s)
    ussd = measure(base_url, USSD_PATH, phones, lanes, is_report_end, sessions_per_s)
    return Figure(
        "USSD",
        f"open loop, {ussd.rate:.0f} req/s ({OPEN_LOAD:.0%} of its closed-loop throughput at {lanes}): "
        "latency p50 / p99",
        f"{ussd.p50_ms:.1f} / {ussd.p99_ms:.1f} ms",
        f"{bare.p50_ms:.1f} / {bare.p99_ms:.1f} ms",
        f"p99 ×{ussd.p99_ms / bare.p99_ms:.1f}",
        f"p99 ≤ {P99_TARGET_MS} ms",
        ussd.p99_ms <= P99_TARGET_MS and not ussd.failed,
        ussd.notes,
    )


if __name__ == "__main__":
    run()
