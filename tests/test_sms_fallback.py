"""Two gateways in order (SMS_GATEWAY=orange,android), both real protocols over loopback: the second
carries what the first surely did not send, and nothing goes twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis
from at_fixtures import NOON, add_message, row, send_due
from sqlalchemy import select

from service.devtools.android_server import AndroidServer
from service.devtools.orange_server import Failure, OrangeServer
from service.models import OutboundMessage
from service.outbox.kinds import Priority
from service.sms.fallback import read_health

PATIENT = "+22376123456"
CLINICIAN = "+22366123456"


@pytest.fixture
def orange(settings) -> Iterator[OrangeServer]:
    server = OrangeServer(token=settings.at_callback_token).start()
    yield server
    server.stop()


@pytest.fixture
def phone() -> Iterator[AndroidServer]:
    server = AndroidServer().start()
    yield server
    server.stop()


@pytest.fixture
def both(settings, orange, phone):
    return replace(
        settings,
        sms_gateway="orange,android",
        orange_api_url=orange.url,
        orange_client_id=orange.client_id,
        orange_client_secret=orange.client_secret,
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
    from service.sms.gateway import make_gateway
    from service.sms.sender import deliver_batch

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
