"""The trainers' phone: a basic phone drawn in the console (keypad, 160-character screen) that dials the
real USSD service, for training volunteers in a room with a projector. It dials only as a trainee's phone
(Volunteer.training), so nothing it reports alerts a clinician or counts anywhere."""

from __future__ import annotations

import secrets

from flask import abort, current_app, jsonify, render_template
from sqlalchemy import select

from service.console.auth import requires
from service.console.blueprint import bp
from service.console.web import json_object, settings
from service.db import get_db
from service.models import Volunteer
from service.redis_conn import get_redis
from service.timeutil import utcnow
from service.ussd.handler import UssdRequest, handle_ussd
from service.ussd.views import MENU

MAX_TEXT = 200  # a USSD session's answers, joined by `*`


@bp.get("/phone")
@requires("coordinator")
def phone():
    with get_db().session() as session:
        trainees = session.scalars(
            select(Volunteer)
            .where(Volunteer.training.is_(True), Volunteer.active.is_(True))
            .order_by(Volunteer.name)
        ).all()
        return render_template("console/phone.html", trainees=trainees, session_id=secrets.token_hex(8))


@bp.post("/phone/dial")
@requires("coordinator")
def phone_dial():
    """One USSD step as Africa's Talking would send it, for a trainee's phone: `{reply, end}`."""
    body = json_object()
    number, session_id, text = body.get("phone"), body.get("session_id"), body.get("text", "")
    if not all(isinstance(value, str) for value in (number, session_id, text)) or len(text) > MAX_TEXT:
        abort(400)
    if not session_id or len(session_id) > 64:
        abort(400)
    with get_db().session() as session:
        trainee = session.scalar(
            select(Volunteer.id).where(
                Volunteer.phone == number, Volunteer.training.is_(True), Volunteer.active.is_(True)
            )
        )
    if trainee is None:
        abort(400, description="Only a trainee's phone can be dialled from the console.")
    reply = handle_ussd(
        UssdRequest(f"console-{session_id}", number, text),
        db=get_db(),
        client=get_redis(),
        settings=settings(),
        menu=current_app.extensions["jigi.ussd.menus"][MENU],
        now=utcnow(),
    )
    return jsonify(reply=reply.text, end=reply.end)
