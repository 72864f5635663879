"""Demo patients, and for the first one an appointment and a medication plan due within minutes, so a
development run shows reminders arriving."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.care.appointments import OPEN, plan_rows, schedule_appointment
from service.care.imports import import_patients
from service.care.medication import add_medication_plan
from service.care.patients import find_patient
from service.config import Settings
from service.models import Appointment, MedicationPlan, Patient
from service.outbox.quiet_hours import patient_window
from service.places import by_code
from service.timeutil import local_date

DEMO_PLACE = "TBK-A3"
# How far ahead the demo appointment may start, tried in this order, and how soon its reminder must leave.
STARTS_IN_MINUTES = (120, 90, 60, 30, 10, 5)
REMINDER_WITHIN = timedelta(minutes=5)


def load_demo_care(session: Session, directory: Path, settings: Settings, now: datetime) -> Iterator[str]:
    """Import the demo patients once; give the first an upcoming appointment and plan if it has none."""
    path = directory / "patients.csv"
    with path.open(encoding="utf-8") as source:
        first_phone = source.readlines()[1].split(",")[0]
    if find_patient(session, first_phone) is None:
        with path.open(encoding="utf-8") as source:
            yield f"Patients: {import_patients(session, source)} added."
    patient = find_patient(session, first_phone)
    if patient is None:  # the demo file's first patient was just imported
        raise LookupError(f"demo patient {first_phone} is missing")
    upcoming = select(Appointment.id).where(
        Appointment.patient_id == patient.id, Appointment.status.in_(OPEN), Appointment.starts_at > now
    )
    if session.scalar(upcoming) is None:
        starts_at = _start_reminded_soon(settings, patient, now)
        schedule_appointment(
            session, settings, patient, starts_at, place=by_code(session, DEMO_PLACE), now=now
        )
        minutes = round((starts_at - now).total_seconds() / 60)
        yield f"Appointment for {patient.reference} in {minutes} minutes: its reminder is due within minutes."
    today = local_date(now, settings.tz)
    active = select(MedicationPlan.id).where(
        MedicationPlan.patient_id == patient.id,
        MedicationPlan.active.is_(True),
        MedicationPlan.end_date >= today,
    )
    if session.scalar(active) is None:
        local_now = now.astimezone(settings.tz).replace(second=0, microsecond=0, tzinfo=None)
        times = [(local_now + timedelta(minutes=minutes)).time() for minutes in (2, 5)]
        plan = add_medication_plan(
            session, settings, patient, times, None, today, today + timedelta(days=1), now
        )
        yield f"Medication plan for {patient.reference}: doses at {plan.times}."


def _start_reminded_soon(settings: Settings, patient: Patient, now: datetime) -> datetime:
    """The latest start of STARTS_IN_MINUTES whose first reminder leaves within REMINDER_WITHIN: a start
    two hours ahead has a configured reminder time (08:00 by default) in between early in the morning,
    which would keep its reminder until then (the rule of `plan_rows`)."""
    quiet = patient_window(patient.quiet_hours, settings.quiet_hours)
    base = now.replace(second=0, microsecond=0)
    for minutes in STARTS_IN_MINUTES:
        starts_at = base + timedelta(minutes=minutes)
        if any(row.due_at <= now + REMINDER_WITHIN for row in plan_rows(settings, 0, starts_at, now, quiet)):
            return starts_at
    return base + timedelta(minutes=STARTS_IN_MINUTES[0])  # inside quiet hours nothing leaves soon
