from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.care.appointments import schedule_appointment
from service.care.errors import CareError
from service.care.patients import add_patient, find_patient, opt_in, opt_out, update_patient
from service.errors import DomainError
from service.models import OutboundMessage, Patient

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_patient_is_stored_with_e164_phone_and_a_p_reference(db, demo):
    with db.session() as session:
        patient = add_patient(
            session, "76 12 34 60", "bm", quiet_hours=" 21:00 - 07:00 ", place_code="TBK-V08"
        )
        assert patient.phone == "+22376123460"
        assert patient.reference.startswith("P") and len(patient.reference) == 4
        assert patient.quiet_hours == "21:00-07:00"
        assert (patient.sms_consent, patient.opted_out, patient.shared_phone) == (True, False, False)
        assert patient.place_id is not None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "12"}, "8 digits"),
        ({"language": "en"}, "Choose French or Bambara"),
        ({"quiet_hours": "21h-7h"}, "two different times, e.g. 21:00-07:00"),
        ({"quiet_hours": "off"}, "or leave them empty"),
        ({"place_code": "NOWHERE"}, "No place has the code NOWHERE"),
    ],
)
def test_bad_patient_details_are_refused_with_the_reason(db, demo, changes, message):
    details = {"phone": "+22376123460", "language": "fr", **changes}
    with db.session() as session, pytest.raises(DomainError, match=message) as refused:
        add_patient(session, **details)
    assert refused.value.field == next(iter(changes))


def test_a_second_patient_on_a_phone_must_be_marked_shared(db):
    with db.session() as session:
        first = add_patient(session, "+22376123460")
        with pytest.raises(CareError, match=f"already belongs to patient {first.reference}"):
            add_patient(session, "+22376123460")
        second = add_patient(session, "+22376123460", shared_phone=True)
        assert first.shared_phone and second.shared_phone
        with pytest.raises(CareError, match="give the patient's reference"):
            find_patient(session, "+22376123460")
        assert find_patient(session, second.reference.lower()) is second


def test_find_patient_by_phone_or_reference(db):
    with db.session() as session:
        patient = add_patient(session, "+22376123460")
        assert find_patient(session, "0022376123460") is patient
        assert find_patient(session, f" {patient.reference} ") is patient
        assert find_patient(session, "+22376123461") is None
        assert find_patient(session, "P999") is None


def test_updating_phone_and_language_updates_waiting_reminders(db, demo, settings):
    with db.session() as session:
        patient = add_patient(session, "+22376123460", "fr")
        schedule_appointment(session, settings, patient, NOW + timedelta(days=2), mobile_unit=True, now=NOW)
        update_patient(session, patient, phone="76 12 34 61", language="bm", quiet_hours="22:00-06:00")
        waiting = session.scalars(select(OutboundMessage)).all()
        assert {(row.recipient, row.language) for row in waiting} == {("+22376123461", "bm")}
        assert patient.quiet_hours == "22:00-06:00"
        with pytest.raises(CareError, match="opted_out cannot be changed"):
            update_patient(session, patient, opted_out=False)


def test_withdrawn_consent_cancels_waiting_reminders(db, demo, settings):
    with db.session() as session:
        patient = add_patient(session, "+22376123460")
        schedule_appointment(session, settings, patient, NOW + timedelta(days=2), mobile_unit=True, now=NOW)
        update_patient(session, patient, sms_consent=False)
        statuses = set(session.scalars(select(OutboundMessage.status)))
    assert statuses == {"cancelled"}


def test_opt_out_marks_every_patient_on_the_phone_and_confirms_once(db, demo, settings):
    with db.session() as session:
        first = add_patient(session, "+22376123460", "bm")
        add_patient(session, "+22376123460", "fr", shared_phone=True)
        other = add_patient(session, "+22376123461")
        schedule_appointment(session, settings, first, NOW + timedelta(days=2), mobile_unit=True, now=NOW)
        schedule_appointment(session, settings, other, NOW + timedelta(days=2), mobile_unit=True, now=NOW)
        assert opt_out(session, "76123460", source="test", now=NOW) == 2
        assert opt_out(session, "+22376123460", source="test", now=NOW) == 0
        opted = {p.phone: p.opted_out for p in session.scalars(select(Patient))}
        confirmations = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "optout_confirmation")
        )
        by_status = {
            (row.recipient, row.status)
            for row in session.scalars(select(OutboundMessage))
            if row.kind != "optout_confirmation"
        }
        assert [(row.recipient, row.params, row.due_at) for row in confirmations] == [
            ("+22376123460", {}, NOW)
        ]
    assert opted == {"+22376123460": True, "+22376123461": False}
    assert by_status == {("+22376123460", "cancelled"), ("+22376123461", "scheduled")}


def test_a_new_patient_on_an_opted_out_phone_starts_opted_out(db):
    with db.session() as session:
        add_patient(session, "+22376123460")
        opt_out(session, "+22376123460", source="test", now=NOW)
        newcomer = add_patient(session, "+22376123460", shared_phone=True)
        assert newcomer.opted_out and newcomer.opted_out_at == NOW


def test_opt_in_allows_new_reminders_and_a_later_stop_is_confirmed_again(db, demo, settings):
    with db.session() as session:
        patient = add_patient(session, "+22376123460")
        opt_out(session, patient.phone, source="test", now=NOW)
        opt_in(session, patient)
        schedule_appointment(session, settings, patient, NOW + timedelta(days=2), mobile_unit=True, now=NOW)
        opt_out(session, patient.phone, source="test", now=NOW)
        confirmations = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "optout_confirmation")
        ).all()
    assert len(confirmations) == 2
