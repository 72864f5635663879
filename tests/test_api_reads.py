"""Reading through the partner API: referrals, visit requests, patients, appointments, plans, SMS status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from service.api.tokens import create_token
from service.models import (
    Appointment,
    MedicationPlan,
    MessageEvent,
    Patient,
    Referral,
    VisitRequest,
    Volunteer,
)
from service.outbox.rows import schedule_message
from service.places import by_code
from service.references import unique_reference

AWA = "+22376123456"


@pytest.fixture
def headers(db) -> dict[str, str]:
    with db.session() as session:
        return {"Authorization": f"Bearer {create_token(session, 'dhis2', 'read', 'test')}"}


def _referral(session, *, urgency="routine", status="new", consent=True, updated_at=None) -> Referral:
    referral = Referral(
        reference=unique_reference(session, Referral, "R"),
        volunteer=session.scalar(select(Volunteer).where(Volunteer.phone == AWA)),
        place=by_code(session, "TBK-V09"),
        category="depression",
        sex="F",
        age=34,
        urgency=urgency,
        consent=consent,
        contact_phone="+22376555555",
        phone_shared=True,
        status=status,
    )
    if updated_at:
        referral.updated_at = updated_at
    session.add(referral)
    session.flush()
    return referral


def _patient(session, phone="+22376555555") -> Patient:
    patient = Patient(reference=unique_reference(session, Patient, "P"), phone=phone, language="bm")
    session.add(patient)
    session.flush()
    return patient


def test_referral_shows_its_details_and_district(client, headers, db, demo):
    with db.session() as session:
        reference = _referral(session, urgency="urgent").reference

    response = client.get(f"/api/v1/referrals/{reference}", headers=headers)

    assert response.status_code == 200
    body = response.json
    assert body["reference"] == reference and body["urgency"] == "urgent" and body["status"] == "new"
    assert body["place_code"] == "TBK-V09" and body["district_code"] == "TBK-D2"
    assert body["contact_phone"] == "+22376555555" and body["phone_shared"] is True


def test_referral_without_consent_shows_no_contact_phone(client, headers, db, demo):
    with db.session() as session:
        reference = _referral(session, consent=False).reference

    body = client.get(f"/api/v1/referrals/{reference}", headers=headers).json

    assert body["consent"] is False
    assert body["contact_phone"] is None and body["phone_shared"] is None
    assert "+22376555555" not in str(body)


def test_unknown_referral_is_404(client, headers, db, demo):
    response = client.get("/api/v1/referrals/RXXX", headers=headers)

    assert response.status_code == 404
    assert response.json["error"] == {"code": "not_found", "message": "no referral with reference 'RXXX'"}


def test_referrals_filter_by_status_urgency_and_since(client, headers, db, demo):
    old = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    with db.session() as session:
        emergency = _referral(session, urgency="emergency").reference
        _referral(session, urgency="routine", status="closed")
        _referral(session, urgency="emergency", updated_at=old)

    by_status = client.get("/api/v1/referrals?status=closed", headers=headers).json
    by_urgency = client.get("/api/v1/referrals?urgency=emergency&since=2026-02-01", headers=headers).json
    since_offset = client.get("/api/v1/referrals?since=2026-01-05T10:00%2B00:00", headers=headers).json

    assert [item["status"] for item in by_status["items"]] == ["closed"]
    assert [item["reference"] for item in by_urgency["items"]] == [emergency]
    assert since_offset["total"] == 3


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=lost", "status"),
        ("urgency=soon", "urgency"),
        ("since=yesterday", "since"),
        ("page=0", "page"),
    ],
)
def test_bad_list_filters_are_422_naming_the_parameter(client, headers, query, field):
    response = client.get(f"/api/v1/referrals?{query}", headers=headers)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert response.json["error"]["field"] == field


def test_lists_are_paginated_with_total_and_next_link(client, headers, db, demo):
    with db.session() as session:
        references = [_referral(session, urgency="urgent").reference for _ in range(5)]

    first = client.get("/api/v1/referrals?urgency=urgent&per_page=2", headers=headers).json
    second = client.get(first["next"], headers=headers).json
    last = client.get("/api/v1/referrals?urgency=urgent&per_page=2&page=3", headers=headers).json

    assert first["total"] == 5 and first["page"] == 1 and first["per_page"] == 2
    assert [item["reference"] for item in first["items"] + second["items"] + last["items"]] == references
    assert "urgency=urgent" in first["next"] and second["page"] == 2
    assert last["next"] is None and len(last["items"]) == 1


def test_per_page_above_100_is_refused(client, headers):
    response = client.get("/api/v1/patients?per_page=101", headers=headers)

    assert response.status_code == 422
    assert response.json["error"]["message"] == "per_page: Input should be less than or equal to 100"


def test_visit_requests_list_filters_by_status(client, headers, db, demo):
    with db.session() as session:
        for status in ("open", "planned"):
            session.add(
                VisitRequest(
                    reference=unique_reference(session, VisitRequest, "V"),
                    volunteer=session.scalar(select(Volunteer).where(Volunteer.phone == AWA)),
                    place=by_code(session, "TBK-V10"),
                    people_waiting=4,
                    preferred_week="next_week",
                    week_start=date(2026, 12, 7),
                    status=status,
                )
            )

    response = client.get("/api/v1/visit-requests?status=open", headers=headers)

    assert response.status_code == 200
    [visit] = response.json["items"]
    assert visit["status"] == "open" and visit["place_name"] == "Tin Aïcha" and visit["people_waiting"] == 4
    assert visit["week_start"] == "2026-12-07" and visit["district_code"] == "TBK-D2"


def test_patient_is_read_by_reference_and_found_by_phone(client, headers, db):
    with db.session() as session:
        reference = _patient(session).reference
        _patient(session, phone="+22376444444")

    one = client.get(f"/api/v1/patients/{reference.lower()}", headers=headers)
    found = client.get("/api/v1/patients?phone=76 55 55 55", headers=headers).json
    bad_phone = client.get("/api/v1/patients?phone=12", headers=headers)

    assert one.status_code == 200 and one.json["reference"] == reference and one.json["language"] == "bm"
    assert [item["reference"] for item in found["items"]] == [reference]
    assert bad_phone.status_code == 422 and bad_phone.json["error"]["field"] == "phone"


def test_unknown_patient_is_404(client, headers):
    assert client.get("/api/v1/patients/P%00X", headers=headers).status_code == 404
    assert client.get("/api/v1/patients/PZZZ/messages", headers=headers).status_code == 404


def test_appointment_shows_utc_and_local_start(client, headers, db, demo):
    with db.session() as session:
        patient = _patient(session)
        appointment = Appointment(
            patient=patient,
            place=by_code(session, "TBK-A3"),
            starts_at=datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
        )
        session.add(appointment)
        session.flush()
        appointment_id, reference = appointment.id, patient.reference

    body = client.get(f"/api/v1/appointments/{appointment_id}", headers=headers).json

    assert body["patient"] == reference and body["place_code"] == "TBK-A3" and body["status"] == "scheduled"
    assert body["starts_at"] == "2026-12-03T09:30:00+00:00" and body["starts_at_local"] == "2026-12-03T09:30"


def test_medication_plan_lists_times_and_days(client, headers, db):
    with db.session() as session:
        plan = MedicationPlan(
            patient=_patient(session),
            times="08:00,20:00",
            days_of_week="024",
            start_date=date(2026, 12, 1),
            end_date=date(2027, 2, 28),
        )
        session.add(plan)
        session.flush()
        plan_id = plan.id

    body = client.get(f"/api/v1/medication-plans/{plan_id}", headers=headers).json

    assert body["times"] == ["08:00", "20:00"] and body["days_of_week"] == [0, 2, 4]
    assert body["start_date"] == "2026-12-01" and body["active"] is True


@pytest.mark.parametrize(
    "path", ["/api/v1/appointments/999", "/api/v1/medication-plans/999", "/api/v1/messages/7"]
)
def test_unknown_ids_are_404(client, headers, path):
    response = client.get(path, headers=headers)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_ids_beyond_the_database_range_are_404_not_errors(client, headers):
    assert client.get("/api/v1/appointments/99999999999999999999", headers=headers).status_code == 404


def test_message_status_never_shows_text_or_parameters(client, headers, db):
    due = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    with db.session() as session:
        patient = _patient(session)
        message = schedule_message(
            session,
            kind="appointment_day_before",
            recipient=patient.phone,
            language="bm",
            params={"place": "Gourma-Rharous Central", "time": "09:30"},
            due_at=due,
            patient_id=patient.id,
        )
        session.flush()
        message.text = "I ni sogoma, i ka don bolodalen ye sini ye"
        message.status = "delivered"
        session.add_all(
            [
                MessageEvent(message_id=message.id, status="sent", created_at=due),
                MessageEvent(
                    message_id=message.id, status="delivered", created_at=due + timedelta(minutes=1)
                ),
            ]
        )
        message_id, reference = message.id, patient.reference

    one = client.get(f"/api/v1/messages/{message_id}", headers=headers).json
    listed = client.get(f"/api/v1/patients/{reference}/messages", headers=headers).json

    assert (
        one["status"] == "delivered"
        and one["kind"] == "appointment_day_before"
        and one["patient"] == reference
    )
    assert [step["status"] for step in one["history"]] == ["sent", "delivered"]
    assert [item["id"] for item in listed["items"]] == [message_id]
    for shape in (one, listed["items"][0]):
        assert "text" not in shape and "params" not in shape and "recipient" not in shape
        assert "bolodalen" not in str(shape) and "Gourma" not in str(shape)


def test_messages_to_clinicians_are_not_visible(client, headers, db):
    with db.session() as session:
        alert = schedule_message(
            session, kind="emergency_alert", recipient="+22366123456", language="fr", params={}
        )
        session.flush()
        alert_id = alert.id

    assert client.get(f"/api/v1/messages/{alert_id}", headers=headers).status_code == 404


def test_unknown_path_and_method_answer_json(client, headers):
    missing = client.get("/api/v1/nothing-here", headers=headers)
    wrong_method = client.delete("/api/v1/referrals", headers=headers)

    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
