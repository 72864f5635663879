"""Medication plans: one reminder row per planned dose, at local times on chosen days of the week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.care.dates import parse_weekdays
from service.care.errors import CareError
from service.care.patients import require_reminders_allowed
from service.config import Settings
from service.models import MedicationPlan, MessageStatus, OutboundMessage, Patient
from service.outbox.kinds import Kind
from service.outbox.rows import cancel_rows, ensure_row, on_channels, schedule_messages
from service.timeutil import at_local, utcnow

DOSE_VALID_FOR = timedelta(hours=2)
MAX_PLAN_DAYS = 366
MAX_TIMES_A_DAY = 8


def dose_times(
    settings: Settings, times: list[time], days_of_week: str, start_date: date, end_date: date, now: datetime
) -> list[datetime]:
    """Every dose of a plan still ahead of `now`, in UTC, in order."""
    doses: list[datetime] = []
    day = start_date
    while day <= end_date:
        if str(day.weekday()) in days_of_week:
            doses.extend(at_local(day, at, settings.tz) for at in times)
        day += timedelta(days=1)
    return [dose for dose in doses if dose > now]


def add_medication_plan(
    session: Session,
    settings: Settings,
    patient: Patient,
    times: list[time],
    days_of_week: str | None,
    start_date: date,
    end_date: date,
    now: datetime | None = None,
) -> MedicationPlan:
    """Record a plan and schedule a reminder for each dose still ahead; each expires two hours after."""
    now = now or utcnow()
    require_reminders_allowed(patient)
    times = sorted({at.replace(second=0, microsecond=0) for at in times})
    if not times:
        raise CareError("Give at least one time of day, e.g. 08:00.", field="times")
    if len(times) > MAX_TIMES_A_DAY:
        raise CareError("At most %(count)s times a day.", field="times", count=MAX_TIMES_A_DAY)
    if any(at.tzinfo is not None for at in times):
        raise ValueError("times of day are local times without a zone")
    days = parse_weekdays(days_of_week)
    if end_date < start_date:
        raise CareError("The plan ends before it starts: check the dates.", field="end_date")
    if (end_date - start_date).days >= MAX_PLAN_DAYS:
        raise CareError(
            "A plan lasts at most %(count)s days: add a new plan for the next period.",
            field="end_date",
            count=MAX_PLAN_DAYS,
        )
    doses = dose_times(settings, times, days, start_date, end_date, now)
    if not doses:
        raise CareError(
            "No dose of this plan is still ahead: check the dates, days and times.", field="times"
        )
    plan = MedicationPlan(
        patient_id=patient.id,
        times=",".join(f"{at:%H:%M}" for at in times),
        days_of_week=days,
        start_date=start_date,
        end_date=end_date,
        active=True,
    )
    session.add(plan)
    session.flush()
    schedule_messages(
        session,
        (
            {**row, "dedupe_key": key, "due_at": dose}
            for dose in doses
            for key, row in _dose_rows(patient, plan, dose)
        ),
    )
    return plan


def replan_medication(
    session: Session, settings: Settings, patient: Patient, now: datetime | None = None
) -> None:
    """Plan again the waiting doses of a patient's active plans, on their channels as they are now (after
    the channel or the voice language changed): a dose already sent stays, and is not sent again."""
    now = now or utcnow()
    plans = select(MedicationPlan).where(
        MedicationPlan.patient_id == patient.id, MedicationPlan.active.is_(True)
    )
    for plan in session.scalars(plans):
        cancel_rows(session, OutboundMessage.medication_plan_id == plan.id)
        gone = {  # doses whose reminder already left on some channel: never planned again
            params["dose_at"]
            for params, status in session.execute(
                select(OutboundMessage.params, OutboundMessage.status).where(
                    OutboundMessage.medication_plan_id == plan.id
                )
            )
            if status not in (MessageStatus.SCHEDULED, MessageStatus.CANCELLED)
        }
        times = [time.fromisoformat(part) for part in plan.times.split(",")]
        for dose in dose_times(settings, times, plan.days_of_week, plan.start_date, plan.end_date, now):
            if dose.astimezone(UTC).isoformat() in gone:
                continue
            for key, row in _dose_rows(patient, plan, dose):
                ensure_row(session, dedupe_key=key or "", due_at=dose, **row)  # dose rows always have a key
    session.flush()


def _dose_rows(
    patient: Patient, plan: MedicationPlan, dose: datetime
) -> list[tuple[str | None, dict[str, Any]]]:
    """The rows of one dose's reminder, one per channel of the patient, each with its dedupe key."""
    fields = {
        "kind": Kind.MEDICATION,
        "recipient": patient.phone,
        "language": patient.language,
        "params": {"reference": patient.reference, "dose_at": dose.astimezone(UTC).isoformat()},
        "expires_at": dose + DOSE_VALID_FOR,
        "patient_id": patient.id,
        "medication_plan_id": plan.id,
    }
    return on_channels(patient, f"med:{plan.id}:{dose:%Y%m%dT%H%M}", fields)


def cancel_medication_plan(session: Session, plan: MedicationPlan) -> MedicationPlan:
    """Stop a plan: its waiting reminders are cancelled, reminders already sent stay in the history."""
    plan.active = False
    cancel_rows(session, OutboundMessage.medication_plan_id == plan.id)
    session.flush()
    return plan
