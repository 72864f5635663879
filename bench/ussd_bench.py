"""USSD latency and throughput: complete report-a-case sessions against the app as deployed (gunicorn).

Baseline: the same server answering `END ok` from a bare endpoint that touches neither Redis nor the
database, driven by the same client with the same request bodies. Sessions come from many volunteers'
phones (registered here), at 32 and at 128 concurrent sessions.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import requests

from bench.common import BENCH_TOKEN, CpuMeter, Environment, Figure, bench_environment, gunicorn, percentile
from bench.load import Outcome, Plan, form, run_load, steps
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


def measure(base_url: str, path: str, phones: tuple[str, ...], lanes: int, check) -> tuple[Outcome, float]:
    address = urlsplit(base_url)
    plan = Plan(address.hostname, address.port, path, INPUTS, phones, lanes, SECONDS, CLIENT_PROCESSES)
    with CpuMeter(f"{path.split('?')[0]} x{lanes}") as cpu:
        outcome = run_load(plan, check)
    return outcome, cpu.average


def summary(outcome: Outcome, machine_cpu: float) -> tuple[float, float, float, str]:
    latencies = sorted(outcome.latencies)
    rate = len(latencies) / outcome.elapsed
    client_cpu = 100 * outcome.cpu_seconds / outcome.elapsed
    notes = f"client CPU {client_cpu:.0f}% of a core, machine CPU {machine_cpu:.0f}%"
    if outcome.failed:
        notes += f", {outcome.failed} sessions FAILED (e.g. {outcome.errors[0][:120]})"
    return rate, 1000 * percentile(latencies, 0.5), 1000 * percentile(latencies, 0.99), notes


def run() -> list[Figure]:
    """The USSD figures at 32 and 128 concurrent sessions, each beside the bare endpoint."""
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
            for lanes in CONCURRENCY:
                bare = summary(*measure(base_url, BARE_PATH, phones, lanes, is_bare_end))
                bare_rate, bare_p50, bare_p99, bare_notes = bare
                print(
                    f"    bare x{lanes}: {bare_rate:.0f} req/s, p50 {bare_p50:.1f} ms, p99 {bare_p99:.1f} ms"
                )
                ussd, ussd_cpu = measure(base_url, USSD_PATH, phones, lanes, is_report_end)
                rate, p50, p99, notes = summary(ussd, ussd_cpu)
                print(f"    USSD x{lanes}: {rate:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms; {notes}")
                figures.append(
                    Figure(
                        "USSD",
                        f"{lanes} concurrent sessions: throughput",
                        f"{rate:.0f} req/s ({ussd.sessions} sessions)",
                        f"{bare_rate:.0f} req/s",
                        f"{rate / bare_rate:.0%}",
                        f"≥ {SHARE_TARGET:.0%} of bare",
                        rate >= SHARE_TARGET * bare_rate and not ussd.failed,
                    )
                )
                figures.append(
                    Figure(
                        "USSD",
                        f"{lanes} concurrent sessions: latency p50 / p99",
                        f"{p50:.1f} / {p99:.1f} ms",
                        f"{bare_p50:.1f} / {bare_p99:.1f} ms",
                        f"p99 ×{p99 / bare_p99:.1f}",
                        f"p99 ≤ {P99_TARGET_MS} ms" if lanes == 32 else "",
                        p99 <= P99_TARGET_MS if lanes == 32 else None,
                        notes,
                    )
                )
                for figure in figures[-2:]:
                    figure.show()
    return figures


if __name__ == "__main__":
    run()
