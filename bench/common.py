"""Shared pieces of the benchmarks: the database and Redis they use, the deployed web server, figures.

Everything runs on this machine and talks over loopback only; every process started here is stopped
here, by its process id.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis
import requests
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.db import Base, Database  # noqa: E402
from service.demo import load_demo  # noqa: E402
from service.migrate import upgrade  # noqa: E402
from service.redis_conn import embedded_url, start_embedded  # noqa: E402

BENCH_TOKEN = "bench-callback-token"
BENCH_REDIS_DB = 14


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@dataclass
class Environment:
    """The database and Redis one benchmark run uses, and the environment for its processes."""

    database_url: str
    redis_url: str
    env: dict[str, str]
    database: Database


@contextmanager
def bench_environment() -> Iterator[Environment]:
    """The configured DATABASE_URL (default: a fresh SQLite file) with the demo data, and a real Redis."""
    embedded = None
    with tempfile.TemporaryDirectory(prefix="jigi-bench-") as scratch:
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
        redis_url = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{BENCH_REDIS_DB}"
        if not redis_answers(redis_url):
            embedded = start_embedded(Path(scratch) / "redis" / "bench.rdb")
            redis_url = embedded_url(embedded)
        database = Database(database_url)
        reset_database(database)
        env = dict(
            os.environ,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            AT_CALLBACK_TOKEN=BENCH_TOKEN,
            JIGI_ENV="development",
            PYTHONPATH=str(ROOT),
        )
        try:
            yield Environment(database_url, redis_url, env, database)
        finally:
            database.engine.dispose()
            if embedded is not None:
                embedded.shutdown()


def reset_database(database: Database) -> None:
    """An empty schema built by the migrations, with the demo places and people."""
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        Base.metadata.drop_all(database.engine)
        with database.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(database)
    with database.session() as session:
        list(load_demo(session, ROOT / "service" / "demo"))


@contextmanager
def started(command: list[str], env: dict[str, str], **popen: object) -> Iterator[subprocess.Popen]:
    """A process started here and stopped here by its PID (SIGTERM, then SIGKILL), even on error."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, **popen)  # type: ignore[call-overload]
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen, grace_s: float = 30) -> None:
    """Stop one process we started: SIGTERM, and SIGKILL if it is still there after `grace_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace_s)


@contextmanager
def gunicorn(env: dict[str, str], app: str = "bench.wsgi:app", workers: int = 2) -> Iterator[str]:
    """The app served as deployed (gunicorn, `workers` sync workers); yields its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--log-level", "warning", "--backlog", "2048",
    ]  # fmt: skip
    with started(command, env) as process:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url + "/healthz", process)
        yield base_url


def wait_until_up(url: str, process: subprocess.Popen, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)  # polling a server that is starting: nothing to wait on but the socket
    raise RuntimeError(f"{url} did not answer within {deadline_s} s")


class CpuMeter:
    """Machine-wide CPU utilisation over a `with` block, also printed every second as progress."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.samples: list[float] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.average = float("nan")

    def __enter__(self) -> CpuMeter:
        psutil.cpu_percent(interval=None)
        self._start = psutil.cpu_times()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        end = psutil.cpu_times()
        spent = {f: getattr(end, f) - getattr(self._start, f) for f in end._fields if f not in COUNTED_TWICE}
        idle = sum(spent.get(f, 0.0) for f in IDLE_FIELDS)
        self.average = 100.0 * (1 - idle / max(sum(spent.values()), 1e-9))

    def _sample(self) -> None:
        while not self._stopping.wait(1.0):
            self.samples.append(psutil.cpu_percent(interval=None))
            print(f"    [{self.label}] CPU {self.samples[-1]:5.1f}%", flush=True)


IDLE_FIELDS = ("idle", "iowait")
COUNTED_TWICE = ("guest", "guest_nice")  # Linux counts guest time in user time as well


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (`fraction` 0.99 for p99)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def machine_line() -> str:
    """The machine the figures were measured on, for the results table."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


@dataclass(frozen=True)
class Figure:
    """One line of the results table: a measured figure beside its baseline, and its target."""

    section: str
    measure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    notes: str = ""

    def show(self) -> None:
        verdict = {True: "target met", False: "TARGET MISSED", None: ""}[self.met]
        beside = f"  (baseline {self.baseline}, {self.ratio})" if self.baseline else ""
        notes = f"\n    ({self.notes})" if self.notes else ""
        print(f"==> {self.section}: {self.measure}: {self.value}{beside}  {verdict}{notes}", flush=True)


def wait_for(
    condition: Callable[[], bool],
    deadline_s: float,
    every_s: float = 0.25,
    progress: Callable[[], None] | None = None,
) -> bool:
    """Poll `condition` until true or `deadline_s` passed; `progress()` is called about once a second."""
    deadline = time.monotonic() + deadline_s
    next_progress = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if condition():
            return True
        if progress is not None and time.monotonic() >= next_progress:
            progress()
            next_progress += 1.0
        time.sleep(every_s)  # polling an observable condition with a bounded deadline
    return bool(condition())
