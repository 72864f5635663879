"""What a call plays, and what each key does, whatever the gateway.

The call is a row (`channel = voice`); the gateway asks at each step of the call what to do next, and the
answer is a short list of instructions that its own module writes in its provider's language (Africa's
Talking's XML). The step travels in the callback's address, so nothing about a call in progress is kept
anywhere but on its row:

- `start`: the person picked up: the kind's recording, its date and hour from recorded pieces
  (`service/voice/pieces.py`), and the keys prompt, waiting for one key;
- `keys`: 1 confirms (an appointment, as the SMS reply 1 does; an emergency alert: the on-call clinician
  takes it in charge, as `OK <ref>` does), 0 plays it again, 9 asks to press 9 again;
- `stop`: 9 again opts the phone out of every message, as an SMS STOP does;
- `silence`: no key after the message: played once more; after that, `goodbye`.

A remote consultation's bridge call plays its greeting (when recorded) and connects the specialist to the
CSCom's health worker (`Dial`).

Every key goes on the row (`digits`) and in its history. A call Jigi does not know gets a neutral greeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from service.care.appointments import confirm_appointment
from service.care.patients import opt_out
from service.config import Settings
from service.models import Appointment, Channel, EmergencyAlert, Kind, OutboundMessage
from service.outbox import details
from service.outbox.kinds import KINDS
from service.outbox.lifecycle import record_events
from service.referrals.alerts import acknowledge_alert
from service.voice.pieces import spoken_parts
from service.voice.recordings import recording_url, tokens_in

MAX_DIGITS = 64


class Step(StrEnum):
    START = "start"
    KEYS = "keys"
    STOP = "stop"
    SILENCE = "silence"
    GOODBYE = "goodbye"


@dataclass(frozen=True)
class Play:
    """Play one recording."""

    url: str


@dataclass(frozen=True)
class Gather:
    """Play these recordings while waiting for one key, which goes to `step`."""

    plays: tuple[Play, ...]
    step: Step


@dataclass(frozen=True)
class Dial:
    """Connect the call to `number` (a remote consultation: the specialist to the CSCom)."""

    number: str


@dataclass(frozen=True)
class Redirect:
    """Go on to `step` (after a Gather that got no key)."""

    step: Step


Instruction = Play | Gather | Dial | Redirect


def answer(
    session: Session,
    settings: Settings,
    row: OutboundMessage | None,
    step: str,
    key: str,
    now: datetime,
    *,
    effects: bool = True,
) -> list[Instruction]:
    """The instructions for one step of the call on `row` (None: a call Jigi does not know). Without
    `effects` (a demonstration call) nothing is kept: no key recorded, nothing confirmed or stopped."""
    language = (row.voice_language or row.language) if row is not None else "fr"
    tokens = tokens_in(session, language)

    def play(*names: str) -> tuple[Play, ...]:
        """All of these recordings, or none when one is missing."""
        if not all(name in tokens for name in names):
            return ()
        return tuple(Play(recording_url(settings, tokens[name])) for name in names)

    if row is None:
        return list(play("voice_greeting"))
    if row.kind == Kind.CONSULT_BRIDGE:
        return [*play(row.kind), Dial(str((row.params or {}).get("phone", "")))] if step == Step.START else []
    if key and effects:
        _record_key(session, row, key, now)
    parts = spoken_parts(row.kind, row.params or {}, settings.tz)
    message = play(row.kind) + sum((play(*part) for part in parts), ()) + play("voice_keys")
    if step == Step.KEYS and key == "1":
        if not effects:
            return list(play("voice_thanks"))
        if row.alert_id is not None:
            alert = session.get(EmergencyAlert, row.alert_id)
            if alert is not None:
                acknowledge_alert(session, alert.referral.reference, row.recipient, now)
        if row.appointment_id is not None:
            appointment = session.get(Appointment, row.appointment_id)
            if appointment is not None:
                confirm_appointment(session, appointment, now)
        return list(play("voice_thanks"))
    if step == Step.KEYS and key == "9":
        return [Gather(play("voice_stop_check"), Step.STOP), Redirect(Step.GOODBYE)]
    if step == Step.STOP and key == "9":
        if effects:
            opt_out(session, row.recipient, source="voice", now=now)
        return list(play("voice_stopped"))
    if step in (Step.START, Step.KEYS) or (step == Step.SILENCE and not key):
        after = Step.SILENCE if step != Step.SILENCE else Step.GOODBYE
        return [Gather(message, Step.KEYS), Redirect(after)]
    return list(play("voice_goodbye"))


def _record_key(session: Session, row: OutboundMessage, key: str, now: datetime) -> None:
    """Keep the key on the row (in order) and in its history."""
    row.digits = ((row.digits or "") + key)[-MAX_DIGITS:]
    record_events(session, [row.id], f"key:{key}", now, details.KEY.text(key=key))


def demo_row(kind: str, language: str) -> OutboundMessage:
    """A call of `kind` in `language` to a demo patient, with the kind's sample date and hour, for the
    trainers' phone: never stored, and played with `effects=False`."""
    return OutboundMessage(
        kind=kind,
        channel=Channel.VOICE,
        language="fr",
        voice_language=language,
        recipient="",
        params=dict(KINDS[kind].sample),
    )
