"""The life of a call row, whatever the gateway: whether it may ring now, and what happens when it ends.

When the call ends: answered, the row is `delivered`; not answered (busy, absent), it is tried again
after VOICE_RETRY_SECONDS within calling hours, up to VOICE_MAX_ATTEMPTS; then, or when the number cannot
be called, the same reminder goes by SMS if the patient consented to SMS. A call row whose language has
no recording of its kind goes by SMS at once: never a French voice to a Bambara or Songhai speaker.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.models import Channel, Kind, MessageStatus, OutboundMessage, Patient, PatientChannel, Referral
from service.outbox import details
from service.outbox.lifecycle import move, record_events
from service.outbox.quiet_hours import Window, patient_window, quiet_until
from service.outbox.rows import schedule_message
from service.phones import InvalidPhone, normalize_phone

SKIPPED = "skipped"
BY_SMS = "by_sms"
# A call the gateway took; its last callback can come before the worker has recorded the gateway's answer
# (a phone that does not ring), so a `sending` row may end too.
PLACED = (MessageStatus.SENT, MessageStatus.SENDING)
PLAYED = (MessageStatus.SENT, MessageStatus.DELIVERED)
# A patient with this many reminders that no call reached in UNREACHED_WINDOW is "not reached": their
# volunteer is asked to visit.
UNREACHED_REMINDERS = 2
UNREACHED_WINDOW = timedelta(days=30)


class CallEnd(StrEnum):
    """How a call ended, whatever the gateway (each gateway maps its own hang-up causes to these)."""

    ANSWERED = "answered"  # the person picked up: the message was played
    UNREACHED = "unreached"  # no answer, busy, switched off: tried again later, then by SMS
    UNREACHABLE = "unreachable"  # the number cannot be called (does not exist): by SMS, never called again


# A due call row and what its checks need of its patient, in one query, as plain columns.
CALL_ROW = select(
    OutboundMessage.id,
    OutboundMessage.status,
    OutboundMessage.channel,
    OutboundMessage.kind,
    OutboundMessage.language,
    OutboundMessage.voice_language,
    OutboundMessage.recipient,
    OutboundMessage.attempts,
    OutboundMessage.expires_at,
    OutboundMessage.ignore_quiet_hours,
    OutboundMessage.alert_id,
    OutboundMessage.patient_id,
    Patient.opted_out,
    Patient.sms_consent,
    Patient.quiet_hours,
    Patient.channel.label("patient_channel"),
).outerjoin(Patient, Patient.id == OutboundMessage.patient_id)


def check_call(
    session: Session, settings: Settings, row: Row, recorded: Set[tuple[str, str]], now: datetime
) -> str | None:
    """End or put back a queued call row (read by CALL_ROW) that must not ring now: expired, opted out, no
    consent, no recording in its voice language (`recorded` holds each recording's name and language: by
    SMS instead), outside calling hours. None when it may ring."""
    has_patient = row.patient_id is not None
    if row.expires_at is not None and row.expires_at <= now:
        text = details.EXPIRED.text(when=row.expires_at.isoformat())
        return _end(session, row.id, MessageStatus.DROPPED, now, text)
    if has_patient and (row.opted_out or not row.sms_consent):
        text = details.OPTED_OUT.text() if row.opted_out else details.NO_CONSENT.text()
        return _end(session, row.id, MessageStatus.CANCELLED, now, text)
    voice = row.voice_language or row.language
    # A bridge call connects two people: a greeting recording is welcome, not needed.
    if row.kind != Kind.CONSULT_BRIDGE and (row.kind, voice) not in recorded:
        if row.alert_id is not None or _sms_too(row.patient_channel):  # its SMS goes out beside it anyway
            return _end(session, row.id, MessageStatus.CANCELLED, now, details.SMS_ALONE.text(voice=voice))
        # Never a French voice to a Bambara or Songhai speaker: the same reminder goes by SMS.
        queued = (MessageStatus.QUEUED,)
        if move(session, row.id, queued, MessageStatus.SCHEDULED, now, due_at=now, channel=Channel.SMS):
            record_events(session, [row.id], BY_SMS, now, details.NO_RECORDING.text(voice=voice))
        return BY_SMS
    if not row.ignore_quiet_hours:
        ring_at = calling_moment(settings, row.quiet_hours if has_patient else None, now)
        if ring_at > now:
            text = details.CALLING_HOURS.text(when=ring_at.isoformat())
            move(session, row.id, (MessageStatus.QUEUED,), MessageStatus.SCHEDULED, now, text, due_at=ring_at)
            return MessageStatus.SCHEDULED
    return None


def calling_moment(settings: Settings, patient_quiet: str | None, moment: datetime) -> datetime:
    """The first moment from `moment` outside the quiet hours (the patient's own, else the configured
    ones) and inside the calling hours."""
    windows: list[Window] = [patient_window(patient_quiet, settings.quiet_hours)]
    if settings.calling_hours is not None:
        start, end = settings.calling_hours
        windows.append((end, start))  # outside the calling hours is a quiet window of its own
    for _round in range(4):  # two windows: a few rounds settle on a moment outside both
        later = [until for window in windows if (until := quiet_until(moment, window, settings.tz))]
        if not later:
            return moment
        moment = max(later)
    return moment


def end_call(
    session: Session,
    settings: Settings,
    row: OutboundMessage,
    end: CallEnd,
    now: datetime,
    *,
    duration: int | None = None,
    cost: str | None = None,
    currency: str | None = None,
    cause: str | None = None,
) -> str:
    """Record how the call on `row` ended, once: delivered, tried again later, or sent by SMS instead."""
    if row.status not in PLACED:
        return row.status  # a repeated last callback, or a call already settled
    row.duration_seconds, row.cost, row.currency, row.hangup_cause = duration, cost, currency, cause
    record_events(session, [row.id], f"call:{end}", now, details.CALL_ENDED.text(cause=cause or end))
    sent = PLACED
    if end is CallEnd.ANSWERED:
        move(session, row.id, sent, MessageStatus.DELIVERED, now, delivered_at=now)
        return MessageStatus.DELIVERED
    if row.alert_id is not None and end is not CallEnd.ANSWERED:
        # An emergency does not wait half an hour: the escalation calls the next clinician on its own,
        # and the alert's SMS went out beside this call.
        move(session, row.id, sent, MessageStatus.FAILED, now, last_error=cause or end)
        return MessageStatus.FAILED
    if end is CallEnd.UNREACHED and row.attempts < settings.voice_max_attempts:
        patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
        again = now + timedelta(seconds=settings.voice_retry_seconds)
        due = calling_moment(settings, patient.quiet_hours if patient else None, again)
        move(session, row.id, sent, MessageStatus.SCHEDULED, now, due_at=due)
        return MessageStatus.SCHEDULED
    move(session, row.id, sent, MessageStatus.FAILED, now, last_error=cause or end)
    by_sms(session, row, now, details.NOT_REACHED.text(n=row.attempts))
    session.flush()
    ask_for_visit(session, row, now)
    return MessageStatus.FAILED


def unreached_reminders(session: Session, patient_id: int, now: datetime) -> int:
    """How many of the patient's reminders in the last UNREACHED_WINDOW no call reached."""
    query = select(func.count()).where(
        OutboundMessage.patient_id == patient_id,
        OutboundMessage.channel == Channel.VOICE,
        OutboundMessage.status == MessageStatus.FAILED,
        OutboundMessage.alert_id.is_(None),
        OutboundMessage.updated_at >= now - UNREACHED_WINDOW,
    )
    return session.scalar(query) or 0


def ask_for_visit(session: Session, row: OutboundMessage, now: datetime) -> OutboundMessage | None:
    """After UNREACHED_REMINDERS reminders no call reached, one discreet SMS asks the volunteer who reported
    the person (when a volunteer did) to visit them; once a month at most."""
    if row.patient_id is None or unreached_reminders(session, row.patient_id, now) < UNREACHED_REMINDERS:
        return None
    referral = session.scalar(
        select(Referral).where(Referral.patient_id == row.patient_id).order_by(Referral.id.desc()).limit(1)
    )
    if referral is None or referral.volunteer is None:
        return None
    key = f"not-reached:{row.patient_id}:{now:%Y%m}"
    if _taken(session, key):
        return None
    return schedule_message(
        session,
        kind=Kind.NOT_REACHED,
        recipient=referral.volunteer.phone,
        language=referral.volunteer.language,
        params={"reference": referral.reference},
        due_at=now,
        dedupe_key=key,
        referral_id=referral.id,
    )


def by_sms(session: Session, row: OutboundMessage, now: datetime, why: str) -> OutboundMessage | None:
    """The same reminder as an SMS, now, when the patient consented to SMS (once: its own dedupe key)."""
    patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
    if patient is not None and (patient.opted_out or not patient.sms_consent or _sms_too(patient.channel)):
        return None
    key = f"{row.dedupe_key}:sms" if row.dedupe_key else f"call:{row.id}:sms"
    if _taken(session, key):
        return None
    record_events(session, [row.id], BY_SMS, now, why)
    return schedule_message(
        session,
        **_same_reminder(row),
        due_at=now,
        expires_at=row.expires_at,
        dedupe_key=key,
        referral_id=row.referral_id,
        alert_id=row.alert_id,
    )


def _taken(session: Session, dedupe_key: str) -> bool:
    """Whether a row was already made for `dedupe_key` (what makes each of these messages go once)."""
    return (
        session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == dedupe_key)) is not None
    )


def _same_reminder(row: OutboundMessage) -> dict[str, Any]:
    """The fields of a new row that carries the same reminder as `row` to the same person."""
    return {
        "kind": row.kind,
        "recipient": row.recipient,
        "language": row.language,
        "params": dict(row.params or {}),
        "patient_id": row.patient_id,
        "appointment_id": row.appointment_id,
        "medication_plan_id": row.medication_plan_id,
    }


def _sms_too(patient_channel: str | None) -> bool:
    """Whether a patient on `patient_channel` gets each reminder by SMS beside the call (`both`)."""
    return patient_channel == PatientChannel.BOTH


def _end(session: Session, message_id: int, to: str, now: datetime, reason: str) -> str:
    done = move(session, message_id, (MessageStatus.QUEUED,), to, now, reason, last_error=reason)
    return to if done else SKIPPED


def reminder_for(session: Session, phone: str) -> OutboundMessage | None:
    """The call a patient who rings Jigi's number hears: their next reminder call, else their last one."""
    try:
        phone = normalize_phone(phone)
    except InvalidPhone:
        return None
    mine = select(OutboundMessage).where(
        OutboundMessage.recipient == phone,
        OutboundMessage.channel == Channel.VOICE,
        OutboundMessage.patient_id.is_not(None),
    )
    waiting = mine.where(OutboundMessage.status == MessageStatus.SCHEDULED).order_by(OutboundMessage.due_at)
    played = mine.where(OutboundMessage.status.in_(PLAYED)).order_by(OutboundMessage.due_at.desc())
    return session.scalar(waiting.limit(1)) or session.scalar(played.limit(1))


def call_back(session: Session, phone: str, now: datetime) -> OutboundMessage | None:
    """A patient rang and hung up (a "missed call", the usual way to ask to be called in Mali): call them
    back at once with their reminder, once a day at most."""
    reminder = reminder_for(session, phone)
    if reminder is None:
        return None
    key = f"callback:{reminder.patient_id}:{now:%Y%m%d}"
    if _taken(session, key):
        return None
    return schedule_message(
        session,
        **_same_reminder(reminder),
        due_at=now,
        dedupe_key=key,
        channel=Channel.VOICE,
        voice_language=reminder.voice_language,
    )
