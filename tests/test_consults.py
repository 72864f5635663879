"""Remote consultations: a specialist's sessions and free slots, booking with its refusals, the three
people's messages (discreet, each once), moving, cancelling, the specialist's OK, and the outcome."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
import redis
from sqlalchemy import select

from service.care.patients import add_patient
from service.consults import booking
from service.consults.people import ConsultError, add_health_worker, add_specialist
from service.consults.sessions import add_session, free_slots
from service.inbox.replies import InboundSms, receive_sms
from service.models import Consultation, OutboundMessage, PlaceLevel, SystemAlert
from service.outbox.discretion import as_written
from service.outbox.templates import render
from service.periodic import PassContext
from service.places import by_code
from service.timeutil import at_local, utcnow

SPECIALIST = "+22376300001"
WORKER = "+22376300002"
PATIENT = "+22376300003"


@pytest.fixture
def consult_settings(settings):
    return replace(settings, quiet_hours=None)


@pytest.fixture
def clinic(db, demo, consult_settings):
    """A weekly Tuesday session 09:00-11:00 for Gourma-Rharous Central, its health worker, a patient."""
    today = utcnow().astimezone(consult_settings.tz).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    with db.session() as session:
        specialist = add_specialist(session, SPECIALIST, "Dr Traoré", "fr", "Hôpital de Gao")
        add_health_worker(session, WORKER, "Aminata Maïga", "TBK-A3", "bm")
        add_patient(session, PATIENT, "fr")
        add_session(
            session,
            specialist,
            first_date=tuesday,
            starts=time(9),
            ends=time(11),
            area_codes=["TBK-A3"],
            weekly_until=tuesday + timedelta(days=28),
        )
    return tuesday


def slot(settings, day: date, hour: int, minute: int = 0) -> datetime:
    return at_local(day, time(hour, minute), settings.tz)


def book(db, settings, starts_at: datetime, patient: str = PATIENT, area: str = "TBK-A3") -> str:
    with db.session() as session:
        from service.care.patients import find_patient
        from service.consults.people import specialist_by_phone

        consult = booking.book(
            session,
            settings,
            patient=find_patient(session, patient),
            specialist=specialist_by_phone(session, SPECIALIST),
            area=by_code(session, area, PlaceLevel.AREA),
            starts_at=starts_at,
        )
        return consult.reference


def rows(db, **where) -> list[OutboundMessage]:
    with db.session() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboundMessage, name) == value)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def test_a_weekly_session_offers_its_slots_and_a_booked_one_is_no_longer_free(db, consult_settings, clinic):
    starts = slot(consult_settings, clinic, 9, 30)
    with db.session() as session:
        from service.consults.people import specialist_by_phone

        specialist = specialist_by_phone(session, SPECIALIST)
        before = free_slots(
            session, specialist, clinic, clinic + timedelta(days=7), consult_settings.tz, utcnow()
        )
    assert [item.starts_at for item in before][:4] == [slot(consult_settings, clinic, h, m) for h, m in
                                                         ((9, 0), (9, 30), (10, 0), (10, 30))]  # fmt: skip
    assert len(before) == 8  # two Tuesdays of four slots

    book(db, consult_settings, starts)

    with db.session() as session:
        specialist = specialist_by_phone(session, SPECIALIST)
        after = free_slots(
            session, specialist, clinic, clinic + timedelta(days=7), consult_settings.tz, utcnow()
        )
    assert starts not in {item.starts_at for item in after} and len(after) == 7


def test_booking_plans_each_persons_messages_and_none_names_the_specialty(db, consult_settings, clinic):
    reference = book(db, consult_settings, slot(consult_settings, clinic, 10))

    planned = rows(db, status="scheduled")
    by_kind = {(row.kind, row.recipient) for row in planned}
    assert ("consult_day_before", PATIENT) in by_kind and ("consult_same_day", PATIENT) in by_kind
    assert ("consult_soon", WORKER) in by_kind and ("consult_agenda", WORKER) in by_kind
    assert {row.recipient for row in planned if row.kind == "consult_specialist_agenda"} == {SPECIALIST}
    assert len([row for row in planned if row.kind == "consult_specialist_agenda"]) == 2  # eve and morning
    for row in planned:
        with db.session() as session:
            text = render(session, row.kind, row.language, row.params, consult_settings)
        assert not as_written(text, consult_settings), text
        assert "psychiatr" not in text.lower() and "psy" not in text.lower().split()
    (agenda,) = [row for row in planned if row.kind == "consult_agenda"]
    assert reference in agenda.params["agenda"] and agenda.language == "bm"


def test_a_booking_is_refused_with_the_field_at_fault(db, consult_settings, clinic):
    book(db, consult_settings, slot(consult_settings, clinic, 9))
    with db.session() as session:
        add_patient(session, "+22376300009", "fr", sms_consent=False)
        add_patient(session, "+22376300010", "fr")
    cases = [
        (
            slot(consult_settings, clinic, 9),
            "+22376300010",
            "TBK-A3",
            "psychiatrist",
        ),  # the specialist is taken
        (slot(consult_settings, clinic, 9, 10), PATIENT, "TBK-A3", "starts_at"),  # not a slot
        (slot(consult_settings, clinic, 12), PATIENT, "TBK-A3", "starts_at"),  # outside the session
        (slot(consult_settings, clinic, 9, 30), PATIENT, "GAO-A1", "area"),  # an area it does not serve
        (slot(consult_settings, clinic, 9, 30), "+22376300009", "TBK-A3", "patient"),  # no consent
        (utcnow() - timedelta(days=7), PATIENT, "TBK-A3", "starts_at"),  # in the past
    ]
    for starts_at, patient, area, field in cases:
        with pytest.raises(ConsultError) as refused:
            book(db, consult_settings, starts_at, patient, area)
        assert refused.value.field == field, (starts_at, patient, area)
        assert refused.value.text("bm") != refused.value.message


def test_moving_tells_each_person_once_and_replans_the_reminders(db, consult_settings, clinic):
    reference = book(db, consult_settings, slot(consult_settings, clinic, 9))
    new_time = slot(consult_settings, clinic + timedelta(days=7), 10)
    with db.session() as session:
        booking.move(session, consult_settings, booking.by_reference(session, reference), new_time)
        booking.move(
            session, consult_settings, booking.by_reference(session, reference), new_time
        )  # again: same

    notices = rows(db, status="scheduled")
    moved = sorted((row.kind, row.recipient) for row in notices if "moved" in row.kind)
    assert moved == [
        ("consult_moved", PATIENT),
        ("consult_staff_moved", SPECIALIST),
        ("consult_staff_moved", WORKER),
    ]
    reminders = [row for row in notices if row.kind == "consult_same_day"]
    assert [row.params["starts_at"] for row in reminders] == [new_time.isoformat()]
    old_day_agendas = [row for row in rows(db) if row.kind == "consult_agenda" and row.status == "cancelled"]
    assert old_day_agendas, "the first Tuesday's agenda is cancelled: nothing is left that day"


def test_cancelling_tells_each_person_once_and_cancels_every_waiting_message(db, consult_settings, clinic):
    reference = book(db, consult_settings, slot(consult_settings, clinic, 9))
    with db.session() as session:
        booking.cancel(session, consult_settings, booking.by_reference(session, reference), "Dr absent")
        with pytest.raises(ConsultError) as again:
            booking.cancel(session, consult_settings, booking.by_reference(session, reference), "Dr absent")
    assert again.value.kind == "conflict"
    waiting = rows(db, status="scheduled")
    assert sorted((row.kind, row.recipient) for row in waiting) == [
        ("consult_cancelled", PATIENT),
        ("consult_staff_cancelled", SPECIALIST),
        ("consult_staff_cancelled", WORKER),
    ]


def test_a_cancelled_session_day_cancels_its_bookings_and_takes_no_more(db, consult_settings, clinic):
    book(db, consult_settings, slot(consult_settings, clinic, 9))
    with db.session() as session:
        add_patient(session, "+22376300011", "fr")
    book(db, consult_settings, slot(consult_settings, clinic, 10), "+22376300011")
    with db.session() as session:
        from service.models import ClinicSession

        clinic_session = session.scalars(select(ClinicSession)).one()
        cancelled = booking.cancel_session_day(
            session, consult_settings, clinic_session, clinic, "Dr en mission"
        )
        assert len(cancelled) == 2
    with pytest.raises(ConsultError):
        book(db, consult_settings, slot(consult_settings, clinic, 9, 30))
    assert len([row for row in rows(db) if row.kind == "consult_cancelled"]) == 2


def test_the_specialists_ok_confirms_and_an_unconfirmed_one_alerts_coordinators_once(
    db, consult_settings, clinic
):
    first = book(db, consult_settings, slot(consult_settings, clinic, 9))
    with db.session() as session:
        add_patient(session, "+22376300012", "fr")
    second = book(db, consult_settings, slot(consult_settings, clinic, 10), "+22376300012")
    now = utcnow()
    with db.session() as session:
        other = receive_sms(session, consult_settings, InboundSms("at-1", "+22376999999", f"OK {first}"), now)
        mine = receive_sms(session, consult_settings, InboundSms("at-2", SPECIALIST, f"ok {first}"), now)
        assert (other.kind, mine.kind) == ("other", "consult_confirm")

    context = PassContext(
        db,
        redis.Redis.from_url(consult_settings.redis_url),
        consult_settings,
        slot(consult_settings, clinic, 8),
    )
    assert booking.unconfirmed_pass(context) == {"consults_unconfirmed": 1}
    assert booking.unconfirmed_pass(context) == {"consults_unconfirmed": 0}
    with db.session() as session:
        alerts = session.scalars(select(SystemAlert.message)).all()
        statuses = dict(session.execute(select(Consultation.reference, Consultation.status)).all())
    assert len(alerts) == 1 and second in alerts[0] and statuses[first] == "confirmed"


def test_a_missed_consultation_sends_the_patient_a_check_in_and_asks_to_book_again(
    db, consult_settings, clinic
):
    starts = slot(consult_settings, clinic, 9)
    reference = book(db, consult_settings, starts)
    after = starts + timedelta(hours=1)
    with db.session() as session:
        consult = booking.by_reference(session, reference)
        with pytest.raises(ConsultError):
            booking.record_outcome(
                session, consult_settings, consult, attended=False, by="test", now=starts - timedelta(days=1)
            )
        booking.record_outcome(session, consult_settings, consult, attended=False, by="test", now=after)
        alerts = session.scalars(select(SystemAlert.kind)).all()
    assert alerts == ["consult_missed"]
    (checkin,) = rows(db, kind="followup_checkin")
    assert checkin.recipient == PATIENT and checkin.status == "scheduled"
    assert not [row for row in rows(db, status="scheduled") if row.kind.startswith("consult_")]


def test_an_attended_consultation_keeps_its_follow_up_date(db, consult_settings, clinic):
    starts = slot(consult_settings, clinic, 9)
    reference = book(db, consult_settings, starts)
    with db.session() as session:
        consult = booking.record_outcome(
            session,
            consult_settings,
            booking.by_reference(session, reference),
            attended=True,
            by="test",
            followup_date=clinic + timedelta(days=30),
            treatment_started=True,
            now=starts + timedelta(minutes=40),
        )
        assert (consult.status, consult.followup_date, consult.treatment_started) == (
            "attended",
            clinic + timedelta(days=30),
            True,
        )
    assert rows(db, kind="followup_checkin") == []


def test_the_command_line_registers_clinicians_books_and_cancels(runner, db, demo, consult_settings):
    today = utcnow().astimezone(consult_settings.tz).date()
    day = today + timedelta(days=3)
    steps = [
        ["psychiatrists", "add", SPECIALIST, "--name", "Dr Traoré", "--hospital", "Hôpital de Gao"],
        ["healthworkers", "add", WORKER, "--name", "Aminata", "--area", "TBK-A3", "--language", "bm"],
        ["patients", "add", PATIENT],
        [
            "consults",
            "session",
            SPECIALIST,
            "--date",
            f"{day}",
            "--hours",
            "09:00-11:00",
            "--areas",
            "TBK-A3",
        ],
    ]
    for args in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
    slots = runner.invoke(args=["consults", "slots", SPECIALIST]).output.splitlines()
    assert slots[0] == f"{day} 09:00\tTBK-A3" and len(slots) == 4

    booked = runner.invoke(
        args=[
            "consults",
            "book",
            PATIENT,
            "--psychiatrist",
            SPECIALIST,
            "--at",
            f"{day} 09:30",
            "--area",
            "TBK-A3",
        ]
    )
    reference = booked.output.strip()
    assert booked.exit_code == 0 and reference.startswith("C")
    taken = runner.invoke(
        args=[
            "consults",
            "book",
            PATIENT,
            "--psychiatrist",
            SPECIALIST,
            "--at",
            f"{day} 09:30",
            "--area",
            "TBK-A3",
        ]
    )
    assert taken.exit_code == 1 and "Error:" in taken.output and "already" in taken.output
    listed = runner.invoke(args=["consults", "list"]).output
    assert reference in listed and "booked" in listed
    cancelled = runner.invoke(args=["consults", "cancel", reference, "--reason", "Dr absent"])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    assert runner.invoke(args=["psychiatrists", "deactivate", SPECIALIST]).exit_code == 0
    assert "inactive" in runner.invoke(args=["psychiatrists", "list"]).output


def test_a_health_worker_dials_in_and_records_who_came_to_todays_consultations(
    db, app, consult_settings, clinic
):
    from service.ussd.handler import UssdRequest, handle_ussd

    first = book(db, consult_settings, slot(consult_settings, clinic, 9))
    with db.session() as session:
        add_patient(session, "+22376300013", "fr")
    later = book(db, consult_settings, slot(consult_settings, clinic, 10), "+22376300013")
    during = slot(consult_settings, clinic, 9, 20)

    def dial(text: str, session_id: str) -> str:
        reply = handle_ussd(
            UssdRequest(session_id, WORKER, text),
            db=db,
            client=redis.Redis.from_url(consult_settings.redis_url),
            settings=consult_settings,
            menus=app.extensions["jigi.ussd.menus"],
            now=during,
        )
        return reply.wire()

    assert dial("", "ATUid_hw1").startswith("CON ")
    todays = dial("1", "ATUid_hw1")
    assert first in todays and later in todays and "09:00" in todays
    assert first in dial("1*1", "ATUid_hw1")
    done = dial("1*1*2", "ATUid_hw1")
    assert done.startswith("END ") and first in done
    not_yet = dial("1*1*1", "ATUid_hw2")  # 10:00 has not come at 09:20; the list now holds it alone
    assert not_yet.startswith("END ") and later in not_yet
    with db.session() as session:
        statuses = dict(session.execute(select(Consultation.reference, Consultation.status)).all())
    assert statuses == {first: "missed", later: "booked"}


def test_the_consultations_export_is_de_identified_unless_full_with_a_reason(
    runner, db, consult_settings, clinic
):
    reference = book(db, consult_settings, slot(consult_settings, clinic, 9))
    week = [f"--since={clinic - timedelta(days=1)}", f"--until={clinic + timedelta(days=1)}"]

    plain = runner.invoke(args=["export", "consultations", *week])
    refused = runner.invoke(args=["export", "consultations", "--full", *week])
    full = runner.invoke(args=["export", "consultations", "--full", "--reason", "Audit IMC", *week])

    header, row = plain.stdout.splitlines()
    assert header.startswith("reference,starts_at,minutes,area_code,mode,status,confirmed_at")
    assert row.startswith(f"{reference},") and ",TBK-A3,phone,booked," in row
    assert "+223" not in plain.stdout and "Traoré" not in plain.stdout
    assert refused.exit_code != 0
    assert full.exit_code == 0 and SPECIALIST in full.stdout and WORKER in full.stdout
