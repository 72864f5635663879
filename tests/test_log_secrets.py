"""No secret reaches a log: the callback token that Africa's Talking sends in every URL is redacted in
the access log of a real gunicorn run and in every log line Jigi or its libraries write."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import CALLBACK_TOKEN, free_port
from sms_fixtures import wait_until

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
        ("GET /console/patients?q=76+12+34+60 HTTP/1.1", "GET /console/patients?q=[phone] HTTP/1.1"),
        ("GET /console/patients?phone=%2B22376123456&x=1", "GET /console/patients?phone=[phone]&x=1"),
        (
            "console SMS console-2d17 to +22376123460 (12 characters)",
            "console SMS console-2d17 to [phone] (12 characters)",
        ),
        (
            "claimed 12 rows in 0.25 s at 2026-12-03 08:22:28,474",
            "claimed 12 rows in 0.25 s at 2026-12-03 08:22:28,474",
        ),
    ],
)
def test_secret_values_are_replaced_and_the_rest_kept(line, expected):
    assert redact(line) == expected


def test_every_logger_writes_the_redacted_line(caplog):
    configure()
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('"%s %s" 200', "POST", f"/at/sms/delivery?token={CALLBACK_TOKEN}")
    assert CALLBACK_TOKEN not in caplog.text and f"token={REDACTED}" in caplog.text


def test_gunicorns_access_log_never_shows_the_callback_token_nor_a_phone_number(settings, db, tmp_path):
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

        def answers() -> bool:  # a worker still booting accepts the connection but answers late
            try:
                requests.get(f"{base}/healthz", timeout=2)
            except (requests.ConnectionError, requests.Timeout):
                return False
            return True

        wait_until(answers, 60, "gunicorn to answer /healthz", [server])
        form = {"id": "ATXid_log", "status": "Success", "phoneNumber": "+22376123456"}
        answer = requests.post(f"{base}/at/sms/delivery?token={CALLBACK_TOKEN}", data=form, timeout=10)
        assert answer.status_code < 500
        search = requests.get(f"{base}/console/patients?q=76+12+34+60&phone=%2B22376123456", timeout=10)
        assert search.status_code < 500
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = access_log.read_text() + (tmp_path / "error.log").read_text()
    assert "/at/sms/delivery?token=[redacted]" in logged
    assert CALLBACK_TOKEN not in logged
    assert "76+12+34+60" not in logged and "22376123456" not in logged and "q=[phone]" in logged


def test_an_opt_out_is_logged_by_reference_not_by_number(db, caplog):
    from service.care.patients import add_patient, opt_out

    with db.session() as session:
        reference = add_patient(session, "+22376123499", "fr").reference
        with caplog.at_level(logging.INFO):
            opt_out(session, "+22376123499", "sms")

    line = next(record.getMessage() for record in caplog.records if "opt-out" in record.getMessage())
    assert reference in line and "76123499" not in line


def test_a_database_error_line_names_the_statement_not_its_values(db):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as raised, db.engine.connect() as connection:
        connection.execute(
            text("SELECT * FROM no_such_table WHERE phone = :phone"), {"phone": "+22376123498"}
        )
    assert "+22376123498" not in str(raised.value)


JSON_PROGRAM = """
import json
import logging
from service import logs
logs.configure("json")
logs.REQUEST_ID.set("req-42")
logging.getLogger("service.demo").warning("sent to +22376123456 via /at/sms?token=abc123")
try:
    raise ValueError("no route to +22376123456")
except ValueError:
    logging.getLogger("service.demo").exception("failed")
"""


def test_json_logs_are_one_object_a_line_with_the_request_id_and_nothing_secret():
    run = subprocess.run(
        [sys.executable, "-c", JSON_PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    lines = [json.loads(line) for line in run.stderr.splitlines()]
    assert [(line["level"], line["logger"], line["request_id"]) for line in lines] == [
        ("WARNING", "service.demo", "req-42"),
        ("ERROR", "service.demo", "req-42"),
    ]
    assert lines[0]["message"] == "sent to [phone] via /at/sms?token=[redacted]"
    assert "ValueError" in lines[1]["error"] and "+22376123456" not in run.stderr


def test_each_web_request_gets_an_id_and_a_sane_given_one_is_kept(client):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})
    made = client.get("/healthz", headers={"X-Request-ID": "not sane; id"})
    other = client.get("/healthz")
    assert given.headers["X-Request-ID"] == "lb-7f3a"
    assert len(made.headers["X-Request-ID"]) == 16 and " " not in made.headers["X-Request-ID"]
    assert other.headers["X-Request-ID"] != made.headers["X-Request-ID"]
