"""The referral queue and triage: filters, emergencies first, consent, and each triage action."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from console_support import make_referral, place, sign_in
from sqlalchemy import select

from service.models import (
    Appointment,
    AuditEntry,
    EmergencyAlert,
    OutboundMessage,
    Patient,
    Referral,
    ReferralEvent,
    Volunteer,
)
from service.referrals.alerts import raise_emergency_alert, take_in_charge
from service.timeutil import utcnow


@pytest.fixture
def coordinator(app, client, db, demo):
    return sign_in(app, client, db, "coordinator")


def local_input(moment: datetime) -> str:
    """A datetime-local form value (Bamako is UTC+0)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def referral_row(db, reference: str) -> Referral:
    with db.session() as session:
        return session.scalar(select(Referral).where(Referral.reference == reference))


def test_queue_lists_emergencies_first_with_their_age(client, db, coordinator):
    now = utcnow()
    make_referral(db, reference="R111", urgency="routine", created_at=now - timedelta(days=3))
    make_referral(db, reference="R222", urgency="emergency", created_at=now - timedelta(hours=2, minutes=5))
    make_referral(db, reference="R333", urgency="urgent", created_at=now - timedelta(days=1))
    page = client.get("/console/referrals").get_data(as_text=True)
    assert page.index("R222") < page.index("R333") < page.index("R111")
    assert "il y a 2 h" in page.replace("\xa0", " ")


def test_relative_times_read_with_bambara_words_not_a_minus_sign(client, db, coordinator):
    make_referral(db, reference="R223", urgency="urgent", created_at=utcnow() - timedelta(hours=2, minutes=5))
    page = client.get("/console/referrals?lang=bm").get_data(as_text=True)
    assert "a ye lɛrɛ 2 bɔ" in page and "(-" not in page and "-2 h" not in page


def test_queue_filters_by_district_urgency_and_status(client, db, coordinator):
    make_referral(db, reference="R444", village="TBK-V09", urgency="urgent")
    make_referral(db, reference="R555", village="GAO-V01", urgency="urgent", volunteer_phone="+22376000001")
    make_referral(db, reference="R666", village="TBK-V09", urgency="routine", status="closed")
    bourem = place(db, "GAO-D2")
    page = client.get(f"/console/referrals?district={bourem.id}").get_data(as_text=True)
    assert "R555" in page and "R444" not in page
    page = client.get("/console/referrals?urgency=urgent").get_data(as_text=True)
    assert "R444" in page and "R555" in page and "R666" not in page
    page = client.get("/console/referrals?status=closed").get_data(as_text=True)
    assert "R666" in page and "R444" not in page


def test_referral_without_consent_shows_no_contact_phone(client, db, coordinator):
    referral = make_referral(db, reference="R777", consent=False, contact_phone="+22376555555")
    with db.session() as session:  # even a phone stored by mistake stays hidden
        session.get(Referral, referral.id).contact_phone = "+22376555555"
    page = client.get(f"/console/referrals/{referral.id}").get_data(as_text=True)
    assert "+22376555555" not in page
    assert "Pas de consentement" in page


def test_marking_contacted_records_first_contact_event_and_audit(client, db, coordinator):
    referral = make_referral(db, reference="R888")
    response = client.post(f"/console/referrals/{referral.id}/contacted")
    assert response.status_code == 302
    row = referral_row(db, "R888")
    assert row.status == "contacted" and row.first_contact_at is not None
    with db.session() as session:
        event = session.scalar(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id))
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "referral_contacted"))
    assert (event.kind, event.actor) == ("contacted", "coordinator@jigi.ml")
    assert "R888" in audit.detail and audit.actor == "coordinator@jigi.ml"


def test_first_contact_sends_the_volunteer_one_feedback_sms_in_their_language(client, db, coordinator):
    referral = make_referral(db, reference="R8K8", volunteer_phone="+22376123456")
    client.post(f"/console/referrals/{referral.id}/contacted")
    client.post(f"/console/referrals/{referral.id}/appointment", data={"phone": "76 55 55 55"})

    with db.session() as session:
        feedback = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "referral_ack")
        ).all()
        volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == "+22376123456"))
    assert len(feedback) == 1
    assert (feedback[0].recipient, feedback[0].params) == ("+22376123456", {"reference": "R8K8"})
    assert feedback[0].language == volunteer.language


def test_no_feedback_sms_when_the_programme_turns_it_off(app, client, db, coordinator):
    app.extensions["jigi.settings"] = replace(app.extensions["jigi.settings"], referral_feedback_sms=False)
    referral = make_referral(db, reference="R8K9")
    client.post(f"/console/referrals/{referral.id}/contacted")

    assert referral_row(db, "R8K9").status == "contacted"
    with db.session() as session:
        assert session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "referral_ack")) is None


def test_triage_into_appointment_creates_patient_appointment_and_reminders(client, db, coordinator):
    referral = make_referral(db, reference="R999", urgency="emergency", contact_phone="+22376555555")
    starts_at = (utcnow() + timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
    response = client.post(
        f"/console/referrals/{referral.id}/appointment",
        data={
            "phone": "76 55 55 55",
            "language": "bm",
            "starts_at": local_input(starts_at),
            "place": "TBK-A3",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with db.session() as session:
        row = session.get(Referral, referral.id)
        patient = session.get(Patient, row.patient_id)
        appointment = session.scalar(select(Appointment).where(Appointment.referral_id == referral.id))
        reminders = session.scalars(
            select(OutboundMessage).where(OutboundMessage.appointment_id == appointment.id)
        ).all()
        events = session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).all()
        place_code = appointment.place.code
    assert row.status == "appointment_set" and row.first_contact_at is not None
    assert (patient.phone, patient.language) == ("+22376555555", "bm")
    assert appointment.starts_at == starts_at and place_code == "TBK-A3"
    kinds = {message.kind for message in reminders}
    assert {"appointment_day_before", "appointment_same_day"} <= kinds
    assert all(message.recipient == "+22376555555" and message.language == "bm" for message in reminders)
    assert [event.kind for event in events] == ["appointment_set"]


def test_appointment_in_the_past_is_refused_next_to_the_field(client, db, coordinator):
    referral = make_referral(db, reference="R3K4")
    response = client.post(
        f"/console/referrals/{referral.id}/appointment",
        data={"phone": "+22376555555", "language": "fr", "starts_at": "2020-01-01T09:00", "place": "TBK-A3"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Cette date est passée" in text
    with db.session() as session:
        assert session.scalars(select(Appointment)).all() == []
    assert referral_row(db, "R3K4").status == "new"


def test_appointment_without_phone_or_place_is_refused(client, db, coordinator):
    referral = make_referral(db, reference="R3K5", consent=False)
    starts_at = utcnow() + timedelta(days=2)
    response = client.post(
        f"/console/referrals/{referral.id}/appointment",
        data={"phone": "", "language": "fr", "starts_at": local_input(starts_at), "place": "TBK-A3"},
    )
    assert response.status_code == 400
    assert "Donnez le téléphone du patient" in response.get_data(as_text=True)
    response = client.post(
        f"/console/referrals/{referral.id}/appointment",
        data={"phone": "+22376555555", "language": "fr", "starts_at": local_input(starts_at), "place": ""},
    )
    assert "Choisissez le lieu" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(Patient)).all() == []


def test_seen_then_closed_with_outcome(client, db, coordinator):
    referral = make_referral(db, reference="R3K6", status="contacted")
    client.post(f"/console/referrals/{referral.id}/seen")
    assert referral_row(db, "R3K6").status == "seen"
    client.post(f"/console/referrals/{referral.id}/close", data={"outcome": "better"})
    row = referral_row(db, "R3K6")
    assert (row.status, row.outcome) == ("closed", "better")
    with db.session() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["referral_seen", "referral_closed"]


def test_closed_referral_cannot_be_marked_contacted(client, db, coordinator):
    referral = make_referral(db, reference="R3K7", status="closed")
    response = client.post(f"/console/referrals/{referral.id}/contacted", follow_redirects=True)
    assert "plus possible" in response.get_data(as_text=True)
    assert referral_row(db, "R3K7").status == "closed"


def _emergency(db, reference: str):
    referral = make_referral(db, reference=reference, urgency="emergency", category="self_harm")
    with db.session() as session:
        raise_emergency_alert(session, session.get(Referral, referral.id), timedelta(minutes=5))
    return referral


def _alert(db, referral_id: int) -> EmergencyAlert:
    with db.session() as session:
        return session.scalar(select(EmergencyAlert).where(EmergencyAlert.referral_id == referral_id))


def test_a_coordinator_takes_an_emergency_in_charge_and_its_escalation_stops(client, db, coordinator):
    referral = _emergency(db, "R9K1")
    assert "Je la prends en charge" in client.get(f"/console/referrals/{referral.id}").get_data(as_text=True)

    client.post(f"/console/referrals/{referral.id}/alert/take")

    alert = _alert(db, referral.id)
    assert alert.acknowledged_by == coordinator.email and alert.next_escalation_at is None
    with db.session() as session:
        waiting = session.scalars(select(OutboundMessage.status).where(OutboundMessage.alert_id == alert.id))
        assert set(waiting) == {"cancelled"}
    page = client.get(f"/console/referrals/{referral.id}").get_data(as_text=True)
    assert f"Prise en charge par {coordinator.email}" in page and "Je la prends en charge" not in page
    client.post(f"/console/referrals/{referral.id}/alert/take")
    assert _alert(db, referral.id).acknowledged_at == alert.acknowledged_at
    with db.session() as session:
        history = session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).all()
    assert [(event.kind, event.actor) for event in history] == [("taken_in_charge", coordinator.email)]
    assert "Urgence prise en charge" in page
    queue = client.get("/console/referrals").get_data(as_text=True)
    assert f"Prise en charge par {coordinator.email}" in queue


def test_an_emergency_waiting_for_someone_shows_it_in_the_queue_and_its_action_comes_first(
    client, db, coordinator
):
    referral = _emergency(db, "R9K3")
    queue = client.get("/console/referrals").get_data(as_text=True)
    page = client.get(f"/console/referrals/{referral.id}").get_data(as_text=True)

    assert "Pas encore prise en charge." in queue
    take = page.index("Je la prends en charge")
    assert take < page.index("Actions") < page.index("Catégorie")


def test_a_clinicians_ok_shows_their_number_as_a_link_to_call(client, db, coordinator):
    referral = _emergency(db, "R9K4")
    with db.session() as session:
        take_in_charge(session, _alert(db, referral.id), "+22376000111", utcnow())

    page = client.get(f"/console/referrals/{referral.id}").get_data(as_text=True)

    assert 'Prise en charge par <a href="tel:+22376000111" class="tel">+22376000111</a>' in page
    volunteer = referral_row(db, "R9K4").volunteer_id
    with db.session() as session:
        phone = session.get(Volunteer, volunteer).phone
    assert f'href="tel:{phone}"' in page


def test_contacting_the_person_counts_as_taking_the_emergency_in_charge(client, db, coordinator):
    referral = _emergency(db, "R9K2")
    client.post(f"/console/referrals/{referral.id}/contacted")
    assert _alert(db, referral.id).acknowledged_by == coordinator.email
