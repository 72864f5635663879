"""RQ job functions. They run inside the worker's app context and take row ids, never objects."""

from __future__ import annotations

from flask import current_app

from service import get_settings
from service.db import get_db
from service.sms.gateway import get_gateway
from service.sms.sender import deliver


def send_job(message_id: int) -> str:
    """Send outbound row `message_id` if it is still queued (idempotent)."""
    app = current_app._get_current_object()
    return deliver(get_db(app), get_gateway(app), get_settings(app), message_id)
