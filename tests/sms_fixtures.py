"""Fixtures and helpers for the SMS tests: the local Africa's Talking- and Orange-compatible servers,
settings that point the real SDK at AT's, the app served to gateways, outbound rows, and worker processes
started by a test."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from service.config import Settings
from service.db import Database
from service.devtools.at_server import ATServer
from service.devtools.orange_server import OrangeServer
from service.gateways.port import Outgoing
from service.gateways.registry import make_gateway
from service.models import OutboundMessage
from service.outbox.rows import schedule_message
from service.sms.sender import deliver
from service.sms.sweeper import claim_due

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "test-api-key"
NOON = datetime(2025, 5, 12, 12, 0, tzinfo=UTC)  # a Monday, outside quiet hours in Bamako


@pytest.fixture
def at_server(settings: Settings) -> Iterator[ATServer]:
    """The AT-compatible server on a free loopback port, posting callbacks to nowhere until told."""
    server = ATServer(api_key=API_KEY, token=settings.at_callback_token).start()
    yield server
    server.stop()


@contextmanager
def served(app, port: int = 0) -> Iterator[str]:
    """The app served over HTTP on loopback (a free port by default), for gateways' servers to post
    callbacks to."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def live_service(app, at_server: ATServer) -> Iterator[str]:
    """The app over HTTP; the AT server posts its callbacks there."""
    with served(app) as url:
        at_server.service_url = url
        yield url


@pytest.fixture
def orange(settings: Settings) -> Iterator[OrangeServer]:
    """The Orange-compatible server on a free loopback port."""
    server = OrangeServer(token=settings.at_callback_token).start()
    yield server
    server.stop()


def through_orange(settings: Settings, server: OrangeServer, gateways: str = "orange", **extra) -> Settings:
    """`settings` sending through `gateways` (SMS_GATEWAY), Orange's being the local `server`."""
    return replace(
        settings,
        sms_gateway=gateways,
        orange_api_url=server.url,
        orange_client_id=server.client_id,
        orange_client_secret=server.client_secret,
        **extra,
    )


@pytest.fixture
def at_settings(settings: Settings, at_server: ATServer) -> Settings:
    """Settings that send through the real SDK to the local server."""
    return replace(
        settings,
        sms_gateway="africastalking",
        at_api_key=API_KEY,
        at_api_url=at_server.url,
        at_timeout_seconds=2.0,
    )


def add_message(
    database: Database,
    kind: str = "followup_checkin",
    recipient: str = "+22376123456",
    language: str = "fr",
    params: dict | None = None,
    due_at: datetime = NOON,
    **extra,
) -> int:
    """One scheduled outbound row, written as the care and USSD code write them; returns its id."""
    with database.session() as session:
        row = schedule_message(
            session,
            kind=kind,
            recipient=recipient,
            language=language,
            params={"reference": "R4M9"} if params is None else params,
            due_at=due_at,
            **extra,
        )
        session.flush()
        return row.id


def send_due(database: Database, settings: Settings, now: datetime) -> dict[int, str]:
    """What a sweeper pass and a worker do, in this process: claim due rows, then send each."""
    gateway = make_gateway(settings)
    with database.session() as session:
        claimed = claim_due(session, 1000, now)
    return {message_id: deliver(database, gateway, settings, message_id, now) for message_id, _ in claimed}


def outgoing(recipient: str, text: str, reference: str = "jigi-1", **flags: bool) -> Outgoing:
    """One SMS as the sender hands it to a gateway."""
    return Outgoing(reference=reference, recipient=recipient, text=text, **flags)


def row(database: Database, message_id: int) -> OutboundMessage:
    with database.session() as session:
        return session.get(OutboundMessage, message_id)


def count_by_status(database: Database) -> dict[str, int]:
    with database.session() as session:
        query = select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        return dict(session.execute(query).all())


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, processes: Iterable[subprocess.Popen] = ()
) -> None:
    """Poll an observable condition until it holds; fail with `what` after `timeout` seconds, or at once
    if one of `processes` (workers that should be running) has exited."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"worker {process.pid} exited ({process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        pause.wait(0.1)


def worker_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """Environment for `python worker.py` on the test database, Redis and settings."""
    gateway_keys = ("AT_", "SMS_", "ORANGE_", "ANDROID_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(gateway_keys)}
    env.update(
        JIGI_ENV="test",
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url or "",
        AT_CALLBACK_TOKEN=settings.at_callback_token,
        SMS_GATEWAY=settings.sms_gateway,
        AT_API_KEY=settings.at_api_key,
        AT_API_URL=settings.at_api_url or "",
        AT_TIMEOUT_SECONDS=str(settings.at_timeout_seconds),
        ORANGE_API_URL=settings.orange_api_url,
        ORANGE_CLIENT_ID=settings.orange_client_id,
        ORANGE_CLIENT_SECRET=settings.orange_client_secret,
        ANDROID_GATEWAY_URL=settings.android_gateway_url or "",
        ANDROID_GATEWAY_USERNAME=settings.android_gateway_username,
        ANDROID_GATEWAY_PASSWORD=settings.android_gateway_password,
        SWEEP_INTERVAL_SECONDS="0.2",
        HOTLINE=settings.hotline,
    )
    env.update(overrides)
    return env


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], subprocess.Popen]]:
    """Start `python worker.py` processes; any still running at the end are stopped and reaped."""
    started: list[subprocess.Popen] = []

    def start(env: dict[str, str]) -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(started)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
