from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.care.appointments import (
    cancel_appointment,
    mark_attended,
    move_appointment,
    replan_reminders,
    schedule_appointment,
)
from service.care.dates import parse_local_datetime
from service.care.errors import CareError
from service.care.patients import add_patient, find_patient, update_patient
from service.models import Appointment, OutboundMessage
from service.places import by_code
from service.timeutil import as_utc

# Monday 30 November 2026, 10:00 in Bamako (UTC+0 all year).
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def rows(session, appointment, status="scheduled"):
    query = select(OutboundMessage).where(
        OutboundMessage.appointment_id == appointment.id, OutboundMessage.status == status
    )
    return sorted(session.scalars(query), key=lambda row: row.due_at)


def book(session, settings, starts_at, now=NOW, **kwargs):
    patient = find_patient(session, "+22376123460") or add_patient(session, "+22376123460", "bm")
    kwargs.setdefault("place", by_code(session, "TBK-A3"))
    return schedule_appointment(session, settings, patient, starts_at, now=now, **kwargs)


def test_reminders_go_the_evening_before_and_the_morning_of_the_day(db, demo, settings):
    starts_at = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    with db.session() as session:
        appointment = book(session, settings, starts_at)
        planned = [(row.kind, row.due_at, row.expires_at) for row in rows(session, appointment)]
        reference = appointment.patient.reference
        reminder = rows(session, appointment)[0]
    assert planned == [
        # the "tomorrow" text expires as the appointment's day starts: it never leaves on the day
        (
            "appointment_day_before",
            datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
            datetime(2026, 12, 3, tzinfo=UTC),
        ),
        ("appointment_same_day", datetime(2026, 12, 3, 8, 0, tzinfo=UTC), starts_at),
        ("followup_checkin", starts_at + timedelta(hours=24), None),
    ]
    assert reminder.params == {
        "reference": reference,
        "starts_at": "2026-12-03T09:30:00+00:00",
        "place": "Gourma-Rharous Central",
    }
    assert reminder.recipient == "+22376123460" and reminder.language == "bm"
    assert reminder.patient_id is not None


def test_local_times_follow_the_configured_zone(db, demo, settings):
    paris = replace(settings, timezone="Europe/Paris")
    starts_at = parse_local_datetime("2026-12-03 09:30", paris)
    with db.session() as session:
        appointment = book(session, paris, starts_at)
        due = [row.due_at for row in rows(session, appointment)][:2]
    assert starts_at == datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    assert due == [datetime(2026, 12, 2, 17, 0, tzinfo=UTC), datetime(2026, 12, 3, 7, 0, tzinfo=UTC)]


def test_reminder_times_already_past_leave_the_one_still_ahead(db, demo, settings):
    now = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # the evening reminder time has passed
    starts_at = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    with db.session() as session:
        appointment = book(session, settings, starts_at, now=now)
        planned = [(row.kind, row.due_at) for row in rows(session, appointment)]
    assert planned[:-1] == [("appointment_same_day", datetime(2026, 12, 3, 8, 0, tzinfo=UTC))]


def test_appointment_later_today_gets_a_same_day_reminder_at_once(db, demo, settings):
    starts_at = NOW + timedelta(hours=3)
    with db.session() as session:
        appointment = book(session, settings, starts_at)
        reminders = [
            (row.kind, row.due_at) for row in rows(session, appointment) if row.kind != "followup_checkin"
        ]
    assert reminders == [("appointment_same_day", NOW)]


def test_booked_at_night_for_the_next_morning_sends_one_same_day_text_after_quiet_hours(db, demo, settings):
    now = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)
    starts_at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    with db.session() as session:
        appointment = book(session, settings, starts_at, now=now)
        planned = [(row.kind, row.due_at) for row in rows(session, appointment)][:-1]
    assert planned == [("appointment_same_day", datetime(2026, 12, 3, 8, 0, tzinfo=UTC))]


def test_a_patients_own_quiet_hours_turn_the_evening_text_into_a_same_day_one(db, demo, settings):
    starts_at = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    with db.session() as session:
        patient = add_patient(session, "+22376123460", "fr", quiet_hours="17:00-09:00")
        appointment = schedule_appointment(session, settings, patient, starts_at, mobile_unit=True, now=NOW)
        planned = [(row.kind, row.due_at) for row in rows(session, appointment)][:-1]
    assert planned == [("appointment_same_day", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))]


def test_editing_a_patients_quiet_hours_replans_their_reminders_by_the_same_rule(db, demo, settings):
    starts_at = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    with db.session() as session:
        appointment = book(session, settings, starts_at)
        update_patient(session, appointment.patient, quiet_hours="17:00-09:00")
        replan_reminders(session, settings, appointment.patient, now=NOW)
        planned = [(row.kind, row.due_at) for row in rows(session, appointment)][:-1]
    assert planned == [("appointment_same_day", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))]


# Booking moments around the rule's edges, local time (Bamako is UTC+0), for appointments on Thursday
# 3 December 2026: days ahead, the evening before (just before 18:00, as quiet hours start, at night), the
# morning of the day, and minutes before the appointment.
BOOKED = [
    datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
    datetime(2026, 12, 2, 17, 55, tzinfo=UTC),
    datetime(2026, 12, 2, 18, 30, tzinfo=UTC),
    datetime(2026, 12, 2, 20, 0, tzinfo=UTC),
    datetime(2026, 12, 2, 22, 0, tzinfo=UTC),
    datetime(2026, 12, 3, 2, 0, tzinfo=UTC),
    datetime(2026, 12, 3, 7, 59, tzinfo=UTC),
    datetime(2026, 12, 3, 8, 30, tzinfo=UTC),
]
BEFORE_START = [timedelta(minutes=5), timedelta(minutes=59), timedelta(hours=1), timedelta(hours=2)]
STARTS = [
    datetime(2026, 12, 3, hour, minute, tzinfo=UTC)
    for hour, minute in ((7, 30), (8, 0), (8, 15), (9, 0), (11, 30), (17, 0), (19, 45))
]
DAY_STARTS = datetime(2026, 12, 3, tzinfo=UTC)


def quiet(moment, window=("20:00", "08:00")):
    clock = f"{moment:%H:%M}"
    return clock >= window[0] or clock < window[1]


def broken_rules(appointment_rows, starts_at, now):
    """What a plan does against the rule, in words (empty when it keeps it)."""
    reminders = [row for row in appointment_rows if row.kind != "followup_checkin"]
    kinds = [row.kind for row in appointment_rows]
    problems = [f"two {kind}" for kind in set(kinds) if kinds.count(kind) > 1]
    for row in reminders:
        due, expires = as_utc(row.due_at), as_utc(row.expires_at)
        if due >= starts_at or expires > starts_at:
            problems.append(f"{row.kind} due {due:%d %H:%M} at or after the appointment")
        if quiet(due):
            problems.append(f"{row.kind} due {due:%d %H:%M} in quiet hours")
        if row.kind == "appointment_day_before" and (due >= DAY_STARTS or expires > DAY_STARTS):
            problems.append(f"'tomorrow' text may leave on the day ({due:%d %H:%M})")
        if row.kind == "appointment_same_day" and due < DAY_STARTS:
            problems.append(f"'today' text leaves the day before ({due:%d %H:%M})")
    minutes = int((starts_at - now).total_seconds() // 60)
    reachable = any(not quiet(now + timedelta(minutes=m)) for m in range(minutes))
    if starts_at - now >= timedelta(hours=1) and reachable and not reminders:
        problems.append("booked an hour ahead or more, yet no reminder")
    return problems


def cases():
    for starts_at in STARTS:
        booked = [moment for moment in BOOKED if moment < starts_at]
        yield from ((moment, starts_at) for moment in booked + [starts_at - ahead for ahead in BEFORE_START])


def test_every_booking_time_gets_each_reminder_once_on_the_right_day(db, demo, settings):
    broken = {}
    with db.session() as session:
        patient = add_patient(session, "+22376123460", "fr")
        for now, starts_at in cases():
            appointment = schedule_appointment(
                session, settings, patient, starts_at, mobile_unit=True, now=now
            )
            problems = broken_rules(rows(session, appointment), starts_at, now)
            move_appointment(session, settings, appointment, starts_at + timedelta(days=7), now=now)
            move_appointment(session, settings, appointment, starts_at, now=now)
            problems += [
                f"after a move and back: {p}"
                for p in broken_rules(rows(session, appointment), starts_at, now)
            ]
            if problems:
                broken[f"booked {now:%d %H:%M} for {starts_at:%d %H:%M}"] = problems
    assert len(list(cases())) > 50
    assert broken == {}


def test_appointment_in_the_past_is_refused(db, demo, settings):
    with db.session() as session, pytest.raises(CareError, match="passed"):
        book(session, settings, NOW - timedelta(minutes=1))


def test_appointment_needs_a_place_or_the_mobile_unit(db, demo, settings):
    with db.session() as session:
        with pytest.raises(CareError, match="mobile unit"):
            book(session, settings, NOW + timedelta(days=2), place=None)
        visit = book(session, settings, NOW + timedelta(days=2), place=None, mobile_unit=True)
        assert rows(session, visit)[0].params["place"] == ""


def test_moving_an_appointment_moves_waiting_rows_and_leaves_sent_ones(db, demo, settings):
    with db.session() as session:
        appointment = book(session, settings, datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
        day_before = rows(session, appointment)[0]
        day_before.status = "sent"
        moved_at = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
        move_appointment(session, settings, appointment, moved_at, now=NOW)
        waiting = [(row.kind, row.due_at, row.params.get("starts_at")) for row in rows(session, appointment)]
        assert len(rows(session, appointment, "cancelled")) == 2
        assert [row.id for row in rows(session, appointment, "sent")] == [day_before.id]
    assert waiting == [
        ("appointment_day_before", datetime(2026, 12, 9, 18, 0, tzinfo=UTC), "2026-12-10T14:00:00+00:00"),
        ("appointment_same_day", datetime(2026, 12, 10, 8, 0, tzinfo=UTC), "2026-12-10T14:00:00+00:00"),
        ("followup_checkin", moved_at + timedelta(hours=24), None),
    ]


def test_moving_back_to_the_first_time_schedules_nothing_twice(db, demo, settings):
    first = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    with db.session() as session:
        appointment = book(session, settings, first)
        move_appointment(session, settings, appointment, first + timedelta(days=1), now=NOW)
        move_appointment(session, settings, appointment, first, now=NOW)
        move_appointment(session, settings, appointment, first, now=NOW)
        waiting = [row.due_at for row in rows(session, appointment)]
        total = len(session.scalars(select(OutboundMessage)).all())
    assert waiting == [
        datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
        datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
        first + timedelta(hours=24),
    ]
    assert total == 6


def test_moving_resets_a_confirmation_and_refuses_the_past(db, demo, settings):
    with db.session() as session:
        appointment = book(session, settings, NOW + timedelta(days=3))
        appointment.status, appointment.confirmed_at = "confirmed", NOW
        with pytest.raises(CareError, match="passed"):
            move_appointment(session, settings, appointment, NOW - timedelta(hours=1), now=NOW)
        move_appointment(session, settings, appointment, NOW + timedelta(days=4), now=NOW)
        assert (appointment.status, appointment.confirmed_at) == ("scheduled", None)


def test_cancelling_cancels_waiting_rows_only(db, demo, settings):
    with db.session() as session:
        appointment = book(session, settings, datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
        rows(session, appointment)[0].status = "sent"
        cancel_appointment(session, appointment)
        assert rows(session, appointment) == []
        assert len(rows(session, appointment, "cancelled")) == 2
        assert len(rows(session, appointment, "sent")) == 1
        assert appointment.status == "cancelled"
        with pytest.raises(CareError, match="closed"):
            move_appointment(session, settings, appointment, NOW + timedelta(days=5), now=NOW)


def test_marking_attended_cancels_the_follow_up_check_in(db, demo, settings):
    starts_at = NOW + timedelta(hours=2)
    with db.session() as session:
        appointment = book(session, settings, starts_at)
        followup = next(row for row in rows(session, appointment) if row.kind == "followup_checkin")
        assert followup.params == {"reference": appointment.patient.reference}
        mark_attended(session, appointment)
        mark_attended(session, appointment)
        assert followup.status == "cancelled"
        assert session.get(Appointment, appointment.id).status == "attended"


def test_opted_out_patient_gets_no_new_appointment_reminders(db, demo, settings):
    with db.session() as session:
        patient = add_patient(session, "+22376123460", "fr")
        patient.opted_out = True
        with pytest.raises(CareError, match="stopped the SMS"):
            schedule_appointment(
                session, settings, patient, NOW + timedelta(days=1), mobile_unit=True, now=NOW
            )


@pytest.mark.parametrize(
    "text", ["2026-12-01 09:00", "2026-12-01T09:00", "01/12/2026 09:00", " 2026-12-01  09:00 "]
)
def test_local_date_and_time_is_read_in_several_spellings(settings, text):
    assert parse_local_datetime(text, settings) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-12-01", "tomorrow 9h", "2026-13-01 09:00", ""])
def test_unreadable_local_date_says_the_expected_format(settings, text):
    with pytest.raises(CareError, match="write it like 2026-12-01 09:00"):
        parse_local_datetime(text, settings)
