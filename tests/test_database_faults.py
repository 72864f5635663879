"""When the database fails: bounded waits, polite answers, and no delivery report lost.

"Down" is a PostgreSQL address where nothing listens (connection refused at once), on either suite;
"frozen" is the real PostgreSQL of the suite behind a relay that stops passing bytes, as a stuck server
or network does (PostgreSQL suite only: a SQLite file cannot be frozen over a network).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
import redis
from conftest import CALLBACK_TOKEN, free_port
from console_support import sign_in
from sms_fixtures import NOON, add_message, row
from sqlalchemy import select
from tcp_relay import relay_to
from test_ussd_endpoint import MOUSSA

from service import create_app
from service.gateways.reports import KEPT_REPORTS_KEY, store_kept_reports
from service.models import MessageEvent, OutboundMessage
from service.periodic import PassContext

# What the issue asks of a USSD answer and /healthz with the database frozen.
ANSWER_WITHIN_SECONDS = 5.0


def ussd(client, text: str = "", session: str = "ATUid_fault"):
    form = {"sessionId": session, "serviceCode": "*384*4#", "phoneNumber": MOUSSA, "text": text}
    return client.post(f"/at/ussd?token={CALLBACK_TOKEN}", data=form)


def report(client, gateway_id: str, status: str = "Success", **extra: str):
    form = {"id": gateway_id, "status": status, **extra}
    return client.post(f"/at/sms/delivery?token={CALLBACK_TOKEN}", data=form)


def sent_row(db, gateway_id: str) -> int:
    """A row that the gateway accepted as `gateway_id` and whose report is awaited."""
    message_id = add_message(db)
    with db.session() as session:
        message = session.get(OutboundMessage, message_id)
        message.status, message.gateway_message_id = "sent", gateway_id
    return message_id


def store_kept(db, settings) -> dict[str, int]:
    return store_kept_reports(PassContext(db, redis.Redis.from_url(settings.redis_url), settings, NOON))


@pytest.fixture
def down_app(app, settings):
    """The app, with its database where nothing listens; Redis is the real one."""
    return create_app(replace(settings, database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/test"))


def test_delivery_report_is_kept_while_the_database_is_down_then_stored_at_its_arrival_time(
    db, settings, down_app
):
    message_id = sent_row(db, "ATXid_kept")
    before = time.time()

    answer = report(down_app.test_client(), "ATXid_kept", "Success")

    assert (answer.status_code, answer.text) == (200, "OK kept\n")
    assert row(db, message_id).status == "sent"
    assert store_kept(db, settings) == {"kept_reports": 1}
    stored = row(db, message_id)
    assert stored.status == "delivered"
    assert before - 1 <= stored.delivered_at.timestamp() <= time.time()
    assert redis.Redis.from_url(settings.redis_url).llen(KEPT_REPORTS_KEY) == 0


def test_a_kept_report_stored_twice_counts_once(db, settings, down_app):
    message_id = sent_row(db, "ATXid_twice")
    client = down_app.test_client()
    report(client, "ATXid_twice", "Failed", failureReason="AbsentSubscriber")
    report(client, "ATXid_twice", "Failed", failureReason="AbsentSubscriber")  # AT's own retry

    assert store_kept(db, settings) == {"kept_reports": 2}
    assert store_kept(db, settings) == {}
    failed = row(db, message_id)
    assert (failed.status, failed.last_error) == ("failed", "AbsentSubscriber")
    with db.session() as session:
        events = list(
            session.scalars(select(MessageEvent.status).where(MessageEvent.message_id == message_id))
        )
    assert events.count("report:Failed") == 1


def test_malformed_report_is_refused_even_while_the_database_is_down(settings, down_app):
    answer = report(down_app.test_client(), "ATXid_bad", "Lost")

    assert answer.status_code == 400
    assert redis.Redis.from_url(settings.redis_url).llen(KEPT_REPORTS_KEY) == 0


def test_report_gets_503_with_retry_after_when_database_and_redis_are_both_down(settings):
    nothing = f"127.0.0.1:{free_port()}"
    app = create_app(
        replace(
            settings, database_url=f"postgresql://postgres@{nothing}/test", redis_url=f"redis://{nothing}/0"
        )
    )

    answer = report(app.test_client(), "ATXid_lost", "Success")

    assert answer.status_code == 503
    assert int(answer.headers["Retry-After"]) > 0


def test_ussd_gets_the_polite_end_screen_while_the_database_is_down(down_app):
    answer = ussd(down_app.test_client())

    assert answer.status_code == 200
    assert answer.text.startswith("END ")


def test_console_page_says_in_french_to_come_back_when_the_database_is_down(app, client, db, down_app):
    sign_in(app, client, db, "coordinator")
    cookie = client.get_cookie("session")
    browser = down_app.test_client()
    browser.set_cookie("session", cookie.value)

    page = browser.get("/console/referrals")

    assert page.status_code == 503
    assert "La base de données ne répond pas" in page.text
    assert page.headers["Retry-After"]


def test_api_answers_503_in_json_when_the_database_is_down(down_app):
    answer = down_app.test_client().get("/api/v1/referrals", headers={"Authorization": "Bearer jigi_x"})

    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "unavailable"


@pytest.fixture
def frozen_relay(app, settings):
    """The suite's PostgreSQL behind a relay, and an app that reaches it only through the relay."""
    address = urlsplit(settings.database_url)
    if address.scheme != "postgresql":
        pytest.skip("a frozen server is a PostgreSQL fault; the SQLite suite has no server to freeze")
    with relay_to(address.port or 5432) as relay:
        url = address._replace(netloc=f"{address.username}@127.0.0.1:{relay.port}").geturl()
        relayed = create_app(replace(settings, database_url=url))
        yield relay, relayed
        relay.thaw()
        relayed.extensions["jigi.db"].engine.dispose()


def test_with_the_database_frozen_ussd_and_healthz_answer_within_seconds_and_reports_are_kept(
    demo, db, settings, frozen_relay
):
    relay, relayed = frozen_relay
    client = relayed.test_client()
    message_id = sent_row(db, "ATXid_frozen")
    assert ussd(client).text.startswith("CON ")  # the pool now holds a connection through the relay

    relay.freeze()
    started = time.monotonic()
    screen = ussd(client, session="ATUid_frozen")
    ussd_seconds = time.monotonic() - started
    started = time.monotonic()
    health = client.get("/healthz")
    health_seconds = time.monotonic() - started
    kept = report(client, "ATXid_frozen", "Success")

    assert screen.text.startswith("END ")
    assert ussd_seconds < ANSWER_WITHIN_SECONDS
    assert health.status_code == 503
    assert json.loads(health.text)["database"].startswith("error")
    assert health_seconds < ANSWER_WITHIN_SECONDS
    assert (kept.status_code, kept.text) == (200, "OK kept\n")

    relay.thaw()
    assert ussd(client, session="ATUid_thawed").text.startswith("CON ")
    assert store_kept(db, settings) == {"kept_reports": 1}
    assert row(db, message_id).status == "delivered"
    assert client.get("/healthz").status_code == 200


def test_command_line_jobs_wait_for_a_slow_database_instead_of_failing(settings, frozen_relay):
    relay, relayed = frozen_relay
    runner = relayed.test_cli_runner()
    assert runner.invoke(args=["sms", "status"]).exit_code == 0

    relay.freeze()
    # Frozen longer than the app's wait bound (DB_WAIT_TIMEOUT_SECONDS), which binds web requests only.
    thaw = threading.Timer(settings.db_wait_timeout_seconds + 1.0, relay.thaw)
    thaw.start()
    result = runner.invoke(args=["sms", "status"])
    thaw.join()

    assert result.exit_code == 0, result.output


def test_incoming_sms_gets_503_while_the_database_is_down_so_the_gateway_sends_it_again(down_app):
    form = {"from": "+22376123456", "to": "36200", "text": "STOP", "id": "ATXid_in", "date": "2026-11-30"}

    answer = down_app.test_client().post(f"/at/sms/inbound?token={CALLBACK_TOKEN}", data=form)

    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
