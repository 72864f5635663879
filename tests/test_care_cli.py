from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from service.care.demo import load_demo_care
from service.cli import DEMO_DIR
from service.models import Appointment, MedicationPlan, OutboundMessage, Patient
from service.timeutil import as_utc, at_local, utcnow


def local(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"  # Bamako is UTC+0


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_patients_add_prints_the_reference_and_list_shows_the_patient(runner, db, demo):
    added = runner.invoke(
        args=[
            "patients",
            "add",
            "76 12 34 60",
            "--language",
            "bm",
            "--shared-phone",
            "--quiet-hours",
            "21:00-07:00",
        ]
    )
    assert added.exit_code == 0, added.output
    reference = added.stdout.strip()
    listed = runner.invoke(args=["patients", "list"])
    assert listed.stdout.strip() == f"{reference}\t+22376123460\tbm\tshared\t21:00-07:00\tsms"


def test_patients_add_explains_a_bad_phone(runner, db):
    result = runner.invoke(args=["patients", "add", "12"])
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "Mali number" in result.stderr
    assert count(db, Patient) == 0


def test_appointments_add_schedules_reminders_and_cancel_cancels_them(runner, db, demo):
    reference = runner.invoke(args=["patients", "add", "+22376123460"]).stdout.strip()
    starts = (utcnow() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    added = runner.invoke(args=["appointments", "add", reference, "--at", local(starts), "--place", "TBK-A3"])
    assert added.exit_code == 0, added.output
    with db.session() as session:
        appointment = session.scalars(select(Appointment)).one()
        statuses = session.scalars(select(OutboundMessage.status)).all()
    assert f"Appointment {appointment.id} for {reference} on {local(starts)}" in added.stdout
    assert appointment.starts_at == starts
    assert statuses == ["scheduled"] * 3
    cancelled = runner.invoke(args=["appointments", "cancel", str(appointment.id)])
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.stdout
    with db.session() as session:
        assert set(session.scalars(select(OutboundMessage.status))) == {"cancelled"}


def test_appointments_add_refuses_a_past_time_and_an_unknown_place(runner, db, demo):
    runner.invoke(args=["patients", "add", "+22376123460"])
    past = runner.invoke(
        args=["appointments", "add", "+22376123460", "--at", "2020-01-01 09:00", "--mobile-unit"]
    )
    nowhere = runner.invoke(
        args=[
            "appointments",
            "add",
            "+22376123460",
            "--at",
            local(utcnow() + timedelta(days=2)),
            "--place",
            "XX",
        ]
    )
    unknown = runner.invoke(args=["appointments", "add", "+22376123499", "--at", "2020-01-01 09:00"])
    assert past.exit_code == 1 and "has passed" in past.stderr
    assert nowhere.exit_code == 1 and "No place has the code XX." in nowhere.stderr
    assert unknown.exit_code == 1 and "patients add" in unknown.stderr
    assert count(db, Appointment) == 0


def test_medication_add_plans_each_dose(runner, db):
    runner.invoke(args=["patients", "add", "+22376123460"])
    start = (utcnow() + timedelta(days=1)).date()
    result = runner.invoke(
        args=[
            "medication",
            "add",
            "+22376123460",
            "--times",
            "08:00,20:00",
            "--days",
            "3",
            "--start",
            str(start),
        ]
    )
    assert result.exit_code == 0, result.output
    with db.session() as session:
        plan = session.scalars(select(MedicationPlan)).one()
        doses = session.scalar(select(func.count()).where(OutboundMessage.medication_plan_id == plan.id))
    assert (plan.start_date, plan.end_date, plan.times) == (start, start + timedelta(days=2), "08:00,20:00")
    assert doses == 6


def test_medication_add_explains_bad_times(runner, db):
    runner.invoke(args=["patients", "add", "+22376123460"])
    result = runner.invoke(args=["medication", "add", "+22376123460", "--times", "8h", "--days", "3"])
    assert result.exit_code == 1 and "write times like 08:00,20:00" in result.stderr


def test_patients_import_loads_every_row_with_progress(runner, db, demo, tmp_path):
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "phone,language,shared_phone,quiet_hours,sms_consent,place_code\n"
        "+22376123460,bm,,,yes,TBK-V08\n"
        "76123461,fr,yes,21:00-07:00,,\n"
        "76123461,fr,yes,,no,GAO-V01\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["patients", "import", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "patients: 3/3 imported" in result.stderr
    assert "Patients: 3 imported." in result.stdout
    with db.session() as session:
        patients = session.scalars(select(Patient).order_by(Patient.id)).all()
    assert [(p.phone, p.language, p.shared_phone, p.quiet_hours, p.sms_consent) for p in patients] == [
        ("+22376123460", "bm", False, None, True),
        ("+22376123461", "fr", True, "21:00-07:00", True),
        ("+22376123461", "fr", True, None, False),
    ]
    assert len({p.reference for p in patients}) == 3 and all(p.reference.startswith("P") for p in patients)


def test_import_with_a_bad_row_imports_nothing_and_names_the_line(runner, db, demo, tmp_path):
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(
        "phone,language\n+22376123460,fr\n+22376123461,en\n+22376123462,bm\n+22376123460,fr\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["patients", "import", str(csv_file)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.stderr
    assert "line 3: Choose French or Bambara." in result.stderr
    assert "line 5: +22376123460 is also on line 2: set shared_phone to yes." in result.stderr
    assert count(db, Patient) == 0


def test_import_with_a_wrong_header_says_which_columns(runner, db, tmp_path):
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text("telephone,langue\n+22376123460,fr\n", encoding="utf-8")
    result = runner.invoke(args=["patients", "import", str(csv_file)])
    assert (
        result.exit_code == 1 and "line 1: the header must name the columns phone,language" in result.stderr
    )


def test_appointments_import_schedules_reminders_for_every_row(runner, db, demo, tmp_path):
    first = runner.invoke(args=["patients", "add", "+22376123460"]).stdout.strip()
    runner.invoke(args=["patients", "add", "+22376123461", "--language", "bm"])
    day = (utcnow() + timedelta(days=5)).date()
    csv_file = tmp_path / "appointments.csv"
    csv_file.write_text(
        "patient,starts_at,place_code,mobile_unit\n"
        f"{first},{day} 09:00,TBK-A3,\n"
        f"+22376123461,{day} 10:30,,yes\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["appointments", "import", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "appointments: 2/2 imported" in result.stderr
    with db.session() as session:
        appointments = session.scalars(select(Appointment).order_by(Appointment.id)).all()
        kinds = session.scalars(select(OutboundMessage.kind).order_by(OutboundMessage.id)).all()
        place = appointments[0].place.code
    assert [(a.starts_at.date(), a.mobile_unit) for a in appointments] == [(day, False), (day, True)]
    assert place == "TBK-A3"
    assert kinds == ["appointment_day_before", "appointment_same_day", "followup_checkin"] * 2


def test_appointments_import_with_bad_rows_imports_nothing(runner, db, demo, tmp_path):
    runner.invoke(args=["patients", "add", "+22376123460"])
    day = (utcnow() + timedelta(days=5)).date()
    csv_file = tmp_path / "appointments.csv"
    csv_file.write_text(
        "patient,starts_at,place_code\n"
        f"+22376123460,{day} 09:00,TBK-A3\n"
        "+22376123460,2020-01-01 09:00,TBK-A3\n"
        f"+22376123499,{day} 09:00,TBK-A3\n"
        f"+22376123460,{day} 9h,TBK-A3\n"
        f"+22376123460,{day} 09:00\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["appointments", "import", str(csv_file)])
    assert result.exit_code == 1
    for expected in (
        "line 3: This time has passed",
        "line 4: No patient has the phone +22376123499",
        "line 5: ",
        "line 6: expected 3 columns, found 2",
    ):
        assert expected in result.stderr
    assert "line 2" not in result.stderr
    assert count(db, Appointment) == 0 and count(db, OutboundMessage) == 0


def test_patients_demo_gives_the_first_demo_patient_reminders_due_soon(runner, db, demo, settings):
    runner.app.extensions["jigi.settings"] = replace(settings, quiet_hours=None)
    result = runner.invoke(args=["patients", "demo"])
    again = runner.invoke(args=["patients", "demo"])
    assert result.exit_code == 0, result.output
    assert "Patients: 3 added." in result.stdout and "Medication plan" in result.stdout
    assert again.stdout == ""
    soon = utcnow() + timedelta(minutes=10)
    with db.session() as session:
        due_soon = session.scalars(select(OutboundMessage.kind).where(OutboundMessage.due_at <= soon)).all()
    assert "appointment_same_day" in due_soon or "appointment_day_before" in due_soon
    assert due_soon.count("medication") >= 1


@pytest.mark.parametrize("clock", ["06:30", "07:45", "07:52", "07:59", "13:00", "17:58"])
def test_the_demo_appointment_is_reminded_within_minutes_at_any_time_of_day(db, demo, settings, clock):
    # Early in the morning a start two hours ahead has the 08:00 reminder time in between, which would
    # keep its only reminder until 08:00.
    relaxed = replace(settings, quiet_hours=None)
    hour, minute = map(int, clock.split(":"))
    now = at_local(date(2026, 12, 4), time(hour, minute), relaxed.tz)
    with db.session() as session:
        list(load_demo_care(session, DEMO_DIR, relaxed, now))
    with db.session() as session:
        [starts_at] = session.scalars(select(Appointment.starts_at)).all()
        reminders = session.scalars(
            select(OutboundMessage.due_at).where(OutboundMessage.kind.like("appointment%"))
        ).all()
    assert as_utc(starts_at) > now
    assert min(as_utc(due) for due in reminders) <= now + timedelta(minutes=10)
