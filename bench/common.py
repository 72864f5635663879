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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.config import Settings  # noqa: E402
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
def gunicorn(env: dict[str, str], app: str = "bench.wsgi:app", workers: int = 2) -> Iterator[str]:
    """The app served as deployed (gunicorn, `workers` sync workers); yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", app,
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--log-level", "warning", "--backlog", "2048",
        ],
        cwd=ROOT,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url + "/healthz", process)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(url: str, process: subprocess.Popen, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # polling a server that is starting: nothing to wait on but the socket
    raise RuntimeError(f"{url} did not answer within {deadline_s} s")


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def machine_line() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def settings_for(environment: Environment) -> Settings:
    return Settings.from_env(environment.env)
