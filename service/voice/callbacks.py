"""What every voice gateway's callback does, whatever its dialect (Africa's Talking's XML, TwiML): find the
call's row, answer one step of the call with the flow's instructions, and end the row when the call ends.

Each gateway's module reads its own form fields, calls these, and writes the instructions in its own XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.models import Channel, OutboundMessage
from service.voice import flow
from service.voice.calls import CallEnd, call_back, end_call, reminder_for

KEYS = frozenset("0123456789*#")
MAX_SESSION_ID = 64


@dataclass(frozen=True)
class CallStep:
    """One step of a call, as a gateway posted it. `reference` is Jigi's `jigi-<row id>` (given when the
    call was placed, or in the step's address), `session_id` the gateway's own id of the call."""

    reference: str
    session_id: str
    inbound: bool
    caller: str
    step: str = flow.Step.START
    digits: str = ""


def find_call(session: Session, reference: str, session_id: str) -> OutboundMessage | None:
    """The call row a step is about: by Jigi's own reference, else by the gateway's session id."""
    if reference.startswith("jigi-") and reference[5:].isdigit() and len(reference) <= 15:
        row = session.get(OutboundMessage, int(reference[5:]))
        if row is not None and row.channel == Channel.VOICE:
            return row
    query = select(OutboundMessage).where(
        OutboundMessage.gateway_message_id == session_id, OutboundMessage.channel == Channel.VOICE
    )
    return session.scalar(query.limit(1))


def answer_step(
    session: Session, settings: Settings, step: CallStep, now: datetime
) -> tuple[OutboundMessage | None, list[flow.Instruction]]:
    """The call's row and what to play next. A patient calling Jigi's number hears their next reminder;
    a call Jigi does not know, the neutral greeting."""
    row = find_call(session, step.reference, step.session_id)
    if row is None and step.inbound:
        row = reminder_for(session, step.caller[:20])
    digits = step.digits.strip()
    key = digits[:1] if digits[:1] in KEYS else ""
    return row, flow.answer(session, settings, row, step.step, key, now)


def call_ended(
    session: Session,
    settings: Settings,
    step: CallStep,
    end: CallEnd,
    now: datetime,
    *,
    duration: int | None,
    cost: str | None = None,
    currency: str | None = None,
    cause: str | None = None,
) -> None:
    """The gateway's last word on a call. A patient who rang and hung up before anyone answered (a
    "missed call", the usual way to ask for a call in Mali) is called back."""
    row = find_call(session, step.reference, step.session_id)
    if row is None and step.inbound:
        if not duration:
            call_back(session, step.caller[:20], now)
        return
    if row is not None:
        end_call(
            session, settings, row, end, now, duration=duration, cost=cost, currency=currency, cause=cause
        )


def seconds_of(raw: str | None) -> int | None:
    """A call's duration as a gateway writes it; None when it is not a sensible whole number of seconds."""
    try:
        value = int(float(raw or ""))
    except (ValueError, OverflowError):
        return None
    return value if 0 <= value <= 24 * 3600 else None
