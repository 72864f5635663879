"""Database engine and sessions: one engine per process, one session per request or job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import psycopg
from flask import Flask, Response, current_app
from sqlalchemy import ColumnDefault, CursorResult, DateTime, Engine, Result, Table, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from service.errors import msgid
from service.timeutil import as_utc

# What a request meets when the database does not answer in time (frozen, stopped, unreachable).
UNAVAILABLE_ERRORS = (OperationalError, PoolTimeout)
DATABASE_UNAVAILABLE = msgid("The database is not answering. Try again in a minute.")
RETRY_AFTER_SECONDS = 30

# Lifted by `unbounded()` for work that may legitimately wait long (migrations, command-line jobs).
_bounded: ContextVar[bool] = ContextVar("jigi_db_bounded", default=True)


class Base(DeclarativeBase):
    """Base class of every table."""


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite stores it naive, so restore the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use service.timeutil.utcnow()")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class BoundedConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server ends after `wait_timeout` seconds.

    libpq has no client-side statement timeout, and a server-side one needs a server that answers: a
    frozen server or network would hold a USSD request for ever. On timeout the connection is closed
    (its state is unknown), so SQLAlchemy discards it, and the caller gets an OperationalError.
    """

    wait_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is None and self.wait_timeout is not None and _bounded.get():
            timeout = self.wait_timeout
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except psycopg.errors._WaitTimeout:
            self.pgconn.finish()
            raise


@contextmanager
def unbounded() -> Iterator[None]:
    """Let database waits in this context take as long as they need (migrations, CLI jobs)."""
    token = _bounded.set(False)
    try:
        yield
    finally:
        _bounded.reset(token)


def make_engine(
    url: str, connect_timeout_seconds: int | None = None, wait_timeout_seconds: float | None = None
) -> Engine:
    """Create the engine; SQLite gets a busy timeout and WAL so web and workers can share it.

    On PostgreSQL, the timeouts bound how long a connection attempt and each wait for the server take
    (none by default: benchmarks and tools wait as long as needed; the app passes its settings).
    """
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args = {} if connect_timeout_seconds is None else {"connect_timeout": connect_timeout_seconds}
    # An error line names the statement, never its values (phone numbers, texts).
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True)
    if wait_timeout_seconds is not None and engine.dialect.driver == "psycopg":

        @event.listens_for(engine, "do_connect")
        def _bounded_connection(_dialect, _record, cargs, cparams) -> psycopg.Connection:
            connection = BoundedConnection.connect(*cargs, **cparams)
            connection.wait_timeout = wait_timeout_seconds
            return connection

    return engine


class Database:
    """The engine and session factory of one app."""

    def __init__(
        self, url: str, connect_timeout_seconds: int | None = None, wait_timeout_seconds: float | None = None
    ) -> None:
        self.url = url
        self.engine = make_engine(url, connect_timeout_seconds, wait_timeout_seconds)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


class OnDemandSession:
    """A request's session, opened the first time it is asked for (most USSD screens need none), then
    committed, or rolled back on error, when the `with` block ends."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._opened = ExitStack()
        self._session: Session | None = None

    def __enter__(self) -> OnDemandSession:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._opened.__exit__(*exc_info)  # never suppresses: the session re-raises after its rollback

    def get(self) -> Session:
        if self._session is None:
            self._session = self._opened.enter_context(self.database.session())
        return self._session


def init_app(app: Flask, url: str, connect_timeout_seconds: int, wait_timeout_seconds: float) -> None:
    app.extensions["jigi.db"] = Database(url, connect_timeout_seconds, wait_timeout_seconds)
    app.register_error_handler(OperationalError, unavailable_response)
    app.register_error_handler(PoolTimeout, unavailable_response)


def unavailable_response(_error: Exception) -> Response:
    """A 503 that tells the caller (a gateway, a browser, a load balancer) to come back later."""
    return Response(
        DATABASE_UNAVAILABLE + "\n",
        status=503,
        mimetype="text/plain",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def get_db(app: Flask | None = None) -> Database:
    """The Database of `app` (default: the current app)."""
    return (app or current_app).extensions["jigi.db"]


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (SQLAlchemy types execute() results generically)."""
    return cast(CursorResult[Any], result).rowcount


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts naming the same columns) in the session's transaction, as one INSERT of each
    would: the columns' Python defaults and type conversions applied. PostgreSQL gets them by COPY, one
    protocol message a row and no statement each (about three times an executemany's rate); other
    databases by executemany."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(table.insert(), rows)
        return
    named = list(rows[0])
    # Evaluated once for the batch: the rows are created at the same instant, in one transaction.
    defaults = {
        column.name: column.default.arg(None) if column.default.is_callable else column.default.arg
        for column in table.columns
        if column.name not in named and isinstance(column.default, ColumnDefault)
    }
    names = named + list(defaults)
    convert = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    fixed = list(defaults.values())
    cursor = cast(psycopg.Connection, session.connection().connection.driver_connection).cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = [row[name] for name in named] + fixed
            copy.write_row(
                [value if to is None else to(value) for to, value in zip(convert, values, strict=True)]
            )
