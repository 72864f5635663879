"""Placing the call of a due voice row: the sweeper claimed it `queued` like any SMS, the job hands it here.

The row is checked (`service.voice.calls.check_call`), claimed `sending` in its own committed transaction,
and the call placed. The gateway's answer is recorded at once: the call's first callback may arrive
within a second. A call whose fate is unknown (a timeout after the request left) is `unknown` and never
placed again on its own, as for SMS.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service import system_alerts
from service.config import Settings
from service.db import Database
from service.gateways.port import Outcome, OutgoingCall, SendResult, VoiceGateway
from service.metrics import count_send
from service.models import Channel, MessageStatus, OutboundMessage
from service.outbox import details
from service.outbox.lifecycle import move
from service.sms.sender import HOLD, HOLDING_ALERTS, backoff
from service.timeutil import utcnow
from service.voice.calls import SKIPPED, by_sms, check_call


def place_calls(
    database: Database, gateway: VoiceGateway, settings: Settings, message_ids: list[int]
) -> list[str]:
    """Place the call of each row of `message_ids`, up to SENDS_IN_FLIGHT at once (each claimed on its own
    right before its request, as one call alone); return the rows' new statuses in the same order."""
    lanes = min(settings.sends_in_flight, len(message_ids))
    if lanes <= 1:
        return [place_call(database, gateway, settings, message_id) for message_id in message_ids]
    with ThreadPoolExecutor(lanes, thread_name_prefix="call-lane") as pool:
        # Each call logs under the job's request id (service.logs), which threads do not inherit.
        running = [
            pool.submit(contextvars.copy_context().run, place_call, database, gateway, settings, message_id)
            for message_id in message_ids
        ]
        return [future.result() for future in running]


def place_call(
    database: Database,
    gateway: VoiceGateway,
    settings: Settings,
    message_id: int,
    now: datetime | None = None,
) -> str:
    """Place the call of row `message_id` if it is still `queued`; return the row's new status."""
    now = now or utcnow()
    with database.session() as session:
        row = session.get(OutboundMessage, message_id)
        if row is None or row.status != MessageStatus.QUEUED or row.channel != Channel.VOICE:
            return SKIPPED
        ended = check_call(session, settings, row, now)
        if ended is not None:
            return ended
        if not move(
            session,
            row.id,
            (MessageStatus.QUEUED,),
            MessageStatus.SENDING,
            now,
            details.ATTEMPT.text(n=row.attempts + 1),
            sending_at=now,
            attempts=row.attempts + 1,
        ):
            return SKIPPED
        call = OutgoingCall(f"jigi-{row.id}", row.recipient, urgent=row.ignore_quiet_hours)
        attempt = row.attempts + 1
    result = gateway.call(call)
    count_send("voice", result.gateway, result.outcome.value)
    with database.session() as session:
        return _record(session, settings, message_id, attempt, result, utcnow())


def _record(
    session: Session, settings: Settings, message_id: int, attempt: int, result: SendResult, now: datetime
) -> str:
    sending = (MessageStatus.SENDING,)
    values: dict[str, Any] = {"gateway": result.gateway}
    if result.outcome is Outcome.ACCEPTED:
        text = details.ACCEPTED.text(id=result.message_id)
        done = move(
            session, message_id, sending, MessageStatus.SENT, now, text,
            gateway_message_id=result.message_id, sent_at=now, last_error=None, **values,
        )  # fmt: skip
        if not done:  # the call already ended (its last callback came first): keep its session id
            row = session.get(OutboundMessage, message_id)
            assert row is not None
            row.gateway_message_id, row.gateway = result.message_id, result.gateway
        return MessageStatus.SENT if done else SKIPPED
    if result.outcome is Outcome.UNKNOWN:
        move(
            session,
            message_id,
            sending,
            MessageStatus.UNKNOWN,
            now,
            result.reason,
            last_error=result.reason,
            **values,
        )
        return MessageStatus.UNKNOWN
    if result.outcome is Outcome.TRANSIENT and attempt < settings.max_send_attempts:
        due = now + backoff(attempt)
        move(session, message_id, sending, MessageStatus.SCHEDULED, now, result.reason, due_at=due, **values)
        return MessageStatus.SCHEDULED
    if result.outcome in HOLDING_ALERTS:
        message = f"The voice gateway refuses to call ({result.reason}); calls wait."
        system_alerts.raise_alert(session, HOLDING_ALERTS[result.outcome], message)
        move(
            session,
            message_id,
            sending,
            MessageStatus.SCHEDULED,
            now,
            result.reason,
            due_at=now + HOLD,
            **values,
        )
        return MessageStatus.SCHEDULED
    move(
        session,
        message_id,
        sending,
        MessageStatus.FAILED,
        now,
        result.reason,
        last_error=result.reason,
        **values,
    )
    row = session.get(OutboundMessage, message_id)
    assert row is not None
    by_sms(session, row, now, details.GAVE_UP.text(n=attempt, why=result.reason))
    return MessageStatus.FAILED
