"""`make bench`: the USSD, SMS, voice, peak and scale benchmarks in turn, then docs/benchmarks.md's table.

Runs on DATABASE_URL (default: a fresh SQLite file) and a real Redis; BENCH_SCALE shrinks the scale part
for a quick run. Each part starts and stops its own processes; a part that fails is reported, the others
still run.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import peak_bench, report, scale_bench, sms_bench, ussd_bench, voice_bench  # noqa: E402
from bench.common import ROOT, Figure, machine_line  # noqa: E402
from service.db import make_engine  # noqa: E402

DOCUMENT = ROOT / "docs" / "benchmarks.md"


def database_label() -> tuple[str, str]:
    """The block key and the name and version of the configured database."""
    url = os.environ.get("DATABASE_URL")
    if not url or url.startswith("sqlite"):
        return "sqlite", f"SQLite {sqlite3.sqlite_version}"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SHOW server_version").scalar()
    finally:
        engine.dispose()
    return "postgresql", f"PostgreSQL {version}"


def main() -> int:
    started = time.monotonic()
    key, database = database_label()
    print(f"Jigi benchmarks on {database}; {machine_line()}", flush=True)
    figures: list[Figure] = []
    failures: list[str] = []
    plan = ""
    parts = (
        ("USSD", ussd_bench.run),
        ("SMS", sms_bench.run),
        ("voice", voice_bench.run),
        ("peak", peak_bench.run),
        ("scale", scale_bench.run),
    )
    for name, part in parts:
        try:
            result = part()
        except Exception as error:
            traceback.print_exc()
            failures.append(f"{name}: {type(error).__name__}: {error}")
            continue
        if isinstance(result, tuple):
            result, plan = result
        figures += result
    minutes = (time.monotonic() - started) / 60
    heading = (
        f"### {database}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"Machine: {machine_line()}. Whole run: {minutes:.1f} min."
    )
    report.write_block(DOCUMENT, key, report.block(key, heading, figures, plan, failures))
    print("\n" + report.table(figures))
    print(f"\nWritten to {DOCUMENT.relative_to(ROOT)} in {minutes:.1f} min.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
