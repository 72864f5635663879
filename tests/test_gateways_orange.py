"""Orange's SMS API, spoken for real over loopback to the project's Orange-compatible server: tokens,
sends, errors, receipts and incoming SMS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from sms_fixtures import NOON, add_message, outgoing, row, send_due, served, through_orange
from sqlalchemy import select

from service import create_app
from service.care.patients import add_patient
from service.devtools.orange_server import Failure
from service.gateways.orange import OrangeGateway
from service.models import OutboundMessage, SystemAlert

PATIENT = "+22376123456"


@pytest.fixture
def orange_settings(settings, orange):
    return through_orange(settings, orange, at_timeout_seconds=2.0)


@pytest.fixture
def live(app, orange) -> Iterator[str]:
    """The app over HTTP on loopback; the Orange server posts its receipts and SMS there."""
    with served(app) as url:
        orange.service_url = url
        yield url


def test_a_reminder_goes_once_through_orange_and_keeps_the_resource_id(db, orange, orange_settings):
    message_id = add_message(db, recipient=PATIENT)

    assert send_due(db, orange_settings, NOON) == {message_id: "sent"}

    [sent] = orange.sent()
    assert (sent.address, sent.sender_address) == (f"tel:{PATIENT}", "tel:+2230000")
    assert row(db, message_id).gateway_message_id == sent.resource_id
    assert orange.token_requests == 1


def test_the_sender_name_is_sent_when_set(db, orange, orange_settings):
    add_message(db, recipient=PATIENT)

    send_due(db, replace(orange_settings, orange_sender_name="Jigi"), NOON)

    assert orange.sent()[0].sender_name == "Jigi"


def test_one_token_serves_many_sends_and_an_expired_one_is_replaced_without_duplicates(
    db, orange, orange_settings
):
    gateway = OrangeGateway(orange_settings)
    first = gateway.send(outgoing(PATIENT, "Jigi: un"))
    second = gateway.send(outgoing(PATIENT, "Jigi: deux"))
    orange.expire_tokens()
    third = gateway.send(outgoing(PATIENT, "Jigi: trois"))

    assert [result.outcome for result in (first, second, third)] == ["accepted"] * 3
    assert [sent.message for sent in orange.sent()] == ["Jigi: un", "Jigi: deux", "Jigi: trois"]
    assert orange.token_requests == 2


def test_a_token_is_renewed_before_it_expires(orange, orange_settings):
    orange.token_lifetime = 30  # shorter than the renewal margin: every send needs a fresh token
    gateway = OrangeGateway(orange_settings)

    gateway.send(outgoing(PATIENT, "Jigi: un"))
    gateway.send(outgoing(PATIENT, "Jigi: deux"))

    assert orange.token_requests == 2 and len(orange.sent()) == 2


def test_a_policy_error_fails_the_row_and_is_not_retried(db, orange, orange_settings):
    message_id = add_message(db, recipient=PATIENT)
    orange.fail_next(Failure(400, "POL0001", "A policy error occurred"))

    assert send_due(db, orange_settings, NOON) == {message_id: "failed"}
    assert "POL0001" in row(db, message_id).last_error
    assert send_due(db, orange_settings, NOON) == {}
    assert orange.sent() == []


@pytest.mark.parametrize(
    "failure",
    [Failure(503, None, "Service unavailable"), Failure(500, "SVC0001", "A service error occurred")],
)
def test_a_service_error_or_5xx_is_retried_later(db, orange, orange_settings, failure):
    message_id = add_message(db, recipient=PATIENT)
    orange.fail_next(failure)

    assert send_due(db, orange_settings, NOON) == {message_id: "scheduled"}
    kept = row(db, message_id)
    assert kept.attempts == 1 and kept.due_at > NOON


def test_wrong_client_credentials_hold_the_rows_and_alert_coordinators(db, orange, orange_settings):
    message_id = add_message(db, recipient=PATIENT)

    result = send_due(db, replace(orange_settings, orange_client_secret="wrong"), NOON)

    assert result == {message_id: "scheduled"}
    assert row(db, message_id).attempts == 0
    with db.session() as session:
        alert = session.scalars(select(SystemAlert).where(SystemAlert.resolved_at.is_(None))).one()
    assert "ORANGE_CLIENT_SECRET" in alert.message and "wrong" not in alert.message
    assert orange.sent() == []


@pytest.fixture
def sent_through_orange(db, orange, orange_settings, live) -> tuple[int, str]:
    message_id = add_message(db, recipient=PATIENT)
    send_due(db, orange_settings, NOON)
    return message_id, orange.sent()[0].resource_id


def test_receipts_move_the_row_to_delivered_and_intermediate_ones_are_taken(db, orange, sent_through_orange):
    message_id, resource_id = sent_through_orange

    network = orange.post_receipt(resource_id, "DeliveredToNetwork")
    terminal = orange.post_receipt(resource_id, "DeliveredToTerminal")

    assert (network.status_code, terminal.status_code) == (200, 200)
    assert row(db, message_id).status == "delivered"


def test_delivery_impossible_fails_the_row(db, orange, sent_through_orange):
    message_id, resource_id = sent_through_orange

    assert orange.post_receipt(resource_id, "DeliveryImpossible").status_code == 200

    failed = row(db, message_id)
    assert (failed.status, failed.last_error) == ("failed", "DeliveryImpossible")


def test_receipts_for_unknown_ids_are_taken_and_malformed_or_unsigned_ones_refused(orange, live):
    assert orange.post_receipt("no-such-id", "DeliveredToTerminal").status_code == 200
    malformed = requests.post(
        f"{live}/gateways/orange/delivery", params={"token": orange.token}, json={"x": 1}, timeout=5
    )
    unknown_status = orange.post_receipt("no-such-id", "Teleported")
    orange.token = "wrong"
    unsigned = orange.post_receipt("no-such-id", "DeliveredToTerminal")

    assert (malformed.status_code, unknown_status.status_code, unsigned.status_code) == (400, 400, 403)


def test_stop_by_orange_opts_out_and_the_same_stop_twice_confirms_once(db, demo, orange, live):
    with db.session() as session:
        add_patient(session, PATIENT, "fr")

    first = orange.post_inbound(PATIENT, "STOP", message_id="orange-in-1")
    again = orange.post_inbound(PATIENT, "STOP", message_id="orange-in-1")

    assert (first.status_code, first.text, again.text) == (200, "ok", "duplicate")
    with db.session() as session:
        kinds = session.scalars(select(OutboundMessage.kind)).all()
    assert kinds.count("optout_confirmation") == 1


def test_gateways_subscribe_registers_the_receipt_address(app, orange, orange_settings):
    app = create_app(replace(orange_settings, public_url="https://jigi.example.org"))
    result = app.test_cli_runner().invoke(args=["gateways", "subscribe"])

    assert result.exit_code == 0, result.output
    [url] = orange.subscriptions
    assert url.startswith("https://jigi.example.org/gateways/orange/delivery?token=")
    assert orange.token not in result.output
