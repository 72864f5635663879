"""Writing through the partner API: patients, appointments, medication plans; their errors and audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from service import create_app
from service.api.tokens import create_token
from service.models import Appointment, AuditEntry, OutboundMessage, Patient, Referral, Volunteer
from service.places import by_code
from service.references import unique_reference
from service.timeutil import utcnow


@pytest.fixture
def headers(db, demo) -> dict[str, str]:
    with db.session() as session:
        return {"Authorization": f"Bearer {create_token(session, 'dhis2', 'write', 'test')}"}


def _local(days_ahead: int, at: str = "09:30") -> str:
    """A local appointment time `days_ahead` from today, as a partner would send it."""
    return f"{(utcnow() + timedelta(days=days_ahead)).date().isoformat()}T{at}"


def _new_patient(client, headers, **fields) -> dict:
    response = client.post("/api/v1/patients", json={"phone": "76 12 34 56", **fields}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def _audit(db) -> list[tuple[str, str]]:
    with db.session() as session:
        return [
            (entry.actor, entry.action)
            for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def test_register_patient_normalizes_phone_and_is_audited(client, headers, db):
    response = client.post(
        "/api/v1/patients",
        json={"phone": "76 12 34 56", "language": "bm", "place_code": "TBK-A3", "quiet_hours": "21:00-07:00"},
        headers=headers,
    )

    assert response.status_code == 201
    body = response.json
    assert body["phone"] == "+22376123456" and body["language"] == "bm" and body["place_code"] == "TBK-A3"
    assert body["quiet_hours"] == "21:00-07:00" and body["sms_consent"] is True
    assert response.headers["Location"] == f"/api/v1/patients/{body['reference']}"
    assert client.get(response.headers["Location"], headers=headers).json == body
    assert _audit(db) == [("token:dhis2", "api.patient.create")]


def test_invalid_phone_is_422_with_the_reason(client, headers):
    response = client.post("/api/v1/patients", json={"phone": "76 12 34"}, headers=headers)

    assert response.status_code == 422
    error = response.json["error"]
    assert error["field"] == "phone" and "8 digits of a Mali number" in error["message"]


def test_phone_of_another_patient_is_409_unless_shared(client, headers, db):
    first = _new_patient(client, headers)

    refused = client.post("/api/v1/patients", json={"phone": "+22376123456"}, headers=headers)
    shared = client.post(
        "/api/v1/patients", json={"phone": "+22376123456", "shared_phone": True}, headers=headers
    )

    assert refused.status_code == 409 and first["reference"] in refused.json["error"]["message"]
    assert shared.status_code == 201 and shared.json["shared_phone"] is True
    assert client.get(f"/api/v1/patients/{first['reference']}", headers=headers).json["shared_phone"] is True


@pytest.mark.parametrize(
    "body, field",
    [
        ({"phone": "76123456", "place_code": "NOWHERE"}, "place_code"),
        ({"phone": "76123456", "language": "en"}, "language"),
        ({"phone": "76123456", "quiet_hours": "late"}, "quiet_hours"),
        ({"phone": "76123456", "sms_consent": "yes"}, "sms_consent"),
        ({"phone": "76123456", "name": "Awa"}, "name"),
        ({"language": "fr"}, "phone"),
    ],
)
def test_invalid_patient_fields_are_422_naming_the_field(client, headers, db, body, field):
    response = client.post("/api/v1/patients", json=body, headers=headers)

    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    with db.session() as session:
        assert session.scalar(select(Patient)) is None


@pytest.mark.parametrize("data", ['{"phone": "76123456"', "[1, 2]", "", "null"])
def test_malformed_body_is_400(client, headers, data):
    response = client.post("/api/v1/patients", data=data, content_type="application/json", headers=headers)

    assert response.status_code == 400
    assert response.json["error"] == {"code": "bad_request", "message": "the body must be a JSON object"}


def test_appointment_in_local_time_is_stored_in_utc_with_its_reminders(client, headers, db):
    patient = _new_patient(client, headers, language="bm")
    starts = _local(10)

    response = client.post(
        f"/api/v1/patients/{patient['reference']}/appointments",
        json={"starts_at": starts, "place_code": "TBK-A3"},
        headers=headers,
    )

    assert response.status_code == 201
    body = response.json
    assert body["starts_at_local"] == starts and body["starts_at"] == f"{starts}:00+00:00"
    assert (
        body["status"] == "scheduled"
        and body["place_code"] == "TBK-A3"
        and body["patient"] == patient["reference"]
    )
    messages = client.get(f"/api/v1/patients/{patient['reference']}/messages", headers=headers).json["items"]
    assert {message["kind"] for message in messages} >= {"appointment_day_before", "appointment_same_day"}
    assert all(message["appointment_id"] == body["id"] for message in messages)
    assert ("token:dhis2", "api.appointment.create") in _audit(db)


def test_appointment_with_offset_and_mobile_unit_and_referral(client, headers, db):
    patient = _new_patient(client, headers)
    with db.session() as session:
        referral = Referral(
            reference=unique_reference(session, Referral, "R"),
            volunteer=session.scalar(select(Volunteer).where(Volunteer.phone == "+22376000001")),
            place=by_code(session, "GAO-V01"),
            category="psychosis",
            sex="M",
            age=27,
            urgency="urgent",
            consent=True,
        )
        session.add(referral)
    starts = (utcnow() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)

    response = client.post(
        f"/api/v1/patients/{patient['reference']}/appointments",
        json={
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M+01:00"),
            "mobile_unit": True,
            "referral": referral.reference,
        },
        headers=headers,
    )

    assert response.status_code == 201
    assert response.json["starts_at"] == (starts - timedelta(hours=1)).isoformat()
    assert response.json["mobile_unit"] is True and response.json["place_code"] is None
    assert response.json["referral"] == referral.reference


@pytest.mark.parametrize(
    "body, field",
    [
        ({"starts_at": "2026-13-01T09:00", "place_code": "TBK-A3"}, "starts_at"),
        ({"starts_at": "demain 9h", "place_code": "TBK-A3"}, "starts_at"),
        ({"starts_at": "2020-01-06T09:00", "place_code": "TBK-A3"}, "starts_at"),
        ({"starts_at": "2099-01-06T09:00", "place_code": "NOWHERE"}, "place_code"),
        ({"starts_at": "2099-01-06T09:00"}, "place_code"),
        ({"starts_at": "2099-01-06T09:00", "mobile_unit": True, "referral": "RXXX"}, "referral"),
        ({"place_code": "TBK-A3"}, "starts_at"),
    ],
)
def test_invalid_appointments_are_422(client, headers, db, body, field):
    patient = _new_patient(client, headers)

    response = client.post(
        f"/api/v1/patients/{patient['reference']}/appointments", json=body, headers=headers
    )

    assert response.status_code == 422
    assert response.json["error"].get("field") == field
    with db.session() as session:
        assert session.scalar(select(Appointment)) is None


def test_appointment_in_the_past_says_so(client, headers):
    patient = _new_patient(client, headers)

    response = client.post(
        f"/api/v1/patients/{patient['reference']}/appointments",
        json={"starts_at": "2020-01-06T09:00", "place_code": "TBK-A3"},
        headers=headers,
    )

    assert "has passed" in response.json["error"]["message"]


def test_appointment_for_unknown_patient_is_404(client, headers):
    response = client.post(
        "/api/v1/patients/PZZZ/appointments",
        json={"starts_at": _local(3), "mobile_unit": True},
        headers=headers,
    )

    assert response.status_code == 404


def test_no_reminders_for_a_patient_who_opted_out_is_409(client, headers, db):
    patient = _new_patient(client, headers)
    with db.session() as session:
        session.scalar(select(Patient)).opted_out = True

    appointment = client.post(
        f"/api/v1/patients/{patient['reference']}/appointments",
        json={"starts_at": _local(3), "mobile_unit": True},
        headers=headers,
    )
    plan = client.post(
        f"/api/v1/patients/{patient['reference']}/medication-plans",
        json={"times": ["08:00"], "start_date": _local(1)[:10], "end_date": _local(20)[:10]},
        headers=headers,
    )

    assert appointment.status_code == 409 and "stopped the SMS" in appointment.json["error"]["message"]
    assert plan.status_code == 409


def _appointment(client, headers) -> dict:
    patient = _new_patient(client, headers)
    response = client.post(
        f"/api/v1/patients/{patient['reference']}/appointments",
        json={"starts_at": _local(10), "place_code": "TBK-A3"},
        headers=headers,
    )
    return response.json


def test_moving_an_appointment_moves_its_reminders(client, headers, db):
    appointment = _appointment(client, headers)
    later = _local(12, "15:00")

    response = client.patch(
        f"/api/v1/appointments/{appointment['id']}", json={"starts_at": later}, headers=headers
    )

    assert response.status_code == 200 and response.json["starts_at_local"] == later
    with db.session() as session:
        waiting = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.status == "scheduled", OutboundMessage.kind != "followup_checkin"
            )
        ).all()
    expiries = {message.kind: message.expires_at.strftime("%Y-%m-%dT%H:%M") for message in waiting}
    # the evening-before text expires as the day starts, the morning one at the appointment
    assert expiries == {"appointment_day_before": f"{later[:10]}T00:00", "appointment_same_day": later}
    assert ("token:dhis2", "api.appointment.move") in _audit(db)


def test_cancelling_an_appointment_cancels_it_once(client, headers, db):
    appointment = _appointment(client, headers)
    path = f"/api/v1/appointments/{appointment['id']}"

    first = client.patch(path, json={"status": "cancelled"}, headers=headers)
    again = client.patch(path, json={"status": "cancelled"}, headers=headers)

    assert first.status_code == 200 and first.json["status"] == "cancelled"
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"
    with db.session() as session:
        assert set(session.scalars(select(OutboundMessage.status))) == {"cancelled"}
    assert ("token:dhis2", "api.appointment.cancel") in _audit(db)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "attended"},
        {"starts_at": "2099-01-06T09:00", "status": "cancelled"},
        {"place_code": "TBK-A4"},
    ],
)
def test_unclear_appointment_changes_are_422(client, headers, body):
    appointment = _appointment(client, headers)

    response = client.patch(f"/api/v1/appointments/{appointment['id']}", json=body, headers=headers)

    assert response.status_code == 422


def test_changing_an_unknown_appointment_is_404(client, headers):
    response = client.patch("/api/v1/appointments/4242", json={"status": "cancelled"}, headers=headers)

    assert response.status_code == 404


def test_medication_plan_schedules_a_reminder_per_dose(client, headers, db):
    patient = _new_patient(client, headers)
    start = (utcnow() + timedelta(days=1)).date()

    response = client.post(
        f"/api/v1/patients/{patient['reference']}/medication-plans",
        json={
            "times": ["20:00", "08:00"],
            "days_of_week": [0, 1, 2, 3, 4, 5, 6],
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=6)).isoformat(),
        },
        headers=headers,
    )

    assert response.status_code == 201
    body = response.json
    assert body["times"] == ["08:00", "20:00"] and body["days_of_week"] == [0, 1, 2, 3, 4, 5, 6]
    assert response.headers["Location"] == f"/api/v1/medication-plans/{body['id']}"
    with db.session() as session:
        doses = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "medication")).all()
    assert len(doses) == 14 and all(dose.medication_plan_id == body["id"] for dose in doses)
    assert ("token:dhis2", "api.medication_plan.create") in _audit(db)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"times": ["25:00"]}, "times"),
        ({"times": []}, "times"),
        ({"days_of_week": [7]}, "days_of_week"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"end_date": "2020-01-01"}, "end_date"),
    ],
)
def test_invalid_medication_plans_are_422(client, headers, changes, field):
    patient = _new_patient(client, headers)
    start = date.today() + timedelta(days=1)
    body = {
        "times": ["08:00"],
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=9)).isoformat(),
    }

    response = client.post(
        f"/api/v1/patients/{patient['reference']}/medication-plans", json={**body, **changes}, headers=headers
    )

    assert response.status_code == 422
    assert response.json["error"].get("field") == field


def test_times_are_interpreted_in_the_configured_zone(app, client, headers, settings):
    """Africa/Bamako is UTC all year, so the offset shows only with another zone configured."""
    lagos = create_app(replace(settings, timezone="Africa/Lagos"))
    other = lagos.test_client()
    patient = _new_patient(client, headers)
    starts = _local(4, "10:00")

    response = other.post(
        f"/api/v1/patients/{patient['reference']}/appointments",
        json={"starts_at": starts, "mobile_unit": True},
        headers=headers,
    )

    assert response.json["starts_at_local"] == starts
    assert datetime.fromisoformat(response.json["starts_at"]) == datetime.fromisoformat(starts + "+01:00")
    assert datetime.fromisoformat(response.json["starts_at"]).tzinfo == UTC
    lagos.extensions["jigi.db"].engine.dispose()
