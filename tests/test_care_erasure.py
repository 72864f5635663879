"""Erasure on request: the patient's phone, SMS texts, replies and referral links go; their reference and
counts stay; the audit log says who and why, never what."""

from __future__ import annotations

from datetime import timedelta

from conftest import CALLBACK_TOKEN
from console_support import make_referral, sign_in
from sqlalchemy import func, select

from service.care.appointments import schedule_appointment
from service.care.patients import add_patient
from service.models import Appointment, AuditEntry, InboundMessage, OutboundMessage, Patient, Referral
from service.timeutil import utcnow

PHONE = "+22376555555"


def _booked(db, settings):
    """A patient reached through a referral, with an appointment, a sent reminder and a reply."""
    referral = make_referral(db, reference="R8KE", contact_phone=PHONE)
    with db.session() as session:
        patient = add_patient(session, PHONE, "fr")
        session.get(Referral, referral.id).patient_id = patient.id
        schedule_appointment(session, settings, patient, utcnow() + timedelta(days=3), mobile_unit=True)
        first = session.scalars(
            select(OutboundMessage).where(OutboundMessage.patient_id == patient.id)
        ).first()
        first.status, first.text = "sent", "Jigi: rappel de votre rendez-vous..."
        return patient.id, referral.id


def _counts(db, patient_id):
    with db.session() as session:
        return {
            "appointments": session.scalar(select(func.count()).where(Appointment.patient_id == patient_id)),
            "messages": session.scalar(select(func.count()).where(OutboundMessage.patient_id == patient_id)),
        }


def test_the_command_erases_what_identifies_and_keeps_the_counts(runner, client, db, demo, settings):
    patient_id, referral_id = _booked(db, settings)
    client.post(
        f"/at/sms/inbound?token={CALLBACK_TOKEN}",
        data={"from": PHONE, "to": "36123", "text": "Merci, je viendrai", "date": "2026-11-30", "id": "AT1"},
    )
    before = _counts(db, patient_id)

    result = runner.invoke(args=["patients", "forget", "PXXX", "--reason", "x"])
    assert result.exit_code == 1
    with db.session() as session:
        reference = session.get(Patient, patient_id).reference
    result = runner.invoke(args=["patients", "forget", reference, "--reason", "La personne l'a demandé"])

    assert result.exit_code == 0, result.output
    assert _counts(db, patient_id) == before
    with db.session() as session:
        patient = session.get(Patient, patient_id)
        assert (patient.phone, patient.sms_consent, patient.opted_out) == ("", False, True)
        messages = session.scalars(
            select(OutboundMessage).where(OutboundMessage.patient_id == patient_id)
        ).all()
        assert {m.recipient for m in messages} == {""} and {m.text for m in messages} == {None}
        assert {m.status for m in messages} <= {"sent", "cancelled"} and all(m.params == {} for m in messages)
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        referral = session.get(Referral, referral_id)
        assert (referral.patient_id, referral.contact_phone) == (None, None)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "patient_erased")).one()
    assert "La personne l'a demandé" in entry.detail and PHONE not in entry.detail


def test_an_admin_erases_from_the_console_with_a_reason(app, client, db, demo, settings):
    patient_id, _ = _booked(db, settings)
    sign_in(app, client, db, "coordinator")
    assert "Effacer ce dossier" not in client.get(f"/console/patients/{patient_id}").get_data(as_text=True)
    assert client.post(f"/console/patients/{patient_id}/forget", data={"reason": "x"}).status_code == 403

    sign_in(app, client, db, "admin")
    client.post(f"/console/patients/{patient_id}/forget", data={"reason": "", "confirm": "yes"})
    unconfirmed = client.post(
        f"/console/patients/{patient_id}/forget", data={"reason": "Demande écrite"}, follow_redirects=True
    )
    assert "cochez « Je confirme » pour effacer" in unconfirmed.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Patient, patient_id).phone == PHONE

    client.post(
        f"/console/patients/{patient_id}/forget", data={"reason": "Demande écrite du 30/11", "confirm": "yes"}
    )
    with db.session() as session:
        assert session.get(Patient, patient_id).phone == ""
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.action == "patient_erased")).one()


def test_a_blank_reason_is_refused_in_the_readers_language_and_erases_nothing(
    app, client, db, demo, settings
):
    patient_id, _ = _booked(db, settings)
    sign_in(app, client, db, "admin")

    page = client.post(
        f"/console/patients/{patient_id}/forget",
        data={"reason": "  ", "confirm": "yes"},
        follow_redirects=True,
    )

    assert "Dites pourquoi (par exemple : la personne" in page.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Patient, patient_id).phone == PHONE
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "patient_erased")).all() == []


def test_the_contact_phone_of_a_referral_is_erased_alone_by_command(runner, db, demo):
    referral = make_referral(db, reference="R9CF", contact_phone=PHONE)

    refused = runner.invoke(args=["referrals", "forget-contact", "R9CF", "--reason", " "])
    erased = runner.invoke(args=["referrals", "forget-contact", "r9cf", "--reason", "Demande du 30/11"])

    assert refused.exit_code == 1 and "Say why" in refused.output
    assert erased.exit_code == 0, erased.output
    with db.session() as session:
        kept = session.get(Referral, referral.id)
        assert (kept.contact_phone, kept.phone_shared, kept.reference) == (None, None, "R9CF")
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "referral_contact_erased")
        ).one()
    assert "R9CF" in entry.detail and "Demande du 30/11" in entry.detail and PHONE not in entry.detail


def test_only_an_admin_erases_a_referral_contact_from_the_console(app, client, db, demo):
    referral = make_referral(db, reference="R9CG", contact_phone=PHONE)
    url = f"/console/referrals/{referral.id}"
    sign_in(app, client, db, "coordinator")
    assert "Effacer ce numéro" not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/forget-contact", data={"reason": "x"}).status_code == 403

    sign_in(app, client, db, "admin")
    shown = client.get(url).get_data(as_text=True)
    assert "Effacer ce numéro" in shown and 'name="confirm" value="yes" required' in shown
    # the erasure stands below the history, away from the page's main actions
    assert shown.index("Effacer ce numéro") > shown.index("Historique") > shown.index("Actions")
    client.post(f"{url}/forget-contact", data={"reason": "La personne l'a demandé"})
    with db.session() as session:
        assert session.get(Referral, referral.id).contact_phone == PHONE
    page = client.post(
        f"{url}/forget-contact",
        data={"reason": "La personne l'a demandé", "confirm": "yes"},
        follow_redirects=True,
    )

    assert "Numéro de contact effacé." in page.get_data(as_text=True)
    assert PHONE not in page.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Referral, referral.id).contact_phone is None
