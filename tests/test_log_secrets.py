"""No secret reaches a log: the callback token that Africa's Talking sends in every URL is redacted in
the access log of a real gunicorn run and in every log line Jigi or its libraries write."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import CALLBACK_TOKEN, free_port

from service.logs import REDACTED, configure, redact

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("POST /at/sms/inbound?token=abc123 HTTP/1.1", "POST /at/sms/inbound?token=[redacted] HTTP/1.1"),
        ("GET /x?a=1&token=abc&b=2", "GET /x?a=1&token=[redacted]&b=2"),
        ("url=/at/ussd%3Ftoken%3Dabc", "url=/at/ussd%3Ftoken%3D[redacted]"),
        ("Authorization: Bearer jigi_abc.def", "Authorization: Bearer [redacted]"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_secret_values_are_replaced_and_the_rest_kept(line, expected):
    assert redact(line) == expected


def test_every_logger_writes_the_redacted_line(caplog):
    configure()
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('"%s %s" 200', "POST", f"/at/sms/delivery?token={CALLBACK_TOKEN}")
    assert CALLBACK_TOKEN not in caplog.text and f"token={REDACTED}" in caplog.text


def test_gunicorns_access_log_never_shows_the_callback_token(settings, db, tmp_path):
    port, access_log = free_port(), tmp_path / "access.log"
    environment = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "AT_CALLBACK_TOKEN": CALLBACK_TOKEN,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "app:app", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
        + ["--access-logfile", str(access_log), "--error-logfile", str(tmp_path / "error.log")],
        cwd=ROOT,
        env=environment,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:  # bounded wait for the server to listen
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.1)
        form = {"id": "ATXid_log", "status": "Success", "phoneNumber": "+22376123456"}
        answer = requests.post(f"{base}/at/sms/delivery?token={CALLBACK_TOKEN}", data=form, timeout=10)
        assert answer.status_code < 500
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = access_log.read_text() + (tmp_path / "error.log").read_text()
    assert "/at/sms/delivery?token=[redacted]" in logged
    assert CALLBACK_TOKEN not in logged
