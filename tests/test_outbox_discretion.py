"""No SMS names a condition, a medicine or the care itself, whatever is filled into it: templates are
refused when saved, and a rendered text that would say it is held before it leaves."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from console_support import sign_in
from sms_fixtures import NOON, add_message, row, send_due
from sqlalchemy import select

from service.care.appointments import schedule_appointment
from service.care.patients import add_patient
from service.models import OutboundMessage, Place, SystemAlert
from service.outbox.discretion import default_words, forbidden_words, indiscreet
from service.places import by_code
from service.timeutil import utcnow


@pytest.mark.parametrize(
    "text",
    [
        "Jigi: kirikirimasiyɛn",
        "Jigi: KIRIKIRIMASIEN",
        "Jigi: kirikirimasiyèn",
        "I ka yɛrɛfaga miiri",
        "a ye hakili bana sɔrɔ",
        "Prenez votre Gardénal",
        "TEGRETOL 200",
        "Largactil, Valium, Dépakine, Artane, Modécate",
        "Service de Psychiatrie de Gao",
        "fatɔw ka so",
        "Rendez-vous santé mentale",
    ],
)
def test_every_spelling_of_a_condition_or_a_medicine_is_found(text):
    assert forbidden_words(text, default_words()) != []


@pytest.mark.parametrize(
    "text",
    [
        "Jigi: rendez-vous demain 09:30, CSCom de Fatoma. Code P7K2.",
        "Jigi: i ka taa don bolodalen na sini, Bellafarandi. P7K2",
        "Répondez 1 pour confirmer, STOP pour arrêter.",
    ],
)
def test_ordinary_reminders_and_place_names_pass(text):
    assert forbidden_words(text, default_words()) == []


def test_configured_words_add_to_the_shipped_list(settings):
    extended = replace(settings, forbidden_words_extra=("clinique du fleuve",))
    assert indiscreet("La Clinique du Fleuve", extended) == ["clinique du fleuve"]
    assert indiscreet("Gardénal", extended) == ["gardénal"]


def test_a_reminder_that_would_name_its_facility_is_held_and_coordinators_are_told(
    db, at_settings, at_server
):
    params = {
        "reference": "P7K2",
        "starts_at": "2025-05-13T08:30:00+00:00",
        "place": "Service de psychiatrie",
    }
    message_id = add_message(db, "appointment_day_before", params=params)

    assert send_due(db, at_settings, NOON) == {message_id: "held"}

    assert at_server.received() == []
    held = row(db, message_id)
    assert held.status == "held" and "psychiatr" in held.last_error and held.text is None
    with db.session() as session:
        [alert] = session.scalars(select(SystemAlert).where(SystemAlert.resolved_at.is_(None)))
    assert alert.kind == "held_sms" and "sms_name" in alert.message
    assert send_due(db, at_settings, NOON) == {}


def test_a_place_with_a_neutral_sms_name_is_named_so_in_reminders(db, demo, settings):
    with db.session() as session:
        place = by_code(session, "TBK-A3")
        place.name, place.sms_name = "Service de psychiatrie", "Centre Bellafarandi"
        patient = add_patient(session, "+22376123460", place_code="TBK-A3")
        appointment = schedule_appointment(
            session, settings, patient, utcnow() + timedelta(days=3), place=place
        )
        rows = session.scalars(
            select(OutboundMessage).where(OutboundMessage.appointment_id == appointment.id)
        )
        assert {message.params["place"] for message in rows if "place" in message.params} == {
            "Centre Bellafarandi"
        }
        assert session.get(Place, place.id).name_in_sms == "Centre Bellafarandi"


def test_a_held_reminder_is_released_with_the_places_new_sms_name_and_then_sent(
    app, client, db, demo, at_settings, at_server
):
    sign_in(app, client, db, "coordinator")
    with db.session() as session:
        place = by_code(session, "TBK-A3")
        place.name = "Service de psychiatrie"
        patient = add_patient(session, "+22376123460", place_code="TBK-A3")
        appointment = schedule_appointment(
            session, at_settings, patient, utcnow() + timedelta(hours=30), place=place
        )
        [reminder] = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.appointment_id == appointment.id,
                OutboundMessage.kind == "appointment_day_before",
            )
        )
        reminder.due_at, reminder_id = NOON, reminder.id
    assert send_due(db, replace(at_settings, quiet_hours=None), NOON)[reminder_id] == "held"

    with db.session() as session:
        by_code(session, "TBK-A3").sms_name = "CSCom Bellafarandi"
    client.post(f"/console/messages/{reminder_id}/release")

    released = row(db, reminder_id)
    assert released.status == "scheduled" and released.params["place"] == "CSCom Bellafarandi"
    assert send_due(db, replace(at_settings, quiet_hours=None), released.due_at)[reminder_id] == "sent"
    [sent] = at_server.received()
    assert "CSCom Bellafarandi" in sent.message and "psychiatr" not in sent.message.lower()
    assert client.post(f"/console/messages/{reminder_id}/release").status_code == 302
    assert row(db, reminder_id).status == "sent"
