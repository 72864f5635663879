from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select

from service.care.errors import CareError
from service.care.medication import _dose_rows, add_medication_plan, cancel_medication_plan, dose_times
from service.care.patients import add_patient
from service.models import OutboundMessage
from service.outbox.rows import schedule_message

# Monday 30 November 2026, 10:00 in Bamako.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def doses(session, plan, status="scheduled"):
    query = select(OutboundMessage).where(
        OutboundMessage.medication_plan_id == plan.id, OutboundMessage.status == status
    )
    return sorted(session.scalars(query), key=lambda row: row.due_at)


def test_a_reminder_for_each_time_on_each_planned_weekday_still_ahead(db, settings):
    with db.session() as session:
        patient = add_patient(session, "+22376123460", "bm")
        # Monday to Sunday, on Monday (0), Wednesday (2) and Saturday (5) only.
        plan = add_medication_plan(
            session,
            settings,
            patient,
            [time(20, 0), time(8, 0)],
            "520",
            date(2026, 11, 30),
            date(2026, 12, 6),
            NOW,
        )
        rows = doses(session, plan)
        planned = [row.due_at for row in rows]
        assert plan.times == "08:00,20:00" and plan.days_of_week == "025"
        assert rows[0].params == {"reference": patient.reference, "dose_at": "2026-11-30T20:00:00+00:00"}
        assert all(row.expires_at == row.due_at + timedelta(hours=2) for row in rows)
        assert {(row.kind, row.recipient, row.language, row.patient_id) for row in rows} == {
            ("medication", "+22376123460", "bm", patient.id)
        }
    assert planned == [
        datetime(2026, 11, 30, 20, 0, tzinfo=UTC),  # Monday 08:00 has passed
        datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 20, 0, tzinfo=UTC),
        datetime(2026, 12, 5, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 5, 20, 0, tzinfo=UTC),
    ]


def test_cancelling_a_plan_cancels_waiting_doses_only(db, settings):
    with db.session() as session:
        patient = add_patient(session, "+22376123460")
        plan = add_medication_plan(
            session, settings, patient, [time(8, 0)], None, date(2026, 12, 1), date(2026, 12, 3), NOW
        )
        doses(session, plan)[0].status = "sent"
        cancel_medication_plan(session, plan)
        assert not plan.active
        assert len(doses(session, plan, "cancelled")) == 2
        assert len(doses(session, plan, "sent")) == 1
        assert doses(session, plan) == []


@pytest.mark.parametrize(
    ("times", "days", "start", "end", "message"),
    [
        ([], None, date(2026, 12, 1), date(2026, 12, 3), "at least one time"),
        ([time(8)], "78", date(2026, 12, 1), date(2026, 12, 3), "0 \\(Monday\\) to 6"),
        ([time(8)], None, date(2026, 12, 3), date(2026, 12, 1), "ends before it starts"),
        ([time(8)], None, date(2026, 12, 1), date(2027, 12, 31), "at most 366 days"),
        ([time(8)], None, date(2026, 11, 1), date(2026, 11, 30), "No dose of this plan is still ahead"),
    ],
)
def test_bad_plans_are_refused_with_the_reason(db, settings, times, days, start, end, message):
    with db.session() as session:
        patient = add_patient(session, "+22376123460")
        with pytest.raises(CareError, match=message):
            add_medication_plan(session, settings, patient, times, days, start, end, NOW)


@pytest.mark.parametrize("channel", ["sms", "voice", "both"])
def test_a_plans_rows_inserted_at_once_are_the_rows_the_one_by_one_path_makes(db, settings, channel):
    """add_medication_plan inserts its doses in bulk; the same doses scheduled one row at a time by
    schedule_message give the same columns, row for row."""
    ignored = {"id", "created_at", "updated_at"}

    def columns(rows):
        return sorted(
            tuple(
                (name, getattr(row, name))
                for name in sorted(OutboundMessage.__table__.c.keys())
                if name not in ignored
            )
            for row in rows
        )

    with db.session() as session:
        patient = add_patient(session, "+22376123460", "bm", channel=channel, voice_language="bm")
        plan = add_medication_plan(
            session,
            settings,
            patient,
            [time(8, 0), time(20, 0)],
            "024",
            date(2026, 11, 30),
            date(2026, 12, 20),
            NOW,
        )
        bulk = session.scalars(
            select(OutboundMessage).where(OutboundMessage.medication_plan_id == plan.id)
        ).all()
        assert len(bulk) == 17 * (2 if channel == "both" else 1)  # Monday 08:00 has passed
        at_once = columns(bulk)
        session.execute(delete(OutboundMessage).where(OutboundMessage.medication_plan_id == plan.id))
        times = [time(8, 0), time(20, 0)]
        for dose in dose_times(settings, times, "024", date(2026, 11, 30), date(2026, 12, 20), NOW):
            for key, row in _dose_rows(patient, plan, dose):
                schedule_message(session, dedupe_key=key, due_at=dose, **row)
        session.flush()
        session.expire_all()
        one_by_one = columns(
            session.scalars(select(OutboundMessage).where(OutboundMessage.medication_plan_id == plan.id))
        )
    assert at_once == one_by_one
