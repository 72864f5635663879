"""Creating, re-planning and cancelling outbound rows: every SMS the system will send is a row first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.orm import Session

from service.db import insert_many, rowcount
from service.models import (
    Appointment,
    Channel,
    MessageStatus,
    OutboundMessage,
    Patient,
    PatientChannel,
    Referral,
)
from service.outbox import details
from service.outbox.kinds import KINDS
from service.outbox.lifecycle import transition
from service.timeutil import utcnow


def schedule_message(
    session: Session,
    *,
    kind: str,
    recipient: str,
    language: str,
    params: dict[str, Any],
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
    **links: Any,
) -> OutboundMessage:
    """Add an outbound row in the caller's transaction, with its kind's priority and quiet-hours rule."""
    message = OutboundMessage(
        **outbound_values(
            kind=kind,
            recipient=recipient,
            language=language,
            params=params,
            due_at=due_at,
            expires_at=expires_at,
            dedupe_key=dedupe_key,
            **links,
        )
    )
    session.add(message)
    return message


def schedule_messages(session: Session, rows: Iterable[dict[str, Any]]) -> int:
    """Insert many outbound rows at once (a medication plan's doses, an import), each given as the keyword
    arguments of `schedule_message` and made by the same rule, without an ORM object each (`insert_many`:
    COPY on PostgreSQL, executemany elsewhere). Returns how many were added."""
    values = [_complete(outbound_values(**row)) for row in rows]
    insert_many(session, cast(Table, OutboundMessage.__table__), values)
    return len(values)


def outbound_values(
    *,
    kind: str,
    recipient: str,
    language: str,
    params: dict[str, Any],
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    dedupe_key: str | None = None,
    **links: Any,
) -> dict[str, Any]:
    """The columns of a new outbound row: its kind's priority and quiet-hours rule, scheduled."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    registered = KINDS[kind]
    return {
        "kind": kind,
        "recipient": recipient,
        "language": language,
        "params": params,
        "priority": int(registered.priority),
        "due_at": due_at or utcnow(),
        "expires_at": expires_at,
        "ignore_quiet_hours": not registered.quiet_hours_apply,
        "status": MessageStatus.SCHEDULED,
        "dedupe_key": dedupe_key,
        **links,
    }


# Columns a row may leave out, with the value the one-by-one path gives them: a multi-row INSERT needs
# every row to name the same columns.
OPTIONAL_COLUMNS = {
    "channel": Channel.SMS,
    "voice_language": None,
    **{link: None for link in ("patient_id", "appointment_id", "medication_plan_id", "alert_id")},
    **{link: None for link in ("referral_id", "consultation_id")},
}


def _complete(values: dict[str, Any]) -> dict[str, Any]:
    return {**OPTIONAL_COLUMNS, **values}


# A move or cancel touches only rows still waiting for their time; an opt-out or an acknowledged alert
# also stops rows the sweeper has claimed but no worker has started to send (workers claim `queued`
# rows with a conditional update, so a cancelled row is never sent).
WAITING = (MessageStatus.SCHEDULED,)
UNSENT = (MessageStatus.SCHEDULED, MessageStatus.QUEUED)


def cancel_rows(
    session: Session, *criteria: ColumnElement[bool], statuses: tuple[MessageStatus, ...] = WAITING
) -> int:
    """Cancel the matching rows that are in `statuses`; return how many were cancelled."""
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status.in_(statuses), *criteria)
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session="fetch")
    )
    return rowcount(result)


def on_channels(
    patient: Patient, dedupe_key: str | None, fields: dict[str, Any]
) -> list[tuple[str | None, dict[str, Any]]]:
    """A patient's reminder on each of their channels: the SMS row, the call row (a patient reminded by
    voice, in their voice language), or both; each with its own dedupe key."""
    rows: list[tuple[str | None, dict[str, Any]]] = []
    channel = patient.channel or PatientChannel.SMS  # not yet flushed: the column's default
    if channel != PatientChannel.VOICE:
        rows.append((dedupe_key, fields))
    if channel != PatientChannel.SMS:
        voice = {
            **fields,
            "channel": Channel.VOICE,
            "voice_language": patient.voice_language or patient.language,
        }
        rows.append((f"{dedupe_key}:voice" if dedupe_key else None, voice))
    return rows


def ensure_row(session: Session, *, dedupe_key: str, due_at: datetime, **fields: Any) -> OutboundMessage:
    """The row for `dedupe_key`, scheduled at `due_at`: a waiting or cancelled one is re-planned, a row
    already sent is left alone (that reminder went out once for this very time), otherwise it is added."""
    row = session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key))
    if row is None:
        return schedule_message(session, dedupe_key=dedupe_key, due_at=due_at, **fields)
    if row.status in (MessageStatus.SCHEDULED, MessageStatus.CANCELLED):
        row.status = MessageStatus.SCHEDULED
        row.kind = fields["kind"]
        row.due_at = due_at
        row.expires_at = fields.get("expires_at")
        row.recipient = fields["recipient"]
        row.language = fields["language"]
        row.params = fields["params"]
        if "voice_language" in fields:  # a call row follows the patient's voice language
            row.voice_language = fields["voice_language"]
    return row


def release_held(session: Session, message: OutboundMessage, now: datetime) -> bool:
    """Send a held row again, with the place names as they are now (a coordinator has given the place a
    neutral SMS name, or changed the template): the worker checks the text once more before it leaves.
    False when the row is no longer held."""
    params = dict(message.params or {})
    if message.appointment_id is not None and "place" in params:
        appointment = session.get(Appointment, message.appointment_id)
        params["place"] = appointment.place.name_in_sms if appointment and appointment.place else ""
    if message.referral_id is not None and "village" in params:
        referral = session.get(Referral, message.referral_id)
        if referral is not None:
            params["village"] = referral.place.name_in_sms
    released = transition(
        session,
        OutboundMessage.id == message.id,
        (MessageStatus.HELD,),
        MessageStatus.SCHEDULED,
        now,
        details.RELEASED.text(),
        params=params,
        due_at=now,
        claimed_at=None,
        last_error=None,
    )
    return bool(released)
