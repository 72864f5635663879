"""An Android phone as gateway, spoken to for real over loopback through the project's compatible server:
sends with Jigi's own ids, the phone offline, webhooks registered once, signed events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from sms_fixtures import NOON, add_message, outgoing, row, send_due, served
from sqlalchemy import select

from service import create_app
from service.care.patients import add_patient
from service.devtools.android_server import AndroidServer
from service.gateways.android import AndroidGateway
from service.models import MessageEvent, OutboundMessage, SystemAlert

PATIENT = "+22376123456"
SIGNING_KEY = "test-signing-key"


@pytest.fixture
def phone() -> Iterator[AndroidServer]:
    server = AndroidServer(signing_key=SIGNING_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def android_settings(settings, phone):
    return replace(
        settings,
        sms_gateway="android",
        android_gateway_url=phone.url,
        android_gateway_username=phone.username,
        android_gateway_password=phone.password,
        android_gateway_signing_key=SIGNING_KEY,
        at_timeout_seconds=2.0,
    )


@pytest.fixture
def live(android_settings, phone, db) -> Iterator[str]:
    """Jigi over HTTP on loopback, with its webhooks registered on the phone."""
    app = create_app(android_settings)
    with served(app) as url:
        registered = create_app(replace(android_settings, public_url=url)).test_cli_runner()
        result = registered.invoke(args=["gateways", "register-webhooks"])
        assert result.exit_code == 0, result.output
        yield url


def history(db, message_id: int) -> list[str]:
    with db.session() as session:
        query = select(MessageEvent.status).where(MessageEvent.message_id == message_id)
        return list(session.scalars(query))


def test_a_reminder_goes_once_through_the_phone_under_jigis_own_id(db, phone, android_settings):
    message_id = add_message(db, recipient=PATIENT)

    assert send_due(db, android_settings, NOON) == {message_id: "sent"}

    [accepted] = phone.accepted()
    assert (accepted.id, accepted.phone_numbers) == (f"jigi-{message_id}", (PATIENT,))
    sent = row(db, message_id)
    assert (sent.gateway_message_id, sent.gateway) == (f"jigi-{message_id}", "android")


def test_a_repeated_send_is_recognised_by_its_id_and_not_sent_again(phone, android_settings):
    gateway = AndroidGateway(android_settings)

    first = gateway.send(outgoing(PATIENT, "Jigi: rappel", reference="jigi-77"))
    again = gateway.send(outgoing(PATIENT, "Jigi: rappel", reference="jigi-77"))

    assert (first.outcome, again.outcome) == ("accepted", "accepted")
    assert again.message_id == "jigi-77" and len(phone.accepted()) == 1


def test_an_offline_phone_is_a_transient_failure(db, phone, android_settings):
    phone.offline = True
    message_id = add_message(db, recipient=PATIENT)

    assert send_due(db, android_settings, NOON) == {message_id: "scheduled"}
    assert row(db, message_id).attempts == 1 and phone.accepted() == []


def test_a_phone_that_cannot_be_reached_is_a_transient_failure(db, android_settings):
    from conftest import free_port

    unreachable = replace(android_settings, android_gateway_url=f"http://127.0.0.1:{free_port()}")
    message_id = add_message(db, recipient=PATIENT)

    assert send_due(db, unreachable, NOON) == {message_id: "scheduled"}


def test_wrong_credentials_hold_the_row_and_alert_without_the_password(db, phone, android_settings):
    message_id = add_message(db, recipient=PATIENT)

    assert send_due(db, replace(android_settings, android_gateway_password="nope"), NOON) == {
        message_id: "scheduled"
    }
    with db.session() as session:
        alert = session.scalars(select(SystemAlert)).one()
    assert "ANDROID_GATEWAY_PASSWORD" in alert.message and "nope" not in alert.message


def test_webhooks_are_registered_once_under_stable_ids(phone, android_settings, live):
    runner = create_app(replace(android_settings, public_url=live)).test_cli_runner()
    assert runner.invoke(args=["gateways", "register-webhooks"]).exit_code == 0

    hooks = phone.webhooks()
    assert sorted(hook["event"] for hook in hooks) == [
        "sms:delivered",
        "sms:failed",
        "sms:received",
        "sms:sent",
    ]
    assert all(hook["url"].startswith(f"{live}/gateways/android/events?token=") for hook in hooks)


def test_webhooks_need_an_address_the_app_accepts(android_settings):
    runner = create_app(replace(android_settings, public_url="http://jigi.example.org")).test_cli_runner()

    result = runner.invoke(args=["gateways", "register-webhooks"])

    assert result.exit_code == 1 and "https://" in result.output


@pytest.fixture
def sent_by_phone(db, phone, android_settings, live) -> int:
    message_id = add_message(db, recipient=PATIENT, params={"reference": "R4M9"})
    send_due(db, android_settings, NOON)
    return message_id


def test_events_move_the_row_to_delivered_once_even_when_each_part_reports(db, phone, sent_by_phone):
    answers = phone.report_delivered(f"jigi-{sent_by_phone}")

    assert [answer.status_code for answer in answers] == [200] * len(answers)
    assert row(db, sent_by_phone).status == "delivered"
    assert history(db, sent_by_phone).count("delivered") == 1


def test_a_failed_event_fails_the_row_with_the_phones_reason(db, phone, sent_by_phone):
    phone.report_failed(f"jigi-{sent_by_phone}", "RESULT_ERROR_NO_SERVICE")

    failed = row(db, sent_by_phone)
    assert (failed.status, failed.last_error) == ("failed", "RESULT_ERROR_NO_SERVICE")


def test_a_replayed_event_changes_nothing(db, phone, sent_by_phone):
    payload = {"messageId": f"jigi-{sent_by_phone}", "phoneNumber": PATIENT, "deliveredAt": "x"}
    phone.emit("sms:delivered", payload, event_id="event-1")
    before = history(db, sent_by_phone)

    [again] = phone.emit("sms:delivered", payload, event_id="event-1")

    assert again.status_code == 200
    assert history(db, sent_by_phone) == before


def test_a_wrong_or_stale_signature_is_refused_and_changes_nothing(db, phone, sent_by_phone, live):
    hook = next(hook for hook in phone.webhooks() if hook["event"] == "sms:failed")
    body = {
        "deviceId": "x",
        "event": "sms:failed",
        "id": "forged",
        "payload": {"messageId": f"jigi-{sent_by_phone}", "reason": "forged"},
    }
    raw = json.dumps(body).encode()
    phone.signing_key = "not-the-key"
    forged = requests.post(hook["url"], data=raw, headers=phone.signed(raw), timeout=5)
    phone.signing_key = SIGNING_KEY
    stale = requests.post(
        hook["url"], data=raw, headers=phone.signed(raw, timestamp=NOON.timestamp()), timeout=5
    )
    unsigned = requests.post(hook["url"], json=body, timeout=5)
    wrong_token = requests.post(
        f"{live}/gateways/android/events?token=x", data=raw, headers=phone.signed(raw)
    )

    assert [r.status_code for r in (forged, stale, unsigned, wrong_token)] == [403, 403, 403, 403]
    assert row(db, sent_by_phone).status == "sent"


def test_a_malformed_event_is_a_400(phone, live):
    hook_url = phone.webhooks()[0]["url"]
    raw = json.dumps({"event": "sms:sent", "payload": "nope"}).encode()

    assert requests.post(hook_url, data=raw, headers=phone.signed(raw), timeout=5).status_code == 400


def test_stop_received_by_the_phone_opts_out_and_a_replay_confirms_once(db, demo, phone, live):
    with db.session() as session:
        add_patient(session, PATIENT, "fr")

    [first] = phone.receive(PATIENT, "Stop", event_id="in-1")
    [again] = phone.receive(PATIENT, "Stop", event_id="in-1")

    assert (first.text, again.text) == ("ok", "duplicate")
    with db.session() as session:
        kinds = session.scalars(select(OutboundMessage.kind)).all()
    assert kinds.count("optout_confirmation") == 1
