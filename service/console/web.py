"""Helpers shared by the console's views: translation, local times, pagination, date filters."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from flask import abort, flash, g, request, session, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from wtforms import Form

from service.config import Settings, get_settings
from service.console import labels
from service.errors import DomainError
from service.i18n import BABEL_LOCALES, LANGUAGES, _, format_local, gettext, ngettext
from service.timeutil import local_days, plausible, utcnow

PER_PAGE = 25


def other_language_url() -> str:
    """This page in the other console language (its query kept: a login's `next`, a list's filters)."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    values["lang"] = "bm" if language() == "fr" else "fr"
    return url_for(request.endpoint or "console.dashboard", **values)


def settings() -> Settings:
    return get_settings()


def language() -> str:
    """The console's language for this browser session: French unless Bambara was chosen."""
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "fr"


def t(message: str, **params: Any) -> str:
    """`message` (French source text) in the console's language."""
    return gettext(language(), message, **params)


def tn(singular: str, plural: str, count: int, **params: Any) -> str:
    """The form of `singular`/`plural` (French source) for `count`, in the console's language;
    `%(n)s` is the count."""
    shown = format_decimal(count, locale=BABEL_LOCALES[language()])
    return ngettext(language(), singular, plural, count, **{"n": shown, **params})


def number(value: float | None, digits: int = 0) -> str:
    """`1 234,5` in French: a number in the console's language, or a dash when there is none."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES[language()])


def percent(value: float | None) -> str:
    """`12,5 %` in French, from a value already in percent."""
    if value is None:
        return "—"
    return format_percent(value / 100, format="#,##0.0 %", locale=BABEL_LOCALES[language()])


def json_object() -> dict[str, Any]:
    """The JSON object a console script posted; anything else (a list, a number, no JSON) is a 400."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data


def show_refusal(form: Form, error: DomainError, default: str) -> None:
    """Put a domain refusal next to the field it is about (`place_code` is the form's `place`), or next to
    `default`, in the console's language: the console's one mapping of DomainError."""
    name = error.field or default
    for candidate in (name, name.removesuffix("_code"), default):
        if candidate in form:
            form[candidate].errors.append(error.text(language()))
            return


def erasure_confirmed() -> bool:
    """Whether the erasure form's "I confirm" box was ticked; if not, the coordinator is told that
    nothing was erased (the box is also required in the browser)."""
    if request.form.get("confirm") == "yes":
        return True
    flash(t("Rien n'a été effacé : cochez « Je confirme » pour effacer."), "error")
    return False


def actor() -> str:
    """Who the audit log and referral history name for this request."""
    return g.user.email


def local(moment: datetime | None, pattern: str = "d MMM y HH:mm") -> str:
    """An aware datetime shown in the configured zone (Africa/Bamako by default)."""
    if moment is None:
        return ""
    return format_local(moment, pattern, language(), settings().tz)


def day_label(day: date, pattern: str = "d MMM") -> str:
    return format_date(day, pattern, locale=BABEL_LOCALES[language()])


# How long, in the largest unit that fits: Babel writes no direction words for Bambara ("-5 min"), so
# both languages take these texts from the console catalog.
DURATIONS = ((86400, _("%(n)s j")), (3600, _("%(n)s h")), (60, _("%(n)s min")))


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """`il y a 2 h`, `dans 5 min`, `à l'instant`: how far `moment` is from now."""
    if moment is None:
        return ""
    seconds = (moment - (now or utcnow())).total_seconds()
    for size, unit in DURATIONS:
        if abs(seconds) >= size:
            duration = t(unit, n=number(abs(seconds) // size))
            if seconds > 0:
                return t("dans %(duration)s", duration=duration)
            return t("il y a %(duration)s", duration=duration)
    return t("à l'instant")


@dataclass(frozen=True)
class Page:
    """One page of a list, with what the pager needs."""

    items: list[Any]
    number: int
    pages: int
    total: int


def page_of(items: list[Any], per_page: int = PER_PAGE) -> Page:
    """The page of a list already in memory asked for by `?page=` (clamped to the pages that exist)."""
    pages = max(1, math.ceil(len(items) / per_page))
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return Page(items[(number - 1) * per_page : number * per_page], number, pages, len(items))


def paginate(session: Session, query: Select, per_page: int = PER_PAGE) -> Page:
    """The page of `query` asked for by `?page=` (clamped to the pages that exist)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    items = list(session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
    return Page(items, number, pages, total)


def parse_day(raw: str | None) -> date | None:
    """A `YYYY-MM-DD` query value, or None when empty or malformed (filters then do not apply); a day
    outside the years Jigi accepts is a 400 that says so."""
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    if day is not None and not plausible(day):
        abort(400)
    return day


@dataclass(frozen=True)
class DayRange:
    """Local days from `first` to `last` inclusive, and the UTC instants that bound them."""

    first: date | None
    last: date | None
    since: datetime | None
    until: datetime | None


def day_range(first: date | None, last: date | None) -> DayRange:
    since, until = local_days(first, last, settings().tz)
    return DayRange(first, last, since, until)


def requested_range(default_days: int | None = None) -> DayRange:
    """The `since`/`until` days of the query string; with `default_days`, the last days up to today."""
    first, last = parse_day(request.args.get("since")), parse_day(request.args.get("until"))
    if default_days and first is None and last is None:
        last = local_today()
        first = last - timedelta(days=default_days - 1)
    return day_range(first, last)


def local_today() -> date:
    """Today in the configured zone."""
    return utcnow().astimezone(settings().tz).date()


def page_url(number: int) -> str:
    """This page's URL with the same filters, at page `number`."""
    args = {**request.args.to_dict(), "page": number}
    endpoint_args: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint or "", **endpoint_args)


def language_label(code: str | None) -> str:
    """A language's name in the console's language (a voice language too); its code when unknown."""
    label = labels.LANGUAGE.get(code or "") or labels.VOICE_LANGUAGE.get(code or "")
    return t(label) if label else (code or "")
