"""Placing the calls of due voice rows: the sweeper claimed them `queued` like SMS, the job hands them here.

As for SMS, a job's rows and their patients are read in one query and its calls go through SENDS_IN_FLIGHT
lanes, each on one database connection. A row is checked (`service.voice.calls.check_call`), claimed
`sending` in a committed transaction, and the call placed. The gateway's answer is recorded as soon as it
comes, in the lane's next transaction, which also claims the lane's next row (one commit per call): a call
whose first callback comes before that finds its row by its reference all the same. If that transaction
fails, the answered row stays `sending` and becomes `unknown`. A call whose fate is unknown (a timeout
after the request left) is `unknown` and never placed again on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from service import system_alerts
from service.config import Settings
from service.db import Database
from service.gateways.port import Outcome, OutgoingCall, SendResult, VoiceGateway
from service.metrics import count_send
from service.models import Channel, MessageStatus, OutboundMessage
from service.outbox import details
from service.outbox.lifecycle import move
from service.sms.lanes import Turns, in_lanes, lane_session
from service.sms.sender import HOLD, HOLDING_ALERTS, backoff
from service.timeutil import utcnow
from service.voice.calls import CALL_ROW, SKIPPED, by_sms, check_call
from service.voice.recordings import recorded


@dataclass(frozen=True)
class ClaimedCall:
    """A call row this worker moved to `sending`, ready for the gateway."""

    id: int
    attempt: int
    call: OutgoingCall


def place_calls(
    database: Database,
    gateway: VoiceGateway,
    settings: Settings,
    message_ids: list[int],
    now: datetime | None = None,
) -> list[str]:
    """Place the call of each row of `message_ids` still `queued`; return the rows' new statuses (or
    `skipped`) in the same order."""
    with database.session() as session:
        rows = {row.id: row for row in session.execute(CALL_ROW.where(OutboundMessage.id.in_(message_ids)))}
        recordings = recorded(session)
    outcomes: list[str] = [SKIPPED] * len(message_ids)
    turns = Turns(range(len(message_ids)))

    def lane() -> None:
        answered: tuple[int, ClaimedCall, SendResult] | None = None
        with lane_session(database) as session:
            while True:
                position = turns.take()
                with session.begin():
                    if answered is not None:
                        answered_at, answered_call, result = answered
                        outcomes[answered_at] = _record(session, settings, answered_call, result)
                        answered = None
                    if position is None:
                        return
                    claimed = _claim(session, settings, rows.get(message_ids[position]), recordings, now)
                if isinstance(claimed, str):
                    outcomes[position] = claimed
                    continue
                result = gateway.call(claimed.call)
                count_send("voice", result.gateway, result.outcome.value)
                answered = (position, claimed, result)

    in_lanes(min(settings.sends_in_flight, len(message_ids)), lane)
    return outcomes


def place_call(
    database: Database,
    gateway: VoiceGateway,
    settings: Settings,
    message_id: int,
    now: datetime | None = None,
) -> str:
    """Place the call of row `message_id` if it is still `queued`; return the row's new status."""
    return place_calls(database, gateway, settings, [message_id], now)[0]


def _claim(
    session: Session,
    settings: Settings,
    row: Row | None,
    recordings: set[tuple[str, str]],
    now: datetime | None,
) -> ClaimedCall | str:
    """Check a row read `queued` and claim it `sending` unless the check ended or moved it."""
    if row is None or row.status != MessageStatus.QUEUED or row.channel != Channel.VOICE:
        return SKIPPED
    now = now or utcnow()
    ended = check_call(session, settings, row, recordings, now)
    if ended is not None:
        return ended
    attempt = row.attempts + 1
    queued = (MessageStatus.QUEUED,)
    text = details.ATTEMPT.text(n=attempt)
    if not move(session, row.id, queued, MessageStatus.SENDING, now, text, sending_at=now, attempts=attempt):
        return SKIPPED
    return ClaimedCall(
        row.id, attempt, OutgoingCall(f"jigi-{row.id}", row.recipient, urgent=row.ignore_quiet_hours)
    )


def _record(session: Session, settings: Settings, claimed: ClaimedCall, result: SendResult) -> str:
    """Record the gateway's answer to a claimed call; return the row's new status."""
    now, sending, reason = utcnow(), (MessageStatus.SENDING,), result.reason
    if result.outcome is Outcome.ACCEPTED:
        text = details.ACCEPTED.text(id=result.message_id)
        done = move(
            session, claimed.id, sending, MessageStatus.SENT, now, text,
            gateway_message_id=result.message_id, gateway=result.gateway, sent_at=now, last_error=None,
        )  # fmt: skip
        if not done:  # the call already ended (its last callback came first): keep its session id
            row = session.get(OutboundMessage, claimed.id)
            assert row is not None
            row.gateway_message_id, row.gateway = result.message_id, result.gateway
        return MessageStatus.SENT if done else SKIPPED
    values: dict[str, Any]
    if result.outcome is Outcome.UNKNOWN:
        to, values = MessageStatus.UNKNOWN, {"last_error": reason}
    elif result.outcome is Outcome.TRANSIENT and claimed.attempt < settings.max_send_attempts:
        to, values = MessageStatus.SCHEDULED, {"due_at": now + backoff(claimed.attempt)}
    elif result.outcome in HOLDING_ALERTS:
        message = f"The voice gateway refuses to call ({reason}); calls wait."
        system_alerts.raise_alert(session, HOLDING_ALERTS[result.outcome], message)
        to, values = MessageStatus.SCHEDULED, {"due_at": now + HOLD}
    else:
        to, values = MessageStatus.FAILED, {"last_error": reason}
    moved = move(session, claimed.id, sending, to, now, reason, gateway=result.gateway, **values)
    if moved and to == MessageStatus.FAILED:
        row = session.get(OutboundMessage, claimed.id)
        assert row is not None
        by_sms(session, row, now, details.GAVE_UP.text(n=claimed.attempt, why=reason))
    return to
