"""Two gateways in order (SMS_GATEWAY=orange,android), both real protocols over loopback: the second
carries what the first surely did not send, and nothing goes twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import redis
from console_support import sign_in
from sms_fixtures import NOON, add_message, row, send_due, through_orange
from sqlalchemy import select

from service.devtools.android_server import AndroidServer
from service.devtools.orange_server import Failure
from service.gateways.chain import GatewayHealth, alert_on_gateways_down, read_health
from service.gateways.port import Outcome, SendResult
from service.gateways.registry import make_gateway
from service.models import OutboundMessage, SystemAlert
from service.outbox.kinds import Priority
from service.periodic import PassContext
from service.sms.sender import deliver_batch

PATIENT = "+22376123456"
CLINICIAN = "+22366123456"


@pytest.fixture
def phone() -> Iterator[AndroidServer]:
    server = AndroidServer().start()
    yield server
    server.stop()


@pytest.fixture
def both(settings, orange, phone):
    return through_orange(
        settings,
        orange,
        "orange,android",
        android_gateway_url=phone.url,
        android_gateway_username=phone.username,
        android_gateway_password=phone.password,
        at_timeout_seconds=1.0,
    )


def emergency(db) -> int:
    """An emergency alert to an on-call clinician, as the referral code schedules it."""
    params = {"reference": "R7K2", "village": "Moudakane", "volunteer_phone": "+22376000001"}
    message_id = add_message(db, kind="emergency_alert", recipient=CLINICIAN, params=params)
    assert row(db, message_id).priority == Priority.EMERGENCY
    return message_id


def test_while_the_first_gateway_works_everything_goes_through_it(db, orange, phone, both):
    first, second = add_message(db, recipient=PATIENT), emergency(db)

    assert send_due(db, both, NOON) == {first: "sent", second: "sent"}
    assert len(orange.sent()) == 2 and phone.accepted() == []
    assert {row(db, first).gateway, row(db, second).gateway} == {"orange"}


def test_an_emergency_goes_through_the_phone_at_once_while_orange_is_down_once_in_total(
    db, orange, phone, both
):
    orange.stop()
    alert = emergency(db)

    assert send_due(db, both, NOON) == {alert: "sent"}
    assert [message.id for message in phone.accepted()] == [f"jigi-{alert}"]
    sent = row(db, alert)
    assert (sent.gateway, sent.attempts) == ("android", 1)
    assert send_due(db, both, NOON) == {}  # nothing left to send: it went once


def test_a_reminder_waits_for_its_backoff_on_the_first_gateway_before_moving_on(db, orange, phone, both):
    reminder = add_message(db, recipient=PATIENT)
    orange.fail_next(Failure(503))

    assert send_due(db, both, NOON) == {reminder: "scheduled"}
    assert phone.accepted() == []

    last_try = replace(both, max_send_attempts=2)
    orange.fail_next(Failure(503))
    assert send_due(db, last_try, row(db, reminder).due_at) == {reminder: "sent"}
    assert row(db, reminder).gateway == "android" and len(phone.accepted()) == 1


def test_a_paused_gateway_is_left_aside_and_the_next_one_sends(db, orange, phone, both):
    wrong = replace(both, orange_client_secret="wrong")
    first, second = add_message(db, recipient=PATIENT), add_message(db, recipient="+22376123457")

    assert send_due(db, wrong, NOON) == {first: "sent", second: "sent"}
    assert orange.token_requests == 1 and orange.sent() == []  # asked once, then left aside
    assert {row(db, first).gateway, row(db, second).gateway} == {"android"}


def test_an_answer_in_doubt_on_the_first_gateway_is_never_sent_on_the_next(db, orange, phone, both):
    orange.fail_next(Failure(201, None, "slow", delay=2.0))  # longer than the 1 s timeout
    alert = emergency(db)

    assert send_due(db, both, NOON) == {alert: "unknown"}
    assert phone.accepted() == []
    assert row(db, alert).gateway == "orange"


def test_each_gateways_health_is_kept_for_the_console(app, db, orange, phone, both, settings):
    client = redis.Redis.from_url(settings.redis_url)
    orange.stop()
    ids = [emergency(db)]
    with db.session() as session:
        session.execute(
            OutboundMessage.__table__.update().where(OutboundMessage.id.in_(ids)).values(status="queued")
        )
    deliver_batch(db, make_gateway(both, client), both, ids, NOON)

    health = read_health(client, ["orange", "android"])
    assert "cannot connect" in health["orange"]["last_error"] and "failing_since" in health["orange"]
    assert "last_success_at" in health["android"] and "failing_since" not in health["android"]
    with db.session() as session:
        assert session.scalars(select(OutboundMessage.gateway)).one() == "android"


def test_the_sms_page_shows_each_gateway_and_which_one_sent_a_message(app, client, db, orange, phone, both):
    health = GatewayHealth(redis.Redis.from_url(both.redis_url))
    health.record("orange", SendResult(Outcome.TRANSIENT, reason="cannot connect: refused"))
    health.record("android", SendResult(Outcome.ACCEPTED))
    orange.stop()
    alert = emergency(db)
    send_due(db, both, NOON)
    app.extensions["jigi.settings"] = both
    sign_in(app, client, db, "coordinator")

    page = client.get("/console/messages").get_data(as_text=True)
    detail = client.get(f"/console/messages/{alert}").get_data(as_text=True)

    assert "1. Orange" in page and "En panne depuis" in page and "cannot connect: refused" in page
    assert "2. Téléphone Android" in page and "Dernier envoi réussi" in page
    assert "Téléphone Android" in detail


def test_a_gateway_failing_for_ten_minutes_alerts_coordinators_until_it_sends_again(db, both):
    client = redis.Redis.from_url(both.redis_url)
    health = GatewayHealth(client)
    health.record("android", SendResult(Outcome.TRANSIENT, reason="the phone answered 503 (offline?)"))
    since = read_health(client, ["android"])["android"]["failing_since"]
    started = datetime.fromisoformat(since)

    def run(at):
        return alert_on_gateways_down(PassContext(db, client, both, at))

    assert run(started + timedelta(minutes=5)) == {}
    assert run(started + timedelta(minutes=11)) == {"gateways_down": 1}
    run(started + timedelta(minutes=12))  # still down: still one alert
    health.record("android", SendResult(Outcome.ACCEPTED))
    run(started + timedelta(minutes=13))

    with db.session() as session:
        alerts = session.scalars(select(SystemAlert).where(SystemAlert.kind == "gateway_down")).all()
    assert len(alerts) == 1 and "android" in alerts[0].message and alerts[0].resolved_at is not None
