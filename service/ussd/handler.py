"""One USSD request from Africa's Talking: who calls, what they typed so far, which screen answers.

AT sends the whole `text` of the session each time (`1*3*0`). A repeat of a `text` already answered gets
the same screen from Redis and writes nothing; a new step applies only the last input to the state kept
for the step before; if Redis lost that state, the whole `text` is replayed (writes are once per session).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db import Database, OnDemandSession
from service.i18n import LANGUAGES, _, gettext
from service.models import HealthWorker, Volunteer
from service.people import Caller
from service.ussd.engine import Reply, advance, begin
from service.ussd.menu import Menu
from service.ussd.registry import Ctx
from service.ussd.screens import BUDGET, gsm, shorten
from service.ussd.store import UssdStore

SEPARATOR = "*"
NOT_REGISTERED = _("This number cannot use Jigi. Call %(hotline)s.")
FAILED = _("Sorry, a problem occurred. Please dial again later.")
TOO_LONG = _("This session is too long. Please dial again.")
# A real session is a few dozen short answers; a longer `text` is refused at once instead of replayed.
MAX_TEXT_LENGTH = 32_000
MAX_STEPS = 100
# Built once: a Core query of four columns costs a fraction of loading the ORM object on every request.
CALLER_QUERY = select(
    Volunteer.id, Volunteer.phone, Volunteer.language, Volunteer.area_id, Volunteer.training
).where(Volunteer.phone == bindparam("phone"), Volunteer.active.is_(True))
# A phone that is no volunteer's may be a CSCom health worker's: their own menu (today's consultations).
HEALTH_WORKER_QUERY = select(
    HealthWorker.id, HealthWorker.phone, HealthWorker.language, HealthWorker.area_id
).where(HealthWorker.phone == bindparam("phone"), HealthWorker.active.is_(True))
HEALTH_WORKER_MENU = "health_worker"


@dataclass(frozen=True)
class UssdRequest:
    session_id: str
    phone: str  # E.164
    text: str


def handle_ussd(
    request: UssdRequest,
    *,
    db: Database,
    client: redis.Redis,
    settings: Settings,
    menus: Mapping[str, Menu],
    now: datetime,
) -> Reply:
    """The screen answering `request` in the caller's menu, from the database and Redis only."""
    if len(request.text) > MAX_TEXT_LENGTH or request.text.count(SEPARATOR) >= MAX_STEPS:
        return bilingual(TOO_LONG)
    store = UssdStore(client)
    parent = request.text.rpartition(SEPARATOR)[0] if request.text else None
    repeated, before = store.lookup(request.phone, request.session_id, request.text, parent)
    if repeated is not None:
        return repeated.reply
    with OnDemandSession(db) as sessions:
        # The caller is read from the database on the first screen and kept with the session's state, so
        # the screens between answer from Redis alone: a step opens a session only if it needs one.
        caller = (before.caller if before else None) or load_caller(sessions.get(), request.phone)
        if caller is None:
            return bilingual(NOT_REGISTERED, hotline=settings.hotline)
        menu = menus[caller.menu]
        ctx = Ctx(sessions, settings, caller, request.session_id, caller.language, now, {})
        if before is not None:
            turn = advance(menu, before.state, request.text.rpartition(SEPARATOR)[2], ctx)
        else:
            turn = begin(menu, ctx, store.unfinished(request.phone, request.session_id))
            for raw in request.text.split(SEPARATOR) if request.text else []:
                turn = advance(menu, turn.state, raw, ctx)
    store.save(request.phone, request.session_id, request.text, turn, caller, menu.start)
    return turn.reply


def load_caller(session: Session, phone: str) -> Caller | None:
    """The active volunteer (else health worker) using `phone`, if any."""
    row = session.connection().execute(CALLER_QUERY, {"phone": phone}).first()
    if row is not None:
        return Caller(*row)
    worker = session.connection().execute(HEALTH_WORKER_QUERY, {"phone": phone}).first()
    return Caller(*worker, menu=HEALTH_WORKER_MENU) if worker is not None else None


def bilingual(message: str, **params: object) -> Reply:
    """An END screen in French and Bambara, for callers whose language is not known."""
    text = "\n".join(gsm(gettext(language, message, **params)) for language in LANGUAGES)
    return Reply(shorten(text, BUDGET), end=True)


def failure_reply() -> Reply:
    return bilingual(FAILED)
