"""Booking a remote consultation, moving and cancelling it, the specialist's confirmation (`OK <ref>`), and
its outcome. Every refusal is a ConsultError naming the field at fault; every change plans the messages of
`messages.py` again and tells the people concerned once each."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import system_alerts
from service.config import Settings
from service.consults.messages import (
    cancel_reminders,
    notify_change,
    plan_agendas,
    plan_consultation,
    unplan_consultation,
)
from service.consults.people import ConsultError
from service.consults.sessions import cancelled_dates, serves, session_at, slot_starts
from service.db import rowcount
from service.errors import ErrorKind, msgid
from service.models import (
    ClinicSession,
    Consultation,
    ConsultMode,
    ConsultStatus,
    HealthWorker,
    Kind,
    Patient,
    Place,
    Referral,
    Specialist,
    values,
)
from service.outbox.rows import schedule_message
from service.periodic import PassContext
from service.references import unique_reference
from service.timeutil import local_date, utcnow

OPEN = (ConsultStatus.BOOKED, ConsultStatus.CONFIRMED)
MODES = values(ConsultMode)


def book(
    session: Session,
    settings: Settings,
    *,
    patient: Patient,
    specialist: Specialist,
    area: Place,
    starts_at: datetime,
    health_worker: HealthWorker | None = None,
    mode: str = ConsultMode.PHONE,
    referral: Referral | None = None,
    now: datetime | None = None,
) -> Consultation:
    """Book a slot of one of the specialist's sessions serving `area` for the patient, with the area's
    health worker by default, and plan the three people's messages."""
    now = now or utcnow()
    if mode not in MODES:
        raise ConsultError("Choose phone or video.", field="mode")
    if health_worker is None:
        health_worker = session.scalar(
            select(HealthWorker)
            .where(HealthWorker.area_id == area.id, HealthWorker.active.is_(True))
            .order_by(HealthWorker.id)
        )
    clinic = _check_slot(session, settings, patient, specialist, area, starts_at, health_worker, now)
    consult = Consultation(
        reference=unique_reference(session, Consultation, "C"),
        patient=patient,
        specialist=specialist,
        health_worker=health_worker,
        area=area,
        referral_id=referral.id if referral is not None else None,
        starts_at=starts_at,
        minutes=clinic.slot_minutes,
        mode=mode,
        status=ConsultStatus.BOOKED,
    )
    _store(session, consult)
    plan_consultation(session, settings, consult, now)
    return consult


def move(
    session: Session,
    settings: Settings,
    consult: Consultation,
    starts_at: datetime,
    now: datetime | None = None,
) -> Consultation:
    """Move an open consultation to another free slot of its specialist serving its area; its messages
    move, and the three people are told once."""
    now = now or utcnow()
    _check_open(consult)
    if starts_at == consult.starts_at:
        return consult
    clinic = _check_slot(
        session,
        settings,
        consult.patient,
        consult.specialist,
        consult.area,
        starts_at,
        consult.health_worker,
        now,
        consult,
    )
    cancel_reminders(session, consult)
    old_day = local_date(consult.starts_at, settings.tz)
    consult.starts_at, consult.minutes = starts_at, clinic.slot_minutes
    consult.status, consult.confirmed_at, consult.unconfirmed_alerted_at = ConsultStatus.BOOKED, None, None
    _store(session, consult)
    plan_consultation(session, settings, consult, now)
    plan_agendas(session, settings, consult, now, day=old_day)
    notify_change(session, settings, consult, cancelled=False, now=now)
    return consult


def cancel(
    session: Session, settings: Settings, consult: Consultation, reason: str, now: datetime | None = None
) -> Consultation:
    """Cancel an open consultation: its waiting messages are cancelled and the three people told once."""
    now = now or utcnow()
    _check_open(consult)
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise ConsultError("Say why the consultation is cancelled.", field="reason")
    consult.status, consult.cancel_reason = ConsultStatus.CANCELLED, reason
    session.flush()
    unplan_consultation(session, settings, consult, now)
    notify_change(session, settings, consult, cancelled=True, now=now)
    return consult


def cancel_session_day(
    session: Session,
    settings: Settings,
    clinic: ClinicSession,
    day: date,
    reason: str,
    now: datetime | None = None,
) -> list[Consultation]:
    """The specialist cannot hold the session on `day`: it takes no more bookings that day, and each of
    its open consultations is cancelled, its people told. Returns those consultations."""
    now = now or utcnow()
    starts = slot_starts(clinic, day, settings.tz)
    if not starts:
        raise ConsultError("The session does not take place on %(day)s.", field="day", day=day.isoformat())
    clinic.cancelled_dates = ",".join(
        sorted({*map(date.isoformat, cancelled_dates(clinic)), day.isoformat()})
    )
    booked = session.scalars(
        select(Consultation).where(
            Consultation.specialist_id == clinic.specialist_id,
            Consultation.status.in_(OPEN),
            Consultation.starts_at.in_(starts),
        )
    ).all()
    for consult in booked:
        cancel(session, settings, consult, reason, now)
    return list(booked)


def confirm(session: Session, reference: str, phone: str, now: datetime) -> Consultation | None:
    """The specialist's `OK <ref>`: confirm their consultation, once; None when `phone` is not its
    specialist's or the consultation is not waiting for it."""
    consult = session.scalar(select(Consultation).where(Consultation.reference == reference.strip().upper()))
    if consult is None or consult.specialist.phone != phone or consult.status != ConsultStatus.BOOKED:
        return None
    done = rowcount(
        session.execute(
            update(Consultation)
            .where(Consultation.id == consult.id, Consultation.status == ConsultStatus.BOOKED)
            .values(status=ConsultStatus.CONFIRMED, confirmed_at=now)
            .execution_options(synchronize_session="fetch")
        )
    )
    return consult if done else None


def record_outcome(
    session: Session,
    settings: Settings,
    consult: Consultation,
    *,
    attended: bool,
    by: str,
    followup_date: date | None = None,
    treatment_started: bool | None = None,
    now: datetime | None = None,
) -> Consultation:
    """The health worker or the specialist says the patient came or not. Missed: the patient gets a
    check-in and the consultation waits to be booked again (the console lists it)."""
    now = now or utcnow()
    if consult.status == ConsultStatus.CANCELLED:
        raise ConsultError("This consultation was cancelled.", kind=ErrorKind.CONFLICT, field="reference")
    if consult.starts_at > now + timedelta(minutes=consult.minutes):
        raise ConsultError(
            "This consultation has not taken place yet.", kind=ErrorKind.CONFLICT, field="reference"
        )
    if followup_date is not None and followup_date < consult.starts_at.astimezone(settings.tz).date():
        raise ConsultError("The follow-up date is before the consultation.", field="followup_date")
    consult.status = ConsultStatus.ATTENDED if attended else ConsultStatus.MISSED
    consult.followup_date = followup_date if attended else None
    consult.treatment_started = treatment_started if attended else None
    consult.outcome_at, consult.outcome_by = now, by
    unplan_consultation(session, settings, consult, now)
    patient = consult.patient
    if not attended:
        message = f"Consultation {consult.reference} missed by patient {patient.reference}: book another."
        system_alerts.raise_alert(session, system_alerts.AlertKind.CONSULT_MISSED, message)
    if not attended and not patient.opted_out and patient.sms_consent:
        schedule_message(
            session,
            kind=Kind.FOLLOWUP_CHECKIN,
            recipient=patient.phone,
            language=patient.language,
            params={"reference": patient.reference},
            due_at=now,
            dedupe_key=f"consult:{consult.id}:missed",
            patient_id=patient.id,
            consultation_id=consult.id,
        )
    session.flush()
    return consult


def by_reference(session: Session, reference: str) -> Consultation:
    consult = session.scalar(select(Consultation).where(Consultation.reference == reference.strip().upper()))
    if consult is None:
        raise ConsultError(
            "No consultation has the code %(reference)s.",
            kind=ErrorKind.NOT_FOUND,
            field="reference",
            reference=reference,
        )
    return consult


def _check_open(consult: Consultation) -> None:
    if consult.status not in OPEN:
        raise ConsultError(
            "This consultation is over or cancelled: it can no longer change.",
            kind=ErrorKind.CONFLICT,
            field="reference",
        )


def _check_slot(
    session: Session,
    settings: Settings,
    patient: Patient,
    specialist: Specialist,
    area: Place,
    starts_at: datetime,
    health_worker: HealthWorker | None,
    now: datetime,
    moving: Consultation | None = None,
) -> ClinicSession:
    """The session of the slot, or the refusal: past, not a slot, an area it does not serve, a patient
    without consent, someone already booked at that time."""
    if starts_at <= now:
        raise ConsultError("This time has passed: choose a slot ahead.", field="starts_at")
    if not patient.sms_consent or patient.opted_out:
        raise ConsultError(
            "Patient %(reference)s has not agreed to be contacted: record their consent first.",
            kind=ErrorKind.CONFLICT,
            field="patient",
            reference=patient.reference,
        )
    if not specialist.active:
        raise ConsultError("This specialist is no longer active.", field="psychiatrist")
    if health_worker is not None and not health_worker.active:
        raise ConsultError("This health worker is no longer active.", field="health_worker")
    clinic = session_at(session, specialist, starts_at, settings.tz)
    if clinic is None:
        raise ConsultError("The specialist has no free slot starting at this time.", field="starts_at")
    if not serves(clinic, area):
        raise ConsultError(
            "This session does not serve the health area %(area)s.", field="area", area=area.name
        )
    for field, column, who in (
        ("psychiatrist", Consultation.specialist_id, specialist.id),
        ("patient", Consultation.patient_id, patient.id),
        ("health_worker", Consultation.health_worker_id, health_worker.id if health_worker else None),
    ):
        if who is None:
            continue
        taken = select(Consultation.id).where(
            column == who, Consultation.status != ConsultStatus.CANCELLED, Consultation.starts_at == starts_at
        )
        if moving is not None:
            taken = taken.where(Consultation.id != moving.id)
        if session.scalar(taken) is not None:
            raise _taken(field)
    return clinic


def _store(session: Session, consult: Consultation) -> None:
    """Write the consultation; a booking that lost a race for the same time gets the same refusal."""
    try:
        with session.begin_nested():
            session.add(consult)
            session.flush()
    except IntegrityError as error:
        text = str(error.orig)
        field = next((name for name in ("health_worker", "patient") if f"{name}_id" in text), "psychiatrist")
        raise _taken(field) from None


def _taken(field: str) -> ConsultError:
    messages = {
        "psychiatrist": msgid("The specialist already has a consultation at this time."),
        "patient": msgid("The patient already has a consultation at this time."),
        "health_worker": msgid("The health worker already has a consultation at this time."),
    }
    return ConsultError(messages[field], kind=ErrorKind.CONFLICT, field=field)


def unconfirmed_pass(context: PassContext) -> dict[str, int]:
    """Alert coordinators, once per consultation, when its specialist has not confirmed it
    CONSULT_CONFIRM_HOURS before it starts."""
    now = context.now
    deadline = now + timedelta(hours=context.settings.consult_confirm_hours)
    alerted = 0
    with context.database.session() as session:
        waiting = session.scalars(
            select(Consultation).where(
                Consultation.status == ConsultStatus.BOOKED,
                Consultation.unconfirmed_alerted_at.is_(None),
                Consultation.starts_at <= deadline,
                Consultation.starts_at > now,
            )
        ).all()
        for consult in waiting:
            when = consult.starts_at.astimezone(context.settings.tz)
            message = (
                f"Consultation {consult.reference} at {when:%Y-%m-%d %H:%M} ({consult.area.name}) is not "
                f"confirmed by its specialist {consult.specialist.name} ({consult.specialist.phone})."
            )
            system_alerts.raise_alert(session, system_alerts.AlertKind.CONSULT_UNCONFIRMED, message)
            consult.unconfirmed_alerted_at = now
            alerted += 1
    return {"consults_unconfirmed": alerted}
