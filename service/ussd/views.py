"""`POST /at/ussd`: Africa's Talking's USSD callback. Parses the form, answers `CON ...` or `END ...`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, request

from service.config import get_settings
from service.db import get_db
from service.metrics import USSD_REQUESTS, USSD_SECONDS
from service.phones import InvalidPhone, normalize_phone
from service.redis_conn import get_redis
from service.timeutil import utcnow
from service.ussd.handler import UssdRequest, failure_reply, handle_ussd
from service.webhook_auth import require_callback_token

log = logging.getLogger(__name__)
bp = Blueprint("ussd", __name__)

REQUIRED_FIELDS = ("sessionId", "serviceCode", "phoneNumber", "text")  # networkCode is not used
MAX_SESSION_ID = 64


@bp.post("/at/ussd")
@require_callback_token
def ussd_callback() -> Response:
    with USSD_SECONDS.time():
        response, outcome = _answer(request.form)
    USSD_REQUESTS.labels(outcome).inc()
    return response


def _answer(form: Any) -> tuple[Response, str]:
    """The answer to a USSD request, and its outcome for the metrics: `con`, `end`, `refused` (a 4xx) or
    `failed` (an error answered with the failure screen)."""
    missing = [name for name in REQUIRED_FIELDS if name not in form]
    if missing:
        return _plain(f"missing form fields: {', '.join(missing)}", 400), "refused"
    session_id = form["sessionId"].strip()
    if not session_id or len(session_id) > MAX_SESSION_ID:
        return _plain(f"sessionId must have 1 to {MAX_SESSION_ID} characters", 400), "refused"
    try:
        phone = normalize_phone(form["phoneNumber"])
    except InvalidPhone as error:
        return _plain(f"phoneNumber: {error}", 400), "refused"
    try:
        reply = handle_ussd(
            UssdRequest(session_id, phone, form["text"]),
            db=get_db(),
            client=get_redis(),
            settings=get_settings(),
            menus=current_app.extensions["jigi.ussd.menus"],
            now=utcnow(),
        )
    except Exception:
        # The phone must get a screen, never a broken session.
        log.exception("USSD request failed (session %s)", session_id)
        return _plain(failure_reply().wire(), 200), "failed"
    wire = reply.wire()
    return _plain(wire, 200), "con" if wire.startswith("CON") else "end"


def _plain(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")
