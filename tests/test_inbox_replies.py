import threading
from datetime import UTC, datetime, timedelta

import pytest
from conftest import CALLBACK_TOKEN
from console_support import sign_in
from sqlalchemy import select

from service.care.appointments import schedule_appointment
from service.care.patients import add_patient
from service.inbox.replies import normalize_reply
from service.models import Appointment, InboundMessage, OutboundMessage, Patient
from service.timeutil import utcnow

INBOUND = f"/at/sms/inbound?token={CALLBACK_TOKEN}"
OPTOUT = f"/at/sms/optout?token={CALLBACK_TOKEN}"
PHONE = "+22376123460"


def sms(client, text, at_id="ATXid_1", sender=PHONE):
    form = {"from": sender, "to": "36123", "text": text, "date": "2026-11-30 10:00:00", "id": at_id}
    return client.post(INBOUND, data={**form, "linkId": "link-1", "networkCode": "61002"})


def inbound(db):
    with db.session() as session:
        return session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()


@pytest.fixture
def booked(db, demo, settings):
    """A patient with an appointment in two days whose day-before reminder was sent."""
    with db.session() as session:
        patient = add_patient(session, PHONE, "bm")
        appointment = schedule_appointment(
            session, settings, patient, utcnow() + timedelta(days=2), mobile_unit=True
        )
        reminder = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "appointment_day_before")
        ).one()
        reminder.status, reminder.sent_at = "sent", utcnow()
        return appointment.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" Arrêt! ", "ARRET"),
        ("awɔ", "AWO"),
        ("AWÔ", "AWO"),
        ("ok, r7k2.", "OK R7K2"),
        ("ɲɛ ŋa", "NYE NGA"),
        ("", ""),
    ],
)
def test_replies_are_normalised_for_matching(text, expected):
    assert normalize_reply(text) == expected


@pytest.mark.parametrize(
    "word", ["stop", "Arrêt", " ARRETER ", "Stopper.", "dabila", "Arrêtez svp", "A lajɔ"]
)
def test_stop_words_opt_out_cancel_pending_rows_and_confirm_once(client, db, booked, word):
    assert sms(client, word, at_id="a1").status_code == 200
    assert sms(client, "STOP", at_id="a2").status_code == 200
    with db.session() as session:
        patient = session.scalars(select(Patient)).one()
        rows = session.scalars(select(OutboundMessage)).all()
    confirmations = [row for row in rows if row.kind == "optout_confirmation"]
    assert patient.opted_out
    assert [(row.recipient, row.language) for row in confirmations] == [(PHONE, "bm")]
    assert {row.status for row in rows if row.kind != "optout_confirmation"} == {"sent", "cancelled"}
    assert [(m.kind, m.handled) for m in inbound(db)] == [("optout", True), ("optout", True)]


def test_a_near_miss_opts_nobody_out_and_waits_first_in_the_inbox(app, client, db, booked):
    sms(client, "Merci, je viendrai", at_id="b1")
    sms(client, "STPO", at_id="b2")
    sms(client, "A demain", at_id="b3")

    with db.session() as session:
        assert session.scalars(select(Patient)).one().opted_out is False
    assert [(m.text, m.kind, m.handled) for m in inbound(db)][1] == ("STPO", "possible_optout", False)
    sign_in(app, client, db, "coordinator")
    page = client.get("/console/inbox").get_data(as_text=True)
    assert page.index("STPO") < page.index("A demain") < page.index("Merci, je viendrai")
    assert "Demande peut-être d&#39;arrêter les SMS" in page


def test_a_retry_of_the_same_inbound_id_is_processed_once(client, db, booked):
    first = sms(client, "STOP", at_id="same")
    again = sms(client, "STOP", at_id="same")
    assert (first.status_code, again.status_code) == (200, 200)
    with db.session() as session:
        confirmations = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "optout_confirmation")
        ).all()
    assert len(inbound(db)) == 1
    assert len(confirmations) == 1


def test_concurrent_deliveries_of_one_inbound_id_store_it_once(app, db, booked):
    start = threading.Barrier(4)
    answers = []

    def deliver():
        client = app.test_client()
        start.wait(timeout=10)
        answers.append(sms(client, "STOP", at_id="raced").status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with db.session() as session:
        confirmations = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "optout_confirmation")
        ).all()
    assert answers == [200, 200, 200, 200]
    assert len(inbound(db)) == 1
    assert len(confirmations) == 1


@pytest.mark.parametrize("word", ["1", "oui", "Awo", "AWÔ", "awɔ"])
def test_yes_after_a_reminder_confirms_the_appointment(client, db, booked, word):
    assert sms(client, word).status_code == 200
    with db.session() as session:
        appointment = session.get(Appointment, booked)
    assert appointment.status == "confirmed" and appointment.confirmed_at is not None
    assert [(m.kind, m.handled, m.handled_by) for m in inbound(db)] == [("confirm", True, "jigi")]


def test_yes_without_a_sent_reminder_is_kept_for_coordinators(client, db, demo, settings):
    with db.session() as session:
        patient = add_patient(session, PHONE)
        schedule_appointment(session, settings, patient, utcnow() + timedelta(days=2), mobile_unit=True)
    sms(client, "OUI")
    with db.session() as session:
        assert session.scalars(select(Appointment)).one().status == "scheduled"
    assert [(m.kind, m.handled) for m in inbound(db)] == [("other", False)]


def test_other_text_is_stored_for_coordinators(client, db, booked):
    assert sms(client, "Je viendrai avec ma mère", sender="0022376123460").status_code == 200
    [message] = inbound(db)
    assert (message.kind, message.handled, message.sender, message.to) == (
        "other",
        False,
        "+22376123460",
        "36123",
    )
    assert (message.text, message.normalized, message.link_id) == (
        "Je viendrai avec ma mère",
        "JE VIENDRAI AVEC MA MERE",
        "link-1",
    )
    with db.session() as session:
        assert session.get(Appointment, booked).status == "scheduled"


def test_an_empty_sms_is_stored(client, db):
    assert sms(client, "").status_code == 200
    assert [(m.text, m.kind) for m in inbound(db)] == [("", "other")]


@pytest.mark.parametrize("missing", ["from", "id", "text"])
def test_malformed_inbound_body_is_refused(client, db, missing):
    form = {"from": PHONE, "to": "36123", "text": "STOP", "id": "x1", "date": "2026-11-30 10:00:00"}
    del form[missing]
    response = client.post(INBOUND, data=form)
    assert response.status_code == 400
    assert missing in response.get_data(as_text=True)
    assert inbound(db) == []


def test_callbacks_need_the_token(client, db):
    assert (
        client.post(
            "/at/sms/inbound?token=wrong", data={"from": PHONE, "id": "1", "text": "STOP"}
        ).status_code
        == 403
    )
    assert client.post("/at/sms/optout", data={"phoneNumber": PHONE}).status_code == 403
    assert inbound(db) == []


def test_bulk_optout_opts_out_without_a_confirmation_sms(client, db, booked):
    response = client.post(OPTOUT, data={"senderId": "JIGI", "phoneNumber": PHONE})
    assert response.status_code == 200
    with db.session() as session:
        assert session.scalars(select(Patient)).one().opted_out
        rows = session.scalars(select(OutboundMessage)).all()
    assert {row.status for row in rows} == {"sent", "cancelled"}
    assert not any(row.kind == "optout_confirmation" for row in rows)


@pytest.mark.parametrize("form", [{"senderId": "JIGI"}, {"senderId": "JIGI", "phoneNumber": "12"}])
def test_bulk_optout_without_a_valid_phone_is_refused(client, form):
    assert client.post(OPTOUT, data=form).status_code == 400


@pytest.mark.parametrize(
    ("date", "kept"),
    [
        ("2026-11-30 10:00:00", datetime(2026, 11, 30, 10, 0, tzinfo=UTC)),
        ("2026-11-30T10:00:00.452Z", datetime(2026, 11, 30, 10, 0, 0, 452000, tzinfo=UTC)),
        ("hier", None),
        ("2999-01-01 00:00:00", None),
    ],
)
def test_an_incoming_sms_keeps_the_gateways_time_unless_it_is_unreadable(client, db, date, kept):
    before = utcnow()
    form = {"from": PHONE, "to": "36123", "text": "merci", "date": date, "id": "ATXid_date"}

    assert client.post(INBOUND, data=form).status_code == 200

    [message] = inbound(db)
    if kept is None:
        assert before <= message.received_at <= utcnow()
    else:
        assert message.received_at == kept


@pytest.mark.parametrize("missing", ["from", "to", "text", "id"])
def test_an_incoming_sms_without_from_to_text_or_id_is_a_400(client, db, missing):
    form = {"from": PHONE, "to": "36123", "text": "merci", "date": "", "id": "ATXid_x"}
    del form[missing]

    answer = client.post(INBOUND, data=form)

    assert answer.status_code == 400 and missing in answer.get_data(as_text=True)
    assert inbound(db) == []
