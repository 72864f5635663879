"""The console gateway, for development and training (`make run`): prints and logs each SMS instead of
sending it."""

from __future__ import annotations

import logging
import uuid

from service.config import Settings
from service.gateways.port import Outcome, Outgoing, OutgoingCall, SendResult
from service.i18n import _

log = logging.getLogger(__name__)
NAME = "console"
LABEL = _("Console (essai)")  # as the console names it
REQUIRED: tuple[str, ...] = ()
VOICE_REQUIRED: tuple[str, ...] = ()


class ConsoleGateway:
    """Accepts every message and shows it on standard output."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Outgoing) -> SendResult:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        print(f"SMS to {message.recipient} [{message_id}]: {message.text}", flush=True)
        log.info("console SMS %s to %s (%d characters)", message_id, message.recipient, len(message.text))
        return SendResult(Outcome.ACCEPTED, message_id=message_id)


class ConsoleVoice:
    """Accepts every call and shows it on standard output (`make run`: nobody's phone rings)."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def call(self, call: OutgoingCall) -> SendResult:
        session_id = f"console-call-{uuid.uuid4().hex[:12]}"
        print(f"CALL to {call.recipient} [{session_id}]", flush=True)
        log.info("console call %s to %s", session_id, call.recipient)
        return SendResult(Outcome.ACCEPTED, message_id=session_id)
