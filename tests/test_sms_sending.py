"""Sending one row: policy, rendering, the real SDK against the local AT server, and what is recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sms_fixtures import NOON, add_message, outgoing, row, send_due
from sqlalchemy import select

from service.devtools.at_server import Answer
from service.gateways.africastalking import ACCEPTED_STATUS, STATUS_CODES
from service.gateways.port import Outcome
from service.gateways.registry import make_gateway
from service.models import MessageEvent, Patient, SystemAlert
from service.sms.sender import HOLD, deliver

NIGHT = datetime(2025, 5, 12, 22, 0, tzinfo=UTC)
APPOINTMENT = {"reference": "P7K2", "starts_at": "2025-05-13T08:30:00+00:00", "place": "CSCom Bellafarandi"}


def add_patient(db, **fields) -> int:
    values = {"reference": "P7K2", "phone": "+22376543210", "language": "bm", **fields}
    with db.session() as session:
        patient = Patient(**values)
        session.add(patient)
        session.flush()
        return patient.id


def events(db, message_id: int) -> list[str]:
    with db.session() as session:
        query = (
            select(MessageEvent.status).where(MessageEvent.message_id == message_id).order_by(MessageEvent.id)
        )
        return list(session.scalars(query))


def open_alerts(db) -> list[SystemAlert]:
    with db.session() as session:
        return list(session.scalars(select(SystemAlert).where(SystemAlert.resolved_at.is_(None))))


def test_due_reminder_is_sent_once_in_the_patients_language_and_local_time(db, at_settings, at_server):
    patient = add_patient(db)
    lagos = replace(at_settings, timezone="Africa/Lagos")  # UTC+1
    message_id = add_message(
        db, "appointment_day_before", "+22376543210", "bm", APPOINTMENT, due_at=NOON, patient_id=patient
    )

    assert send_due(db, lagos, NOON) == {message_id: "sent"}
    assert send_due(db, lagos, NOON + timedelta(hours=1)) == {}

    [received] = at_server.received()
    assert received.to == "+22376543210"
    assert "tarata 13 mè, 09:30 waati, CSCom Bellafarandi" in received.message
    sent = row(db, message_id)
    assert (sent.status, sent.attempts, sent.gateway_message_id) == ("sent", 1, received.message_id)
    assert (sent.text, sent.encoding, sent.segments, sent.cost) == (received.message, "GSM-7", 1, "XOF 25")
    assert events(db, message_id) == ["queued", "sending", "sent"]


def test_text_keeps_ucs2_spelling_when_conversion_is_off(db, at_settings, at_server):
    message_id = add_message(db, "followup_checkin", language="bm", params={"reference": "R4M9"})

    send_due(db, replace(at_settings, gsm7_conversion=False), NOON)

    sent = row(db, message_id)
    assert "kunnafoni ɲini (nimɔrɔ R4M9)" in at_server.received()[0].message
    assert (sent.encoding, sent.segments) == ("UCS-2", 2)


def test_a_second_job_for_the_same_row_sends_nothing(db, at_settings, at_server):
    message_id = add_message(db)
    assert send_due(db, at_settings, NOON) == {message_id: "sent"}

    again = deliver(db, make_gateway(at_settings), at_settings, message_id, NOON)

    assert again == "skipped"
    assert len(at_server.received()) == 1


def test_quiet_hours_hold_a_reminder_until_morning(db, at_settings, at_server):
    message_id = add_message(
        db, "medication", params={"reference": "P7K2", "dose_at": NIGHT.isoformat()}, due_at=NIGHT
    )

    assert send_due(db, at_settings, NIGHT) == {message_id: "held"}
    held = row(db, message_id)
    assert (held.status, held.due_at) == ("scheduled", datetime(2025, 5, 13, 8, 0, tzinfo=UTC))
    assert send_due(db, at_settings, datetime(2025, 5, 13, 7, 59, tzinfo=UTC)) == {}
    assert send_due(db, at_settings, datetime(2025, 5, 13, 8, 0, tzinfo=UTC)) == {message_id: "sent"}
    assert len(at_server.received()) == 1


def test_patient_quiet_hours_override_the_configured_ones(db, at_settings, at_server):
    patient = add_patient(db, quiet_hours="12:00-14:00")
    message_id = add_message(db, "followup_checkin", "+22376543210", patient_id=patient)

    assert send_due(db, at_settings, NOON) == {message_id: "held"}
    assert row(db, message_id).due_at == datetime(2025, 5, 12, 14, 0, tzinfo=UTC)
    assert at_server.received() == []


def test_emergency_alert_ignores_quiet_hours(db, at_settings, at_server):
    params = {"reference": "R4M9", "village": "Bellafarandi", "volunteer_phone": "+22376123456"}
    message_id = add_message(db, "emergency_alert", "+22366123456", "fr", params, due_at=NIGHT)

    assert send_due(db, at_settings, NIGHT) == {message_id: "sent"}
    assert "cas R4M9 à Bellafarandi" in at_server.received()[0].message


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({"opted_out": True}, "patient opted out"), ({"sms_consent": False}, "no SMS consent")],
)
def test_patient_without_consent_gets_nothing(db, at_settings, at_server, fields, reason):
    patient = add_patient(db, **fields)
    message_id = add_message(db, "followup_checkin", "+22376543210", patient_id=patient)

    assert send_due(db, at_settings, NOON) == {message_id: "cancelled"}
    assert row(db, message_id).last_error == reason
    assert at_server.received() == []


def test_optout_confirmation_reaches_an_opted_out_patient(db, at_settings, at_server):
    patient = add_patient(db, opted_out=True)
    message_id = add_message(db, "optout_confirmation", "+22376543210", params={}, patient_id=patient)

    assert send_due(db, at_settings, NOON) == {message_id: "sent"}
    assert len(at_server.received()) == 1


def test_expired_reminder_is_dropped(db, at_settings, at_server):
    message_id = add_message(db, expires_at=NOON - timedelta(minutes=1), due_at=NOON - timedelta(hours=1))

    assert send_due(db, at_settings, NOON) == {message_id: "dropped"}
    assert "expired" in row(db, message_id).last_error
    assert at_server.received() == []


def test_server_error_then_success_sends_exactly_one_sms(db, at_settings, at_server):
    at_server.script(Answer.http(500))
    message_id = add_message(db)

    assert send_due(db, at_settings, NOON) == {message_id: "scheduled"}
    retry = row(db, message_id)
    assert (retry.attempts, retry.due_at) == (1, NOON + timedelta(seconds=30))
    assert send_due(db, at_settings, NOON + timedelta(seconds=29)) == {}
    assert send_due(db, at_settings, NOON + timedelta(seconds=30)) == {message_id: "sent"}

    assert len(at_server.accepted()) == 1
    assert row(db, message_id).attempts == 2


def test_transient_failures_back_off_then_give_up(db, at_settings, at_server):
    settings = replace(at_settings, max_send_attempts=3)
    at_server.set_default(Answer.code(502))
    message_id = add_message(db)

    now = NOON
    outcomes = []
    for _ in range(3):
        outcomes.extend(send_due(db, settings, now).values())
        now = row(db, message_id).due_at

    assert outcomes == ["scheduled", "scheduled", "failed"]
    assert now - NOON == timedelta(seconds=90)  # 30 s, then 60 s
    assert "gave up after 3 attempts" in row(db, message_id).last_error


def test_invalid_number_fails_without_retry(db, at_settings, at_server):
    at_server.script(Answer.code(403))
    message_id = add_message(db)

    assert send_due(db, at_settings, NOON) == {message_id: "failed"}
    assert send_due(db, at_settings, NOON + timedelta(days=1)) == {}
    assert row(db, message_id).last_error == "403 InvalidPhoneNumber"
    assert len(at_server.received()) == 1


def test_no_credit_alerts_coordinators_once_and_the_rows_wait(db, at_settings, at_server):
    at_server.set_default(Answer.code(405))
    first, second = add_message(db), add_message(db, recipient="+22376000001")

    assert send_due(db, at_settings, NOON) == {first: "scheduled", second: "scheduled"}
    [alert] = open_alerts(db)
    assert alert.kind == "insufficient_balance"
    waiting = row(db, first)
    assert (waiting.due_at, waiting.attempts, waiting.expires_at) == (
        NOON + HOLD,
        0,
        NOON + timedelta(days=1),
    )

    at_server.set_default(Answer())
    assert send_due(db, at_settings, NOON + HOLD) == {first: "sent", second: "sent"}
    assert open_alerts(db) == []


@pytest.mark.parametrize(
    "answer", [Answer.http(401, "The supplied authentication is invalid"), Answer.empty()]
)
def test_configuration_error_alerts_coordinators_and_the_row_waits(db, at_settings, at_server, answer):
    at_server.script(answer)
    message_id = add_message(db)

    assert send_due(db, at_settings, NOON) == {message_id: "scheduled"}
    [alert] = open_alerts(db)
    assert alert.kind == "gateway_config"
    assert "AT_API_KEY" in alert.message
    assert row(db, message_id).due_at == NOON + HOLD


def test_a_held_row_is_dropped_after_a_day_of_configuration_errors(db, at_settings, at_server):
    at_server.set_default(Answer.empty())
    message_id = add_message(db)

    send_due(db, at_settings, NOON)

    assert send_due(db, at_settings, NOON + timedelta(days=1)) == {message_id: "dropped"}


def test_timeout_after_sending_is_recorded_unknown_and_not_resent(db, at_settings, at_server):
    at_server.script(Answer.slow(1.5))
    message_id = add_message(db)

    assert send_due(db, replace(at_settings, at_timeout_seconds=0.3), NOON) == {message_id: "unknown"}
    assert send_due(db, at_settings, NOON + timedelta(days=1)) == {}
    assert len(at_server.received()) == 1
    assert [alert.kind for alert in open_alerts(db)] == ["unknown_sends"]


def test_broken_template_fails_the_row_with_the_reason(db, at_settings, at_server):
    message_id = add_message(db, "appointment_same_day", params={"reference": "P7K2"})

    assert send_due(db, at_settings, NOON) == {message_id: "failed"}
    assert "starts_at" in row(db, message_id).last_error
    assert at_server.received() == []


@pytest.mark.parametrize("code", sorted(STATUS_CODES))
def test_each_status_code_of_the_local_server_means_what_the_adapter_table_says(at_settings, at_server, code):
    at_server.script(Answer.code(code))

    result = make_gateway(at_settings).send(outgoing("+22376123456", "Jigi: test"))

    name, outcome = STATUS_CODES[code]
    assert result.outcome is outcome
    assert result.reason == (ACCEPTED_STATUS if outcome is Outcome.ACCEPTED else f"{code} {name}")
