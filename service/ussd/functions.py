"""The sources, validators, actions and contexts that the menus in `menus/` name.

Each is a plain function of the request's Ctx, registered under the name a menu uses.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import select, update

from service.consults.booking import record_outcome
from service.consults.people import ConsultError
from service.i18n import LANGUAGES, _, format_local
from service.models import (
    CATEGORIES,
    FOLLOWUP_OUTCOMES,
    RED_FLAGS,
    Consultation,
    ConsultStatus,
    Place,
    Referral,
    Urgency,
    Volunteer,
)
from service.phones import InvalidPhone, normalize_phone
from service.places import children
from service.referrals.intake import (
    CaseReport,
    create_referral,
    create_visit_request,
    record_followup,
    volunteer_referral,
    week_start_for,
)
from service.timeutil import at_local
from service.ussd import labels
from service.ussd.registry import Ctx, InvalidInput, registered

RECENT_REFERRALS = 30
DAY_PATTERN = "dd/MM"
VILLAGES_TTL_SECONDS = 60.0  # places change rarely: a village added or renamed shows within a minute

Villages = list[tuple[str, str]]
# Per database engine (an app has its own, so tests never see another's places), then per health area.
# The clock of the villages' cache (a test moves it on without touching the process's time.monotonic).
clock = time.monotonic
_villages_cache: WeakKeyDictionary[Any, dict[int | None, tuple[float, Villages]]] = WeakKeyDictionary()


# Sources: (key, label) pairs, keys are stored in the answers.


@registered("source", "villages")
def villages(ctx: Ctx) -> list[tuple[str, str]]:
    """The villages of the volunteer's health area, by name; kept a minute, every report shows them."""
    cache = _villages_cache.setdefault(ctx.sessions.database.engine, {})
    area_id, now = ctx.volunteer.area_id, clock()
    kept = cache.get(area_id)
    if kept is not None and now - kept[0] < VILLAGES_TTL_SECONDS:
        return kept[1]
    villages = children(ctx.session, area_id, "village") if area_id is not None else []
    found = [(str(place.id), place.name) for place in villages]
    cache[area_id] = (now, found)
    return found


@registered("source", "categories")
def categories(ctx: Ctx) -> list[tuple[str, str]]:
    return [(key, ctx.t(labels.CATEGORY[key])) for key in CATEGORIES]


@registered("source", "red_flags")
def red_flags(ctx: Ctx) -> list[tuple[str, str]]:
    keys = (*RED_FLAGS, labels.NO_RED_FLAG)
    return [(key, ctx.t(labels.RED_FLAG_OPTION[key])) for key in keys]


@registered("source", "outcomes")
def outcomes(ctx: Ctx) -> list[tuple[str, str]]:
    return [(key, ctx.t(labels.OUTCOME[key])) for key in FOLLOWUP_OUTCOMES]


@registered("source", "my_referrals")
def my_referrals(ctx: Ctx) -> list[tuple[str, str]]:
    """The volunteer's most recent referrals: reference, day reported, status."""
    query = (
        select(Referral.id, Referral.reference, Referral.created_at, Referral.status)
        .where(Referral.volunteer_id == ctx.volunteer.id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(RECENT_REFERRALS)
    )
    return [
        (str(id_), f"{reference} {_day(ctx, created_at)} {ctx.t(labels.STATUS[status])}")
        for id_, reference, created_at, status in ctx.session.execute(query)
    ]


# Validators: the value to store, or InvalidInput with the error line.


def _whole_number(raw: str, low: int, high: int, message: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))) or not low <= int(raw) <= high:
        raise InvalidInput(message)
    return int(raw)


@registered("validator", "age")
def age(ctx: Ctx, raw: str) -> int:
    return _whole_number(raw, 0, 120, _("Enter an age from 0 to 120."))


@registered("validator", "people_waiting")
def people_waiting(ctx: Ctx, raw: str) -> int:
    return _whole_number(raw, 1, 500, _("Enter a number from 1 to 500."))


@registered("validator", "phone")
def phone(ctx: Ctx, raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        raise InvalidInput(_("Invalid number. Example: 76123456")) from None


# Actions: they write, and return values for the screens that follow.


def case_report(answers: dict[str, Any]) -> CaseReport:
    """The answers of the report flow; answers left from a branch not taken are ignored."""
    consent = answers["consent"] == "yes"
    phone_type = answers.get("phone_type") if consent else None
    has_phone = phone_type in ("own", "shared")
    red_flag = answers["red_flag"]
    return CaseReport(
        category=answers["category"],
        sex=answers["sex"],
        age=int(answers["age"]),
        place_id=int(answers["village"]),
        red_flag=None if red_flag == labels.NO_RED_FLAG else red_flag,
        consent=consent,
        contact_phone=answers.get("contact_phone") if has_phone else None,
        phone_shared=(phone_type == "shared") if has_phone else None,
    )


@registered("action", "create_referral")
def create_referral_action(ctx: Ctx) -> dict[str, Any]:
    report = case_report(ctx.answers)
    referral = create_referral(ctx.session, ctx.settings, ctx.volunteer, report, ctx.session_id, ctx.now)
    exercise = referral.training and referral.urgency == Urgency.EMERGENCY
    return {"reference": referral.reference, "outcome": "exercise" if exercise else referral.urgency}


@registered("action", "create_visit_request")
def create_visit_request_action(ctx: Ctx) -> dict[str, Any]:
    visit = create_visit_request(
        ctx.session,
        ctx.settings,
        ctx.volunteer,
        int(ctx.answers["village"]),
        int(ctx.answers["people"]),
        ctx.answers["week"],
        ctx.session_id,
        ctx.now,
    )
    return {"reference": visit.reference}


@registered("action", "record_followup")
def record_followup_action(ctx: Ctx) -> dict[str, Any]:
    referral_id = int(ctx.answers["referral"])
    record_followup(ctx.session, ctx.volunteer, referral_id, ctx.answers["outcome"], ctx.session_id, ctx.now)
    return {"reference": volunteer_referral(ctx.session, ctx.volunteer, referral_id).reference}


@registered("action", "set_language")
def set_language(ctx: Ctx) -> dict[str, Any]:
    """Remember the volunteer's language; the session continues in it."""
    language = ctx.answers["language"]
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    ctx.session.execute(update(Volunteer).where(Volunteer.id == ctx.volunteer.id).values(language=language))
    ctx.volunteer.language = ctx.language = language
    return {}


# Contexts: parameters of a screen's text.


@registered("context", "referral_summary")
def referral_summary(ctx: Ctx) -> dict[str, Any]:
    report = case_report(ctx.answers)
    if not report.consent:
        contact = ctx.t(_("No consent: no contact kept."))
    elif report.contact_phone is None:
        contact = ctx.t(_("No phone."))
    elif report.phone_shared:
        contact = ctx.t(_("Shared phone %(phone)s"), phone=report.contact_phone)
    else:
        contact = ctx.t(_("Own phone %(phone)s"), phone=report.contact_phone)
    return {
        "category": ctx.t(labels.CATEGORY[report.category]),
        "sex": ctx.t(labels.SEX[report.sex]),
        "age": report.age,
        "village": _place_name(ctx, report.place_id),
        "danger": ctx.t(labels.RED_FLAG_SHORT[report.red_flag or labels.NO_RED_FLAG]),
        "contact": contact,
    }


@registered("context", "visit_summary")
def visit_summary(ctx: Ctx) -> dict[str, Any]:
    week = ctx.answers["week"]
    monday = week_start_for(week, ctx.now, ctx.settings.tz)
    return {
        "village": _place_name(ctx, int(ctx.answers["village"])),
        "week": ctx.t(labels.WEEK[week]),
        "monday": f"{monday.day:02d}/{monday.month:02d}",
    }


@registered("context", "referral_detail")
def referral_detail(ctx: Ctx) -> dict[str, Any]:
    referral = volunteer_referral(ctx.session, ctx.volunteer, int(ctx.answers["referral"]))
    return {
        "reference": referral.reference,
        "date": _day(ctx, referral.created_at),
        "status": ctx.t(labels.STATUS[referral.status]),
    }


def _place_name(ctx: Ctx, place_id: int) -> str:
    """The name of a village, from the area's list when it is there."""
    name = dict(villages(ctx)).get(str(place_id))
    if name is not None:
        return name
    place = ctx.session.get(Place, place_id)
    return place.name if place else "?"


def _day(ctx: Ctx, moment: datetime) -> str:
    return format_local(moment, DAY_PATTERN, ctx.language, ctx.settings.tz)


# The CSCom health workers' menu (menus/health_worker.toml): `ctx.volunteer` is the health worker.


def _todays(ctx: Ctx) -> list[Consultation]:
    tz = ctx.settings.tz
    day = ctx.now.astimezone(tz).date()
    query = (
        select(Consultation)
        .where(
            Consultation.health_worker_id == ctx.volunteer.id,
            Consultation.status.in_((ConsultStatus.BOOKED, ConsultStatus.CONFIRMED)),
            Consultation.starts_at >= at_local(day, dt_time(0), tz),
            Consultation.starts_at < at_local(day + timedelta(days=1), dt_time(0), tz),
        )
        .order_by(Consultation.starts_at)
    )
    return list(ctx.session.scalars(query))


@registered("source", "todays_consults")
def todays_consults(ctx: Ctx) -> list[tuple[str, str]]:
    """The health worker's open consultations of today: time, code, patient code."""
    tz = ctx.settings.tz
    return [
        (str(item.id), f"{item.starts_at.astimezone(tz):%H:%M} {item.reference} {item.patient.reference}")
        for item in _todays(ctx)
    ]


def _consult(ctx: Ctx) -> Consultation:
    consult = ctx.session.get(Consultation, int(ctx.answers["consult"]))
    if consult is None or consult.health_worker_id != ctx.volunteer.id:
        raise ValueError("not this health worker's consultation")
    return consult


@registered("context", "consult_detail")
def consult_detail(ctx: Ctx) -> dict[str, Any]:
    consult = _consult(ctx)
    when = consult.starts_at.astimezone(ctx.settings.tz)
    return {"reference": consult.reference, "time": f"{when:%H:%M}", "patient": consult.patient.reference}


@registered("action", "record_consult")
def record_consult_action(ctx: Ctx) -> dict[str, Any]:
    """Seen or absent; a consultation whose time has not come is not recorded (`recorded: no`)."""
    consult = _consult(ctx)
    try:
        record_outcome(
            ctx.session,
            ctx.settings,
            consult,
            attended=ctx.answers["seen"] == "yes",
            by=f"ussd:{ctx.volunteer.phone}",
            now=ctx.now,
        )
    except ConsultError:
        return {"reference": consult.reference, "recorded": "no"}
    return {"reference": consult.reference, "recorded": "yes"}
