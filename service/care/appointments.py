"""Appointments and their reminder rows: the day before, the morning of the day, and a follow-up
check-in if the appointment is not marked attended. Moving or cancelling an appointment moves or
cancels the rows that are still waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.care.errors import CareError
from service.care.patients import require_reminders_allowed
from service.config import Settings
from service.errors import ErrorKind
from service.models import (
    Appointment,
    AppointmentStatus,
    MessageStatus,
    OutboundMessage,
    Patient,
    Place,
    Referral,
)
from service.outbox.kinds import Kind
from service.outbox.quiet_hours import Window, patient_window, quiet_until
from service.outbox.rows import cancel_rows, ensure_row, on_channels, schedule_message
from service.timeutil import at_local, local_date, utcnow

OPEN = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
REMINDER_KINDS = (Kind.APPOINTMENT_DAY_BEFORE, Kind.APPOINTMENT_SAME_DAY)


@dataclass(frozen=True)
class PlannedRow:
    """One SMS an appointment needs: its kind, de-duplication key, due time and expiry."""

    kind: str
    dedupe_key: str
    due_at: datetime
    expires_at: datetime | None


def plan_rows(
    settings: Settings,
    appointment_id: int,
    starts_at: datetime,
    now: datetime,
    quiet: Window = None,
    *,
    kinds: tuple[Kind, Kind] = (Kind.APPOINTMENT_DAY_BEFORE, Kind.APPOINTMENT_SAME_DAY),
    prefix: str = "appt",
    followup: bool = True,
) -> list[PlannedRow]:
    """The reminders and follow-up check-in of an appointment, as planned at `now` for a patient whose
    quiet hours are `quiet`.

    The rule, whatever the booking time: at most one row per kind; each reminder is planned when it will
    really leave (after the quiet hours around it) and named by the local day it leaves on, so a
    "tomorrow" text never leaves on the appointment's own day, and expires before that day starts;
    nothing is due at or after the appointment; when every configured time has passed, one reminder
    leaves as soon as quiet hours allow, so an appointment booked ahead always gets one unless quiet hours
    cover all the time left. Keys carry the kind and the start time, so a moved appointment gets new rows,
    and moving it back revives the old ones. A remote consultation is reminded by the same rule, with its
    own `kinds` (day before, same day) and key `prefix`, and no follow-up check-in.
    """
    tz = settings.tz
    stamp = f"{starts_at.astimezone(UTC):%Y%m%dT%H%M}"
    day = local_date(starts_at, tz)
    day_starts = at_local(day, time(0), tz)

    def leaving(due: datetime) -> datetime:
        return quiet_until(due, quiet, tz) or due

    reminders: dict[str, PlannedRow] = {}

    def plan(due: datetime) -> None:
        if due >= starts_at:
            return  # a reminder after the appointment has nothing to remind
        same_day = local_date(due, tz) == day
        kind = kinds[1] if same_day else kinds[0]
        expires = starts_at if same_day else min(starts_at, day_starts)
        reminders.setdefault(
            kind, PlannedRow(kind, f"{prefix}:{appointment_id}:{kind}:{stamp}", due, expires)
        )

    configured = [
        at_local(day + timedelta(days=offset), at, tz) for offset, at in settings.appointment_reminders
    ]
    for due in sorted(configured):
        if due > now:
            plan(leaving(due))
    if configured and not reminders:
        plan(leaving(now))
    rows = sorted(reminders.values(), key=lambda row: row.due_at)
    if followup:
        followup_at = starts_at + timedelta(hours=settings.followup_after_missed_hours)
        rows.append(
            PlannedRow(Kind.FOLLOWUP_CHECKIN, f"followup:{appointment_id}:{stamp}", followup_at, None)
        )
    return rows


def planned_rows(settings: Settings, appointment: Appointment, now: datetime) -> list[PlannedRow]:
    """`plan_rows` for a stored appointment, in its patient's quiet hours."""
    quiet = patient_window(appointment.patient.quiet_hours, settings.quiet_hours)
    return plan_rows(settings, appointment.id, appointment.starts_at, now, quiet)


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
        status=AppointmentStatus.SCHEDULED,
    )
    session.add(appointment)
    session.flush()
    for row in planned_rows(settings, appointment, now):
        for key, fields in on_channels(patient, row.dedupe_key, row_fields(appointment, row)):
            schedule_message(session, dedupe_key=key, due_at=row.due_at, **fields)
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
    appointment.starts_at = starts_at
    appointment.status = AppointmentStatus.SCHEDULED  # a confirmation was for the old time
    appointment.confirmed_at = None
    _replan(session, settings, appointment, now)
    return appointment


def replan_reminders(
    session: Session, settings: Settings, patient: Patient, now: datetime | None = None
) -> None:
    """Plan again the waiting rows of a patient's open appointments still ahead (after their quiet hours
    changed), by the same rule as at booking; rows already sent stay, and are not sent again."""
    now = now or utcnow()
    ahead = select(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status.in_(OPEN), Appointment.starts_at > now
    )
    for appointment in session.scalars(ahead):
        _replan(session, settings, appointment, now)


def _replan(session: Session, settings: Settings, appointment: Appointment, now: datetime) -> None:
    """Cancel the appointment's waiting rows and plan them again at `now` (a key already sent stays)."""
    cancel_rows(session, OutboundMessage.appointment_id == appointment.id)
    for row in planned_rows(settings, appointment, now):
        for key, fields in on_channels(appointment.patient, row.dedupe_key, row_fields(appointment, row)):
            ensure_row(session, dedupe_key=key or row.dedupe_key, due_at=row.due_at, **fields)
    session.flush()


def cancel_appointment(session: Session, appointment: Appointment) -> Appointment:
    """Cancel an open appointment and its waiting reminders and check-in."""
    _check_open(appointment)
    appointment.status = AppointmentStatus.CANCELLED
    cancel_rows(session, OutboundMessage.appointment_id == appointment.id)
    session.flush()
    return appointment


def mark_attended(session: Session, appointment: Appointment) -> Appointment:
    """The patient came: no more reminders, and no follow-up check-in."""
    if appointment.status != AppointmentStatus.ATTENDED:
        _check_open(appointment)
        appointment.status = AppointmentStatus.ATTENDED
        cancel_rows(session, OutboundMessage.appointment_id == appointment.id)
        session.flush()
    return appointment


def confirm_appointment(session: Session, appointment: Appointment, now: datetime) -> Appointment:
    """The patient answered a reminder to say they will come."""
    appointment.status = AppointmentStatus.CONFIRMED
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
            OutboundMessage.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)),
            Appointment.starts_at > now,
            Appointment.status.in_(OPEN),
        )
        .order_by(OutboundMessage.due_at.desc(), OutboundMessage.id.desc())
        .limit(1)
    )


def row_fields(appointment: Appointment, row: PlannedRow) -> dict:
    """The outbound-row fields of a planned row; params follow the SMS templates' contract."""
    patient = appointment.patient
    if row.kind == Kind.FOLLOWUP_CHECKIN:
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
