"""The trainers' phone: a basic phone drawn in the console (keypad, 160-character screen) that dials the
real USSD service, for training volunteers in a room with a projector. It dials only as a trainee's phone
(Volunteer.training), so nothing it reports alerts a clinician or counts anywhere.

Beside it, a demonstration call: Jigi rings a demo patient on the page and the browser plays the call as
a patient hears it (the recordings of a message kind in a voice language, its date and hour, the keys),
through the same call flow as a real call, with nothing recorded and no one confirmed or stopped."""

from __future__ import annotations

import secrets
from dataclasses import replace

from flask import abort, current_app, jsonify, render_template
from sqlalchemy import select

from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.web import json_object, settings
from service.db import get_db
from service.models import Volunteer
from service.outbox.kinds import KINDS
from service.redis_conn import get_redis
from service.timeutil import utcnow
from service.ussd.handler import UssdRequest, handle_ussd
from service.voice import flow
from service.voice.callbacks import KEYS
from service.voice.recordings import find_recording

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
        return render_template(
            "console/phone.html",
            trainees=trainees,
            session_id=secrets.token_hex(8),
            kinds=[(name, labels.MESSAGE_KIND[name]) for name in KINDS],
            voice_languages=settings().voice_languages,
        )


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
        menus=current_app.extensions["jigi.ussd.menus"],
        now=utcnow(),
    )
    return jsonify(reply=reply.text, end=reply.end)


@bp.post("/phone/call")
@requires("coordinator")
def phone_call():
    """One step of the demonstration call: `{recorded, plays, gather, redirect}` (the recordings' addresses
    in order; the step a key goes to, the step after silence, each null when there is none)."""
    body = json_object()
    kind, language = body.get("kind"), body.get("language")
    step, key = body.get("step", flow.Step.START), body.get("key", "")
    current = settings()
    if kind not in KINDS or language not in current.voice_languages:
        abort(400, description="kind and language must be a message kind and a voice language.")
    if step not in tuple(flow.Step) or not isinstance(key, str) or (key and key not in KEYS):
        abort(400, description="step must be a step of the call and key one key.")
    row = flow.demo_row(kind, language)
    local = replace(current, public_url=None)  # the browser fetches the recordings from this console
    with get_db().session() as session:
        recorded = find_recording(session, kind, language) is not None
        instructions = flow.answer(session, local, row, step, key, utcnow(), effects=False)
    plays, gather, redirect = [], None, None
    for instruction in instructions:
        if isinstance(instruction, flow.Play):
            plays.append(instruction.url)
        elif isinstance(instruction, flow.Gather):
            plays.extend(play.url for play in instruction.plays)
            gather = str(instruction.step)
        else:
            redirect = str(instruction.step)
    return jsonify(recorded=recorded, plays=plays, gather=gather, redirect=redirect)
