"""Shared fixtures: a real database (SQLite, or PostgreSQL from DATABASE_URL) and a real Redis.

The schema is built once per run by the migrations; every test starts with empty tables and an empty
Redis database.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from service import create_app
from service.config import Settings
from service.db import Base, Database
from service.migrate import upgrade
from service.redis_conn import embedded_url, start_embedded

CALLBACK_TOKEN = "test-callback-token"
# `make fuzz` (a step of CI) runs the property tests with this many times their everyday examples.
FUZZ_FACTOR = max(1, int(os.environ.get("JIGI_FUZZ_FACTOR", "1")))


def examples(everyday: int) -> int:
    """How many examples a property test draws: `everyday` in `make test`, more in `make fuzz`."""
    return everyday * FUZZ_FACTOR


pytest_plugins = ("sms_fixtures",)  # the SMS area's fixtures: local gateway servers, worker processes


def free_port() -> int:
    """A loopback port where nothing listens (for a server a test starts, or a refused connection)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'jigi.db'}"
    database = Database(url)
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(database)
    database.engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    embedded = start_embedded(Path(tmp_path_factory.mktemp("redis")) / "test.rdb")
    yield embedded_url(embedded)
    embedded.shutdown()


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    """Test settings; a test changes one with `dataclasses.replace(settings, ...)`."""
    return replace(
        Settings.from_env({}),
        env="test",
        database_url=database_url,
        redis_url=redis_url,
        at_callback_token=CALLBACK_TOKEN,
        hotline="+22380001234",
    )


@pytest.fixture
def app(settings: Settings):
    app = create_app(settings)
    app.config.update(TESTING=True)
    database: Database = app.extensions["jigi.db"]
    _empty_tables(database)
    client = redis.Redis.from_url(settings.redis_url)
    client.flushdb()
    yield app
    client.flushdb()
    database.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app) -> Database:
    return app.extensions["jigi.db"]


@pytest.fixture
def demo(db: Database) -> None:
    """The shipped demo places, volunteers and on-call clinicians."""
    from service.cli import DEMO_DIR
    from service.demo import load_demo

    with db.session() as session:
        list(load_demo(session, DEMO_DIR))


def _empty_tables(database: Database) -> None:
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
