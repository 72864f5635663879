"""RQ job functions. They run inside the worker's app context and take row ids, never objects."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, cast

from flask import current_app

from service.config import get_settings
from service.db import get_db
from service.gateways.registry import get_gateway, get_voice_gateway
from service.sms.calls import place_calls
from service.sms.sender import VOICE_ROW, deliver_batch

log = logging.getLogger(__name__)


def send_job(*message_ids: int) -> dict[str, int]:
    """Send each outbound row of `message_ids` that is still queued (idempotent), SMS in one batch, then
    the calls; count the outcomes."""
    app = cast(Any, current_app)._get_current_object()
    database, gateway, settings = get_db(app), get_gateway(app), get_settings(app)
    outcomes = deliver_batch(database, gateway, settings, list(message_ids))
    calls = [
        message_id for message_id, outcome in zip(message_ids, outcomes, strict=True) if outcome == VOICE_ROW
    ]
    if calls:
        voice = get_voice_gateway(app)
        outcomes = [outcome for outcome in outcomes if outcome != VOICE_ROW]
        outcomes += place_calls(database, voice, settings, calls)
    counts = dict(Counter(outcomes))
    log.info("send job: %s", ", ".join(f"{outcome} {count}" for outcome, count in counts.items()))
    return counts
