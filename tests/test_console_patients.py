"""Patients in the console: registration, the audited record, opt-out, appointments and medication."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_support import sign_in
from sqlalchemy import select

from service.models import Appointment, AuditEntry, MedicationPlan, OutboundMessage, Patient
from service.timeutil import utcnow


@pytest.fixture
def coordinator(app, client, db, demo):
    return sign_in(app, client, db, "coordinator")


@pytest.fixture
def patient(client, db, coordinator) -> Patient:
    response = client.post(
        "/console/patients/new",
        data={"phone": "76 55 55 55", "language": "fr", "sms_consent": "y", "place": "TBK-A3"},
    )
    assert response.status_code == 302
    with db.session() as session:
        return session.scalar(select(Patient))


def audit_actions(db) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def future(days: int = 3) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT10:00")


def test_registering_a_patient_and_viewing_the_record_is_audited(client, db, patient):
    assert patient.phone == "+22376555555" and patient.reference.startswith("P")
    page = client.get(f"/console/patients/{patient.id}").get_data(as_text=True)
    assert patient.reference in page
    assert audit_actions(db) == ["patient_added", "patient_viewed"]
    assert patient.reference in client.get("/console/patients?q=76555555").get_data(as_text=True)


def test_bad_quiet_hours_are_refused_next_to_the_field(client, db, coordinator):
    response = client.post(
        "/console/patients/new", data={"phone": "+22376555556", "language": "fr", "quiet_hours": "nuit"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="quiet_hours"' in html.split('class="error"')[0].rsplit('class="field', 1)[1]


def test_appointment_is_created_moved_and_cancelled_with_its_reminders(client, db, patient):
    client.post(
        f"/console/patients/{patient.id}/appointments", data={"starts_at": future(3), "place": "TBK-A3"}
    )
    with db.session() as session:
        appointment = session.scalar(select(Appointment))
        waiting = session.scalars(select(OutboundMessage).where(OutboundMessage.status == "scheduled")).all()
    assert waiting and all(message.appointment_id == appointment.id for message in waiting)
    client.post(f"/console/appointments/{appointment.id}/move", data={"starts_at": future(5)})
    with db.session() as session:
        assert (
            session.get(Appointment, appointment.id).starts_at.date() == (utcnow() + timedelta(days=5)).date()
        )
    client.post(f"/console/appointments/{appointment.id}/cancel")
    with db.session() as session:
        assert session.get(Appointment, appointment.id).status == "cancelled"
        statuses = set(session.scalars(select(OutboundMessage.status)))
    assert "scheduled" not in statuses
    assert audit_actions(db)[-2:] == ["appointment_move", "appointment_cancel"]


def test_appointment_marked_attended(client, db, patient):
    client.post(
        f"/console/patients/{patient.id}/appointments", data={"starts_at": future(2), "mobile_unit": "y"}
    )
    with db.session() as session:
        appointment = session.scalar(select(Appointment))
    client.post(f"/console/appointments/{appointment.id}/attended")
    with db.session() as session:
        assert session.get(Appointment, appointment.id).status == "attended"


def test_medication_plan_is_created_and_cancelled(client, db, patient):
    start = utcnow().date() + timedelta(days=1)
    response = client.post(
        f"/console/patients/{patient.id}/medication",
        data={
            "times": "08:00, 20:00",
            "days": ["0", "1", "2", "3", "4", "5", "6"],
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302
    with db.session() as session:
        plan = session.scalar(select(MedicationPlan))
        doses = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "medication")).all()
    assert plan.times == "08:00,20:00" and len(doses) == 6
    client.post(f"/console/medication/{plan.id}/cancel")
    with db.session() as session:
        assert session.get(MedicationPlan, plan.id).active is False
        assert {m.status for m in session.scalars(select(OutboundMessage))} == {"cancelled"}


def test_opt_out_then_back_in(client, db, patient):
    client.post(f"/console/patients/{patient.id}/opt-out")
    with db.session() as session:
        assert session.get(Patient, patient.id).opted_out is True
    page = client.get(f"/console/patients/{patient.id}").get_data(as_text=True)
    assert "STOP" in page
    refused = client.post(
        f"/console/patients/{patient.id}/appointments", data={"starts_at": future(3), "place": "TBK-A3"}
    )
    assert refused.status_code == 400 and "a arrêté les SMS" in refused.get_data(as_text=True)
    client.post(f"/console/patients/{patient.id}/opt-in")
    with db.session() as session:
        assert session.get(Patient, patient.id).opted_out is False


def test_record_lists_the_patients_messages_with_their_status(client, db, patient):
    client.post(
        f"/console/patients/{patient.id}/appointments", data={"starts_at": future(3), "place": "TBK-A3"}
    )
    page = client.get(f"/console/patients/{patient.id}").get_data(as_text=True)
    assert "Rendez-vous : la veille" in page and "Programmé" in page


def test_a_patient_who_cannot_read_is_registered_for_calls_in_their_language(client, db, coordinator):
    response = client.post(
        "/console/patients/new",
        data={
            "phone": "76 55 55 57",
            "language": "fr",
            "sms_consent": "y",
            "channel": "voice",
            "voice_language": "bm",
        },
    )
    assert response.status_code == 302
    with db.session() as session:
        patient = session.scalars(select(Patient)).one()
        assert (patient.channel, patient.voice_language) == ("voice", "bm")
    page = client.get(f"/console/patients/{patient.id}").get_data(as_text=True)
    assert "Appels (message enregistré) (Bamanankan)" in page


def test_a_voice_language_outside_voice_languages_is_refused_next_to_the_field(client, db, coordinator):
    response = client.post(
        "/console/patients/new",
        data={"phone": "76 55 55 58", "language": "fr", "channel": "voice", "voice_language": "xx"},
    )
    assert response.status_code == 400
    assert "langue des appels" in response.get_data(as_text=True)
