"""Gateway callbacks of the care area: incoming SMS (Africa's Talking, Orange) and AT's bulk opt-outs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from service.care.patients import opt_out
from service.care.replies import DuplicateInbound, InboundSms, gateway_time, receive_sms
from service.config import get_settings
from service.db import get_db
from service.phones import InvalidPhone
from service.timeutil import utcnow
from service.webhook_auth import require_callback_token

bp = Blueprint("care_sms", __name__)

REQUIRED = ("from", "to", "id", "text")
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
        sent_at=gateway_time(form.get("date"), utcnow()),
    )
    return receive(sms)


@bp.post("/gateways/orange/inbound")
@require_callback_token
def orange_inbound_sms() -> Response:
    """Orange's `inboundSMSMessageNotification`: the same reply handling as Africa's Talking's."""
    body: Any = request.get_json(silent=True)
    try:
        message = body["inboundSMSMessageNotification"]["inboundSMSMessage"]
        fields = {name: message[name] for name in ("messageId", "message", "senderAddress")}
    except (KeyError, TypeError):
        return _answer("not an inboundSMSMessageNotification with messageId, message, senderAddress", 400)
    if not all(isinstance(value, str) for value in fields.values()) or not fields["messageId"].strip():
        return _answer("messageId, message and senderAddress must be text", 400)
    message_id = f"orange:{fields['messageId'].strip()}"  # kept apart from Africa's Talking's ids
    sender = fields["senderAddress"].strip().removeprefix("tel:")
    if len(message_id) > LIMITS["id"] or len(sender) > LIMITS["from"]:
        return _answer("too long: messageId or senderAddress", 400)
    to = message.get("destinationAddress")
    sms = InboundSms(
        at_id=message_id,
        sender=sender,
        text=fields["message"],
        to=to.removeprefix("tel:")[:20] if isinstance(to, str) and to else None,
        sent_at=gateway_time(message.get("dateTime"), utcnow()),
    )
    return receive(sms)


def receive(sms: InboundSms) -> Response:
    """Store and act on an incoming SMS once; a retry of the same id answers 200 and does nothing."""
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
