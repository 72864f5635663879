"""Africa's Talking callbacks of the sending side: delivery reports."""

from __future__ import annotations

from flask import Blueprint, request

from service.db import get_db
from service.sms.delivery import MalformedReport, apply_report
from service.timeutil import utcnow
from service.webhook_auth import require_callback_token

bp = Blueprint("sms", __name__)


@bp.post("/at/sms/delivery")
@require_callback_token
def delivery_report() -> tuple[str, int, dict[str, str]]:
    """AT's form POST about one message: 200 for any well-formed report (even an unknown id), else 400."""
    form = request.form
    try:
        with get_db().session() as session:
            outcome = apply_report(
                session, form.get("id", ""), form.get("status", ""), form.get("failureReason"), utcnow()
            )
    except MalformedReport as error:
        return f"Bad delivery report: {error}\n", 400, {"Content-Type": "text/plain"}
    return f"OK {outcome}\n", 200, {"Content-Type": "text/plain"}
