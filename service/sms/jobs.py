"""RQ job functions. They run inside the worker's app context and take row ids, never objects."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from flask import current_app

from service.config import get_settings
from service.db import get_db
from service.gateways import get_gateway
from service.sms.sender import deliver_batch


def send_job(*message_ids: int) -> dict[str, int]:
    """Send each outbound row of `message_ids` that is still queued (idempotent); count the outcomes."""
    app = cast(Any, current_app)._get_current_object()
    database, gateway, settings = get_db(app), get_gateway(app), get_settings(app)
    return dict(Counter(deliver_batch(database, gateway, settings, list(message_ids))))
