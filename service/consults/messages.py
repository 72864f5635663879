"""The messages of a remote consultation, each on its person's channel, none naming a condition, a
specialty or a medicine:

- the patient: the day before and the same day, by the rule of appointment reminders
  (APPOINTMENT_REMINDERS), by SMS or call as their channel says, naming the CSCom and the time;
- the health worker: the day's agenda in the morning (the same-day reminder time), and one message
  CONSULT_SOON_MINUTES before each consultation;
- the specialist: the agenda the day before and in the morning (the reminder times), asking `OK <ref>`;
- all three: one notice when the consultation moves or is cancelled;
- with CONSULT_CALLS, at the time: a call to the specialist that connects them to the health worker.

An agenda covers one person's day: it is planned again whenever a consultation of that day is booked,
moved or cancelled, and cancelled when none is left.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.care.appointments import plan_rows
from service.config import Settings
from service.models import Channel, Consultation, ConsultStatus, Kind, MessageStatus, OutboundMessage
from service.outbox.quiet_hours import patient_window
from service.outbox.rows import cancel_rows, ensure_row, on_channels
from service.timeutil import at_local, local_date


def _stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M}"


def plan_consultation(session: Session, settings: Settings, consult: Consultation, now: datetime) -> None:
    """Plan the patient's reminders and the health worker's message before it; then both agendas."""
    patient = consult.patient
    quiet = patient_window(patient.quiet_hours, settings.quiet_hours)
    rows = plan_rows(
        settings,
        consult.id,
        consult.starts_at,
        now,
        quiet,
        kinds=(Kind.CONSULT_DAY_BEFORE, Kind.CONSULT_SAME_DAY),
        prefix="consult",
        followup=False,
    )
    params = _patient_params(consult)
    for row in rows:
        fields = {
            "kind": row.kind,
            "recipient": patient.phone,
            "language": patient.language,
            "params": params,
            "expires_at": row.expires_at,
            "patient_id": patient.id,
            "consultation_id": consult.id,
        }
        for key, planned in on_channels(patient, row.dedupe_key, fields):
            ensure_row(session, dedupe_key=key or row.dedupe_key, due_at=row.due_at, **planned)
    worker = consult.health_worker
    soon = consult.starts_at - timedelta(minutes=settings.consult_soon_minutes)
    if worker is not None and soon > now:
        ensure_row(
            session,
            dedupe_key=f"consult:{consult.id}:soon:{_stamp(consult.starts_at)}",
            due_at=soon,
            kind=Kind.CONSULT_SOON,
            recipient=worker.phone,
            language=worker.language,
            params=_staff_params(consult),
            expires_at=consult.starts_at,
            consultation_id=consult.id,
        )
    if settings.consult_calls and worker is not None and consult.starts_at > now:
        ensure_row(
            session,
            dedupe_key=f"consult:{consult.id}:bridge:{_stamp(consult.starts_at)}",
            due_at=consult.starts_at,
            kind=Kind.CONSULT_BRIDGE,
            channel=Channel.VOICE,
            recipient=consult.specialist.phone,
            language=consult.specialist.language,
            voice_language=consult.specialist.language,
            params={**_staff_params(consult), "phone": worker.phone},
            expires_at=consult.starts_at + BRIDGE_VALID_FOR,
            consultation_id=consult.id,
        )
    plan_agendas(session, settings, consult, now)


# The reminders of a consultation, cancelled when it moves, is cancelled or has taken place; its change
# notices still leave.
REMINDERS = (Kind.CONSULT_DAY_BEFORE, Kind.CONSULT_SAME_DAY, Kind.CONSULT_SOON, Kind.CONSULT_BRIDGE)
BRIDGE_VALID_FOR = timedelta(minutes=15)  # a bridge call that cannot ring by then is dropped


def cancel_reminders(session: Session, consult: Consultation) -> None:
    cancel_rows(session, OutboundMessage.consultation_id == consult.id, OutboundMessage.kind.in_(REMINDERS))


def unplan_consultation(session: Session, settings: Settings, consult: Consultation, now: datetime) -> None:
    """Cancel the consultation's waiting reminders (at its current time) and plan its agendas again."""
    cancel_reminders(session, consult)
    plan_agendas(session, settings, consult, now)


def plan_agendas(
    session: Session, settings: Settings, consult: Consultation, now: datetime, day: date | None = None
) -> None:
    """The agendas of the consultation's day (or of `day`: the one it moved from) for its health worker
    and its specialist, as they are now."""
    day = day or local_date(consult.starts_at, settings.tz)
    if consult.health_worker_id is not None:
        _plan_agenda(session, settings, "hw", consult.health_worker_id, day, now)
    _plan_agenda(session, settings, "sp", consult.specialist_id, day, now)


def _plan_agenda(
    session: Session, settings: Settings, who: str, person_id: int, day: date, now: datetime
) -> None:
    tz = settings.tz
    column = Consultation.health_worker_id if who == "hw" else Consultation.specialist_id
    consults = list(
        session.scalars(
            select(Consultation)
            .where(
                column == person_id,
                Consultation.status.in_((ConsultStatus.BOOKED, ConsultStatus.CONFIRMED)),
                Consultation.starts_at >= at_local(day, time(0), tz),
                Consultation.starts_at < at_local(day + timedelta(days=1), time(0), tz),
            )
            .order_by(Consultation.starts_at)
        )
    )
    prefix = f"agenda:{who}:{person_id}:{day:%Y%m%d}:"
    session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.dedupe_key.startswith(prefix), OutboundMessage.status == MessageStatus.SCHEDULED
        )
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session="fetch")
    )
    if not consults:
        return
    first = consults[0]
    person = first.health_worker if who == "hw" else first.specialist
    assert person is not None
    entries = [
        f"{item.starts_at.astimezone(tz):%H:%M} {item.reference} {item.patient.reference}"
        + ("" if who == "hw" else f" {item.area.name_in_sms}")
        for item in consults
    ]
    params = {
        "reference": first.reference,
        "starts_at": first.starts_at.astimezone(UTC).isoformat(),
        "agenda": ", ".join(entries),
    }
    offsets = [(offset, at) for offset, at in settings.appointment_reminders if who == "sp" or offset == 0]
    for offset, at in offsets:
        due = at_local(day + timedelta(days=offset), at, tz)
        if due <= now or due >= first.starts_at:
            continue
        ensure_row(
            session,
            dedupe_key=f"{prefix}{offset}",
            due_at=due,
            kind=Kind.CONSULT_AGENDA if who == "hw" else Kind.CONSULT_SPECIALIST_AGENDA,
            recipient=person.phone,
            language=person.language,
            params=params,
            expires_at=first.starts_at,
        )


def notify_change(
    session: Session, settings: Settings, consult: Consultation, cancelled: bool, now: datetime
) -> None:
    """Tell the patient, the health worker and the specialist, once each, that the consultation moved (to
    its current time) or was cancelled."""
    change = "cancelled" if cancelled else f"moved:{_stamp(consult.starts_at)}"
    patient = consult.patient
    patient_kind = Kind.CONSULT_CANCELLED if cancelled else Kind.CONSULT_MOVED
    fields = {
        "kind": patient_kind,
        "recipient": patient.phone,
        "language": patient.language,
        "params": _patient_params(consult),
        "patient_id": patient.id,
        "consultation_id": consult.id,
    }
    if not patient.opted_out and patient.sms_consent:
        for key, planned in on_channels(patient, f"consult:{consult.id}:{change}:patient", fields):
            ensure_row(session, dedupe_key=key or "", due_at=now, **planned)
    staff_kind = Kind.CONSULT_STAFF_CANCELLED if cancelled else Kind.CONSULT_STAFF_MOVED
    for role, person in (("hw", consult.health_worker), ("sp", consult.specialist)):
        if person is None:
            continue
        ensure_row(
            session,
            dedupe_key=f"consult:{consult.id}:{change}:{role}",
            due_at=now,
            kind=staff_kind,
            recipient=person.phone,
            language=person.language,
            params=_staff_params(consult),
        )


def _patient_params(consult: Consultation) -> dict[str, str]:
    return {
        "reference": consult.patient.reference,
        "starts_at": consult.starts_at.astimezone(UTC).isoformat(),
        "place": consult.area.name_in_sms,
    }


def _staff_params(consult: Consultation) -> dict[str, str]:
    return {
        "reference": consult.reference,
        "patient": consult.patient.reference,
        "starts_at": consult.starts_at.astimezone(UTC).isoformat(),
    }
