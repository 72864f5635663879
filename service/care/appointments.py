"""Appointments and their reminder rows: the day before, the morning of the day, and a follow-up
check-in if the appointment is not marked attended. Moving or cancelling an appointment moves or
cancels the rows that are still waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.care.errors import CareError
from service.care.localtime import at_local, local_date
from service.care.patients import require_reminders_allowed
from service.config import Settings
from service.errors import ErrorKind
from service.models import Appointment, OutboundMessage, Patient, Place, Referral
from service.outbox.rows import cancel_rows, ensure_row, schedule_message
from service.timeutil import utcnow

OPEN = ("scheduled", "confirmed")
REMINDER_KINDS = ("appointment_day_before", "appointment_same_day")


@dataclass(frozen=True)
class PlannedRow:
    """One SMS an appointment needs: its kind, de-duplication key, due time and expiry."""

    kind: str
    dedupe_key: str
    due_at: datetime
    expires_at: datetime | None


def plan_rows(
    settings: Settings, appointment_id: int, starts_at: datetime, now: datetime
) -> list[PlannedRow]:
    """The reminders and follow-up check-in of an appointment, as planned at `now`.

    Keys carry the start time, so a moved appointment gets new rows, and moving it back revives the old
    ones. Reminder times already past are replaced by one reminder at once.
    """
    tz = settings.tz
    stamp = f"{starts_at.astimezone(UTC):%Y%m%dT%H%M}"
    day = local_date(starts_at, tz)
    rows, missed = [], False
    for offset, at in settings.appointment_reminders:
        due = at_local(day + timedelta(days=offset), at, tz)
        if due >= starts_at:
            continue  # a morning reminder after an early appointment has nothing to remind
        if due <= now:
            missed = True
            continue
        kind = "appointment_same_day" if offset == 0 else "appointment_day_before"
        rows.append(PlannedRow(kind, f"appt:{appointment_id}:{offset}:{stamp}", due, starts_at))
    if missed:
        kind = "appointment_same_day" if local_date(now, tz) == day else "appointment_day_before"
        rows.append(PlannedRow(kind, f"appt:{appointment_id}:now:{stamp}", now, starts_at))
    followup_at = starts_at + timedelta(hours=settings.followup_after_missed_hours)
    rows.append(PlannedRow("followup_checkin", f"followup:{appointment_id}:{stamp}", followup_at, None))
    return rows


def schedule_appointment(
    session: Session,
    settings: Settings,
    patient: Patient,
    starts_at: datetime,
    place: Place | None = None,
    mobile_unit: bool = False,
    referral: Referral | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Record an appointment ahead of `now` at a place or with the mobile unit, and plan its SMS rows."""
    now = now or utcnow()
    check_appointment(patient, starts_at, place, mobile_unit, now)
    appointment = Appointment(
        patient=patient,
        place=place,
        mobile_unit=mobile_unit,
        referral_id=referral.id if referral else None,
        starts_at=starts_at,
        status="scheduled",
    )
    session.add(appointment)
    session.flush()
    for row in plan_rows(settings, appointment.id, starts_at, now):
        schedule_message(
            session, dedupe_key=row.dedupe_key, due_at=row.due_at, **row_fields(appointment, row)
        )
    return appointment


def move_appointment(
    session: Session,
    settings: Settings,
    appointment: Appointment,
    starts_at: datetime,
    now: datetime | None = None,
) -> Appointment:
    """Move an open appointment to a new time ahead; its waiting rows move, rows already sent stay."""
    now = now or utcnow()
    _check_open(appointment)
    require_reminders_allowed(appointment.patient)
    _check_ahead(starts_at, now)
    cancel_rows(session, OutboundMessage.appointment_id == appointment.id)
    appointment.starts_at = starts_at
    appointment.status = "scheduled"  # a confirmation was for the old time
    appointment.confirmed_at = None
    for row in plan_rows(settings, appointment.id, starts_at, now):
        ensure_row(session, dedupe_key=row.dedupe_key, due_at=row.due_at, **row_fields(appointment, row))
    session.flush()
    return appointment


def cancel_appointment(session: Session, appointment: Appointment) -> Appointment:
    """Cancel an open appointment and its waiting reminders and check-in."""
    _check_open(appointment)
    appointment.status = "cancelled"
    cancel_rows(session, OutboundMessage.appointment_id == appointment.id)
    session.flush()
    return appointment


def mark_attended(session: Session, appointment: Appointment) -> Appointment:
    """The patient came: no more reminders, and no follow-up check-in."""
    if appointment.status != "attended":
        _check_open(appointment)
        appointment.status = "attended"
        cancel_rows(session, OutboundMessage.appointment_id == appointment.id)
        session.flush()
    return appointment


def confirm_appointment(session: Session, appointment: Appointment, now: datetime) -> Appointment:
    """The patient answered a reminder to say they will come."""
    appointment.status = "confirmed"
    appointment.confirmed_at = now
    session.flush()
    return appointment


def appointment_by_id(session: Session, appointment_id: int) -> Appointment:
    """The appointment, or a CareError naming the unknown id."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise CareError("No appointment has the number %(id)s.", kind=ErrorKind.NOT_FOUND, id=appointment_id)
    return appointment


def reminded_appointment(session: Session, phone: str, now: datetime) -> Appointment | None:
    """The appointment of the newest reminder sent to `phone` whose appointment is still ahead and open."""
    return session.scalar(
        select(Appointment)
        .join(OutboundMessage, OutboundMessage.appointment_id == Appointment.id)
        .where(
            OutboundMessage.recipient == phone,
            OutboundMessage.kind.in_(REMINDER_KINDS),
            OutboundMessage.status.in_(("sent", "delivered")),
            Appointment.starts_at > now,
            Appointment.status.in_(OPEN),
        )
        .order_by(OutboundMessage.due_at.desc(), OutboundMessage.id.desc())
        .limit(1)
    )


def row_fields(appointment: Appointment, row: PlannedRow) -> dict:
    """The outbound-row fields of a planned row; params follow the SMS templates' contract."""
    patient = appointment.patient
    if row.kind == "followup_checkin":
        params = {"reference": patient.reference}
    else:
        params = {
            "reference": patient.reference,
            "starts_at": appointment.starts_at.astimezone(UTC).isoformat(),
            "place": appointment.place.name_in_sms if appointment.place else "",
        }
    return {
        "kind": row.kind,
        "recipient": patient.phone,
        "language": patient.language,
        "params": params,
        "expires_at": row.expires_at,
        "patient_id": patient.id,
        "appointment_id": appointment.id,
    }


def check_appointment(
    patient: Patient, starts_at: datetime, place: Place | None, mobile_unit: bool, now: datetime
) -> None:
    """Refuse an appointment that cannot be reminded: patient opted out, time passed, nowhere to go."""
    require_reminders_allowed(patient)
    _check_ahead(starts_at, now)
    if place is None and not mobile_unit:
        raise CareError("Choose the place, or tick the mobile unit visit.", field="place_code")


def _check_ahead(starts_at: datetime, now: datetime) -> None:
    if starts_at.tzinfo is None:
        raise ValueError("the appointment time must carry its time zone; use parse_local_datetime")
    if starts_at <= now:
        raise CareError("This time has passed: give a date and time still ahead.", field="starts_at")


def _check_open(appointment: Appointment) -> None:
    if appointment.status not in OPEN:
        raise CareError("This appointment is closed: it can no longer change.", kind=ErrorKind.CONFLICT)
