"""Africa's Talking callbacks of the care area: incoming SMS and bulk opt-out notifications."""

from __future__ import annotations

from flask import Blueprint, Response, request

from service import get_settings
from service.care.patients import opt_out
from service.care.replies import DuplicateInbound, InboundSms, receive_sms
from service.db import get_db
from service.phones import InvalidPhone
from service.timeutil import utcnow
from service.webhook_auth import require_callback_token

bp = Blueprint("care_sms", __name__)

REQUIRED = ("from", "id", "text")
LIMITS = {"id": 64, "from": 20}


def _answer(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.post("/at/sms/inbound")
@require_callback_token
def inbound_sms() -> Response:
    """Store and act on an incoming SMS once; a retry of the same AT id answers 200 and does nothing."""
    form = request.form
    missing = [name for name in REQUIRED if name not in form or (name != "text" and not form[name].strip())]
    if missing:
        return _answer(f"missing {', '.join(missing)}", 400)
    too_long = [name for name, limit in LIMITS.items() if len(form[name].strip()) > limit]
    if too_long:
        return _answer(f"too long: {', '.join(too_long)}", 400)
    sms = InboundSms(
        at_id=form["id"].strip(),
        sender=form["from"].strip(),
        text=form["text"],
        to=form.get("to", "").strip()[:20] or None,
        link_id=form.get("linkId", "").strip()[:64] or None,
    )
    try:
        with get_db().session() as session:
            receive_sms(session, get_settings(), sms, utcnow())
    except DuplicateInbound:
        return _answer("duplicate")
    return _answer("ok")


@bp.post("/at/sms/optout")
@require_callback_token
def bulk_optout() -> Response:
    """AT stopped sending to this number: opt its patients out, without a confirmation SMS AT would block."""
    phone = request.form.get("phoneNumber", "")
    try:
        with get_db().session() as session:
            opt_out(session, phone, source="africastalking", confirm=False)
    except InvalidPhone as error:
        return _answer(f"phoneNumber: {error}", 400)
    return _answer("ok")
