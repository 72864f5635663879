"""Sending one outbound row: policy checks, rendering, the gateway call, and recording its answer.

Idempotent: every change is a conditional update from the status the row must be in, so a job run twice,
or two workers holding the same id, send it at most once. The one ambiguity that cannot be removed: a
worker that dies, or a request that times out, after the gateway took the message but before the row was
marked sent. Such a row stays `sending` (the sweeper turns it `unknown` after SEND_TIMEOUT_SECONDS) or is
recorded `unknown` at once; it is shown to coordinators and never resent automatically, because a
duplicate reminder on a shared phone is worse than a missing one (emergency alerts are escalated anyway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from service import system_alerts
from service.config import Settings
from service.db import Database
from service.gateways import port as gw
from service.gsm7 import Encoded, for_sms
from service.metrics import count_send
from service.models import Channel, MessageStatus, OutboundMessage, Patient
from service.outbox import details
from service.outbox.discretion import indiscreet
from service.outbox.kinds import Kind, Priority
from service.outbox.lifecycle import move
from service.outbox.quiet_hours import patient_window, quiet_until
from service.outbox.templates import TemplateError, current_body, render_body
from service.sms.lanes import Turns, in_lanes, lane_session
from service.system_alerts import AlertKind
from service.timeutil import utcnow

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(seconds=30)  # transient failures: 30 s, 1, 2, 4, 8 min...
HOLD = timedelta(minutes=15)  # no credit or bad configuration: try again every 15 min...
HOLD_LIMIT = timedelta(hours=24)  # ...for at most a day (or until the row's own expiry), then dropped
OPTOUT_KIND = Kind.OPTOUT_CONFIRMATION
SKIPPED = "skipped"
VOICE_ROW = "voice"  # a call, not an SMS: the job hands it to service.voice.caller


@dataclass(frozen=True)
class Claimed:
    """A row this worker moved to `sending`, ready for the gateway."""

    id: int
    recipient: str
    encoded: Encoded
    attempt: int
    sending_at: datetime
    expires_at: datetime | None
    urgent: bool

    def outgoing(self, settings: Settings) -> gw.Outgoing:
        """What the gateway is given: the row's id makes a repeated send recognisable to gateways that
        take one; the chain moves an emergency, or a last attempt, to the next gateway at once."""
        return gw.Outgoing(
            reference=f"jigi-{self.id}",
            recipient=self.recipient,
            text=self.encoded.text,
            urgent=self.urgent,
            last_attempt=self.attempt >= settings.max_send_attempts,
        )


@dataclass(frozen=True)
class Answered:
    """A send whose answer is not recorded yet, and its place in the job."""

    position: int
    claimed: Claimed
    result: gw.SendResult


def backoff(attempt: int) -> timedelta:
    """Wait before retry number `attempt` (1-based) after a transient failure."""
    return RETRY_BASE * 2 ** (attempt - 1)


class Batch:
    """What the sends of one job share, across its lanes: template bodies read once, each row's text
    rendered once, and whether alerts may need closing (a lane that reads a stale flag only runs one
    UPDATE more or less)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bodies: dict[tuple[str, str], str] = {}
        self.texts: dict[int, str | TemplateError] = {}
        self.alerts_may_be_open = True

    def body(self, session: Session, kind: str, language: str) -> str:
        key = (kind, language)
        if key not in self.bodies:
            self.bodies[key] = current_body(session, kind, language)
        return self.bodies[key]

    def text(self, session: Session, row: Row) -> str:
        """The row's text, its template filled; raises TemplateError."""
        if row.id not in self.texts:
            try:
                body = self.body(session, row.kind, row.language)
                self.texts[row.id] = render_body(
                    body, row.kind, row.language, row.params or {}, self.settings
                )
            except TemplateError as error:
                self.texts[row.id] = error
        text = self.texts[row.id]
        if isinstance(text, TemplateError):
            raise text
        return text


def groups(
    session: Session, message_ids: list[int], rows: dict[int, Row], batch: Batch, size: int
) -> list[list[int]]:
    """The job's positions in turns: reminders of one text to different numbers together (up to `size`,
    in the order of their first position), anything else alone. An emergency, a last attempt or a row
    that will not be sent as it is goes alone, so that the gateway chain's rules for it hold and a group
    is only ever one request."""
    turns: list[list[int]] = []
    open_groups: dict[str, list[int]] = {}
    for position, message_id in enumerate(message_ids):
        row = rows.get(message_id)
        text = _group_text(session, row, batch) if size > 1 else None
        group = open_groups.get(text) if text is not None else None
        if text is None or group is None or _has_recipient(group, row, message_ids, rows):
            group = [position]
            turns.append(group)
            if text is not None:
                open_groups[text] = group
        else:
            group.append(position)
        if text is not None and len(group) >= size:
            del open_groups[text]
    return turns


def _group_text(session: Session, row: Row | None, batch: Batch) -> str | None:
    """The text a row would be sent with, if it may share a request; None if it goes alone."""
    if row is None or row.status != MessageStatus.QUEUED or row.channel == Channel.VOICE:
        return None
    if row.priority == Priority.EMERGENCY or row.attempts + 1 >= batch.settings.max_send_attempts:
        return None
    try:
        return batch.text(session, row)
    except TemplateError:
        return None


def _has_recipient(group: list[int], row: Row | None, message_ids: list[int], rows: dict[int, Row]) -> bool:
    """Whether `group` already sends to the row's number (a shared phone): one request, one SMS per number."""
    recipient = row.recipient if row is not None else None
    return any(rows[message_ids[position]].recipient == recipient for position in group)


# A row and its patient in one query, as plain columns: the sending policy needs nothing else.
ROW_WITH_PATIENT = select(
    OutboundMessage.id,
    OutboundMessage.status,
    OutboundMessage.channel,
    OutboundMessage.kind,
    OutboundMessage.language,
    OutboundMessage.params,
    OutboundMessage.recipient,
    OutboundMessage.attempts,
    OutboundMessage.priority,
    OutboundMessage.expires_at,
    OutboundMessage.ignore_quiet_hours,
    OutboundMessage.patient_id,
    Patient.opted_out,
    Patient.sms_consent,
    Patient.quiet_hours,
).outerjoin(Patient, Patient.id == OutboundMessage.patient_id)


def deliver(
    database: Database, gateway: gw.Gateway, settings: Settings, message_id: int, now: datetime | None = None
) -> str:
    """Send row `message_id` if it is still `queued`; return its new status, `held` or `skipped`."""
    return deliver_batch(database, gateway, settings, [message_id], now)[0]


def deliver_batch(
    database: Database,
    gateway: gw.Gateway,
    settings: Settings,
    message_ids: list[int],
    now: datetime | None = None,
) -> list[str]:
    """Send each row of `message_ids` still `queued`; return their outcomes in the same order.

    SENDS_IN_FLIGHT lanes share the job's turns, taking the next one in order as each finishes, so that
    the gateway's answer to one send and the database's work for another overlap. A turn is one row, or
    reminders of one text to different numbers (`groups`), sent in one request where the gateway can.
    Each lane is one database connection: a turn's rows are claimed `sending` in a committed transaction
    right before its request, so the window of doubt stays one request wide per lane. The answers are
    recorded in the same transaction as the lane's claim of its next turn (one commit per turn, not
    two); if that transaction fails, the answered rows stay `sending` and become `unknown`, never resent.
    """
    batch = Batch(settings)
    with database.session() as session:
        query = ROW_WITH_PATIENT.where(OutboundMessage.id.in_(message_ids))
        rows = {row.id: row for row in session.execute(query)}
        size = settings.sms_group_size if gw.groups(gateway) else 1
        planned = groups(session, message_ids, rows, batch, size)
    turns = Turns(planned)
    outcomes: list[str] = [SKIPPED] * len(message_ids)

    def lane() -> None:
        answered: list[Answered] = []
        with lane_session(database) as session:
            while True:
                turn = turns.take()
                with session.begin():
                    for sent in answered:
                        outcomes[sent.position] = record(
                            session, sent.claimed, sent.result, settings, now or utcnow(), batch
                        )
                    answered = []
                    if turn is None:
                        return
                    claims = []
                    for position in turn:
                        row = rows.get(message_ids[position])
                        claimed = claim(session, row, settings, now or utcnow(), batch)
                        if isinstance(claimed, str):
                            outcomes[position] = claimed
                        else:
                            outcomes[position] = MessageStatus.SENDING
                            claims.append((position, claimed))
                results = gw.send_all(gateway, [claimed.outgoing(settings) for _position, claimed in claims])
                for (position, claimed), result in zip(claims, results, strict=True):
                    count_send("sms", result.gateway, result.outcome.value)
                    answered.append(Answered(position, claimed, result))

    in_lanes(min(settings.sends_in_flight, len(planned)), lane)
    return outcomes


def claim(
    session: Session, row: Row | None, settings: Settings, now: datetime, batch: Batch
) -> Claimed | str:
    """Apply the sending policy to a row read `queued`, then claim it (`sending`) unless the policy ended
    it. Every change is conditional on the row still being `queued`: one cancelled or taken meanwhile is
    skipped."""
    if row is None or row.status != MessageStatus.QUEUED:
        return SKIPPED
    if row.channel == Channel.VOICE:
        return VOICE_ROW
    if row.expires_at is not None and row.expires_at <= now:
        return _end(
            session, row.id, MessageStatus.DROPPED, now, details.EXPIRED.text(when=row.expires_at.isoformat())
        )
    has_patient = row.patient_id is not None
    if has_patient and row.kind != OPTOUT_KIND and (row.opted_out or not row.sms_consent):
        reason = (details.OPTED_OUT if row.opted_out else details.NO_CONSENT).text()
        return _end(session, row.id, MessageStatus.CANCELLED, now, reason)
    if not row.ignore_quiet_hours:
        window = patient_window(row.quiet_hours if has_patient else None, settings.quiet_hours)
        opens = quiet_until(now, window, settings.tz)
        if opens is not None:
            moved = move(
                session,
                row.id,
                (MessageStatus.QUEUED,),
                MessageStatus.SCHEDULED,
                now,
                details.QUIET_HOURS.text(when=opens.isoformat()),
                due_at=opens,
                claimed_at=None,
            )
            return MessageStatus.HELD if moved else SKIPPED
    try:
        text = batch.text(session, row)
    except TemplateError as error:
        return _end(session, row.id, MessageStatus.FAILED, now, details.CANNOT_RENDER.text(why=error))
    revealing = indiscreet(text, settings)
    if revealing:
        return _hold(session, row.id, row.kind, revealing, now)
    if not move(
        session,
        row.id,
        (MessageStatus.QUEUED,),
        MessageStatus.SENDING,
        now,
        details.ATTEMPT.text(n=row.attempts + 1),
        sending_at=now,
    ):
        return SKIPPED
    return Claimed(
        id=row.id,
        recipient=row.recipient,
        encoded=for_sms(text, settings.gsm7_conversion),
        attempt=row.attempts + 1,
        sending_at=now,
        expires_at=row.expires_at,
        urgent=row.priority == Priority.EMERGENCY,
    )


def record(
    session: Session, claimed: Claimed, result: gw.SendResult, settings: Settings, now: datetime, batch: Batch
) -> str:
    """Record the gateway's answer on the row this worker claimed; return the row's new status.

    An accepted message closes the open no-credit and configuration alerts; within one job that takes
    one UPDATE, until an answer of this job opens such an alert again.
    """
    sent = {
        "text": claimed.encoded.text,
        "encoding": claimed.encoded.encoding,
        "segments": claimed.encoded.segments,
        "gateway": result.gateway,
    }
    if result.outcome == gw.Outcome.ACCEPTED:
        if batch.alerts_may_be_open:
            system_alerts.resolve_alerts(session, system_alerts.CLEARED_BY_SUCCESS, now)
            batch.alerts_may_be_open = False
        values = dict(sent, attempts=claimed.attempt, sent_at=now, gateway_message_id=result.message_id)
        return _finish(
            session,
            claimed,
            MessageStatus.SENT,
            now,
            details.ACCEPTED.text(id=result.message_id),
            cost=result.cost,
            **values,
        )
    if result.outcome == gw.Outcome.PERMANENT:
        return _finish(
            session, claimed, MessageStatus.FAILED, now, result.reason, attempts=claimed.attempt, **sent
        )
    if result.outcome == gw.Outcome.UNKNOWN:
        system_alerts.raise_alert(
            session,
            AlertKind.UNKNOWN_SENDS,
            "Some SMS may or may not have been sent (no clear answer from the gateway); "
            "they are marked 'unknown' and will not be resent automatically.",
        )
        return _finish(
            session, claimed, MessageStatus.UNKNOWN, now, result.reason, attempts=claimed.attempt, **sent
        )
    if result.outcome == gw.Outcome.TRANSIENT:
        if claimed.attempt >= settings.max_send_attempts:
            reason = details.GAVE_UP.text(n=claimed.attempt, why=result.reason)
            return _finish(
                session, claimed, MessageStatus.FAILED, now, reason, attempts=claimed.attempt, **sent
            )
        due = now + backoff(claimed.attempt)
        return _finish(
            session,
            claimed,
            MessageStatus.SCHEDULED,
            now,
            result.reason,
            attempts=claimed.attempt,
            due_at=due,
            claimed_at=None,
        )
    kind, message = _alert_for(result)
    system_alerts.raise_alert(session, kind, message)
    batch.alerts_may_be_open = True
    # Nothing was sent: the row waits without spending an attempt, bounded by HOLD_LIMIT.
    expires = claimed.expires_at or now + HOLD_LIMIT
    return _finish(
        session,
        claimed,
        MessageStatus.SCHEDULED,
        now,
        result.reason,
        due_at=now + HOLD,
        expires_at=expires,
        claimed_at=None,
    )


# A gateway answer that holds rows back, and the alert it raises for coordinators (SMS and calls alike).
HOLDING_ALERTS = {
    gw.Outcome.INSUFFICIENT_BALANCE: AlertKind.INSUFFICIENT_BALANCE,
    gw.Outcome.CONFIG_ERROR: AlertKind.GATEWAY_CONFIG,
}


def _alert_for(result: gw.SendResult) -> tuple[AlertKind, str]:
    if result.outcome == gw.Outcome.INSUFFICIENT_BALANCE:
        message = f"The SMS account has no credit left ({result.reason}): messages are waiting. Top it up."
    else:
        message = f"The SMS gateway refuses to send ({result.reason}); messages are waiting."
    return HOLDING_ALERTS[result.outcome], message


def _finish(session: Session, claimed: Claimed, to: str, now: datetime, detail: str | None, **values) -> str:
    """Move the row this worker claimed; a row the sweeper meanwhile marked `unknown` gets the truth."""
    if not move(
        session,
        claimed.id,
        (MessageStatus.SENDING, MessageStatus.UNKNOWN),
        to,
        now,
        detail,
        sending_since=claimed.sending_at,
        last_error=_error(to, detail),
        **values,
    ):
        log.warning("SMS #%s changed hands while sending; the gateway's answer was %s", claimed.id, to)
        return SKIPPED
    return to


def _hold(session: Session, message_id: int, kind: str, words: list[str], now: datetime) -> str:
    """Keep a text that would name a condition or a medicine (a value filled into its template did) from
    leaving, and tell the coordinators, whatever its kind: discretion comes before delivery."""
    held = _end(session, message_id, MessageStatus.HELD, now, details.HELD.text(words=", ".join(words)))
    if held == MessageStatus.HELD:
        system_alerts.raise_alert(
            session,
            AlertKind.HELD_SMS,
            f"A {kind} SMS was held: its text would say {', '.join(words)}. Give the place a neutral SMS "
            "name (places import, column sms_name) or change the template; the held SMS are listed under "
            "Messages, status held.",
        )
    return held


def _end(session: Session, message_id: int, to: str, now: datetime, reason: str) -> str:
    """End a queued row without sending it."""
    return (
        to
        if move(session, message_id, (MessageStatus.QUEUED,), to, now, reason, last_error=reason)
        else SKIPPED
    )


def _error(status: str, detail: str | None) -> str | None:
    return None if status == MessageStatus.SENT else detail
