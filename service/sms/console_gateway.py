"""Development gateway: prints and logs each SMS instead of sending it."""

from __future__ import annotations

import logging
import uuid

from service.config import Settings
from service.sms.gateway import Outcome, Outgoing, SendResult

log = logging.getLogger(__name__)


class ConsoleGateway:
    """Accepts every message and shows it on standard output."""

    name = "console"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Outgoing) -> SendResult:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        print(f"SMS to {message.recipient} [{message_id}]: {message.text}", flush=True)
        log.info("console SMS %s to %s (%d characters)", message_id, message.recipient, len(message.text))
        return SendResult(Outcome.ACCEPTED, message_id=message_id)
