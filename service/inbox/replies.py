"""Receiving an incoming SMS: each is stored once (gateways retry until they get 200) and classified:
opt-out, an appointment confirmation, an on-call clinician's acknowledgement, or a message coordinators
read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.care.appointments import confirm_appointment, reminded_appointment
from service.care.patients import opt_out
from service.config import Settings
from service.consults.booking import confirm as confirm_consultation
from service.gsm7 import plain_letters
from service.inbox.optout_words import Intent, optout_intent
from service.models import InboundKind, InboundMessage
from service.phones import InvalidPhone, normalize_phone
from service.referrals.alerts import acknowledge_alert
from service.timeutil import plausible

CONFIRM_WORDS = ("1", "OUI", "AWO")  # AWÔ and AWƆ normalise to AWO
ACKNOWLEDGE = re.compile(r"OK ([A-Z0-9]+)")
AUTOMATIC = "jigi"
# What Jigi acts on by itself; the other replies wait in the coordinators' inbox.
HANDLED = (InboundKind.OPTOUT, InboundKind.ALERT_ACK, InboundKind.CONFIRM)


class DuplicateInbound(Exception):
    """This AT message id was already stored: the request is a retry."""


@dataclass(frozen=True)
class InboundSms:
    """An incoming SMS as a gateway's callback gives it; `at_id` is its gateway's id (de-duplication),
    `sent_at` the time the gateway says it arrived (None: the time Jigi received it)."""

    at_id: str
    sender: str
    text: str
    to: str | None = None
    link_id: str | None = None
    sent_at: datetime | None = None


# A gateway's time more than this far ahead of Jigi's clock is taken as wrong.
CLOCK_SKEW = timedelta(minutes=10)


def gateway_time(raw: object, now: datetime) -> datetime | None:
    """A gateway's timestamp (ISO 8601, with or without zone; none means UTC), or None when it is
    missing, unreadable, outside the years Jigi accepts or in the future (the arrival time is kept)."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if not plausible(moment):  # year 1 at +14:00 cannot even be shifted to UTC
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC) if moment <= now + CLOCK_SKEW else None


def normalize_reply(text: str) -> str:
    """Upper case without accents or Bambara letters; punctuation becomes space; spaces collapsed."""
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain_letters(text).upper()).split())


def receive_sms(session: Session, settings: Settings, sms: InboundSms, now: datetime) -> InboundMessage:
    """Store the message and act on it in the caller's transaction; raise DuplicateInbound for a retry.

    The row is written first, so a retry racing the original fails on the unique AT id before acting.
    """
    try:
        sender, valid = normalize_phone(sms.sender), True
    except InvalidPhone:
        sender, valid = sms.sender, False  # kept as received, for coordinators to read
    message = InboundMessage(
        at_id=sms.at_id,
        sender=sender,
        to=sms.to,
        text=sms.text,
        normalized=normalize_reply(sms.text),
        link_id=sms.link_id,
        kind=InboundKind.OTHER,
        handled=False,
        received_at=sms.sent_at or now,
    )
    session.add(message)
    try:
        session.flush()
    except IntegrityError:
        raise DuplicateInbound(sms.at_id) from None
    kind = _act(session, settings, message, now) if valid else InboundKind.OTHER
    message.kind = kind
    if kind in HANDLED:
        message.handled, message.handled_at, message.handled_by = True, now, AUTOMATIC
    session.flush()
    return message


def _act(session: Session, settings: Settings, message: InboundMessage, now: datetime) -> InboundKind:
    phone, text = message.sender, message.normalized
    intent = optout_intent(text, settings)
    if intent is Intent.OPTOUT:
        opt_out(session, phone, source="sms", now=now)
        return InboundKind.OPTOUT
    acknowledged = ACKNOWLEDGE.fullmatch(text)
    if acknowledged and acknowledge_alert(session, acknowledged.group(1), phone, now):
        return InboundKind.ALERT_ACK
    if acknowledged and confirm_consultation(session, acknowledged.group(1), phone, now):
        return InboundKind.CONSULT_CONFIRM
    if text in CONFIRM_WORDS:
        appointment = reminded_appointment(session, phone, now)
        if appointment is not None:
            confirm_appointment(session, appointment, now)
            return InboundKind.CONFIRM
    return InboundKind.POSSIBLE_OPTOUT if intent is Intent.POSSIBLE_OPTOUT else InboundKind.OTHER
