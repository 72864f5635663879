"""The coordinators' web console: server-rendered pages in French (and Bambara) under /console."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime, timedelta

from flask import Flask, Response, g, render_template
from markupsafe import Markup, escape
from sqlalchemy import case, func, select
from werkzeug.exceptions import HTTPException

from service.accounts import may
from service.config import get_settings
from service.console import labels
from service.console.blueprint import bp, csrf
from service.console.web import (
    ago,
    day_label,
    language,
    language_label,
    local,
    number,
    other_language_url,
    page_url,
    percent,
    t,
    tn,
)
from service.db import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, get_db
from service.i18n import _, gettext
from service.models import ReferralEvent, SystemAlert
from service.outbox import details
from service.system_alerts import AlertKind


def init_app(app: Flask) -> None:
    """Register the console's pages, its CSRF protection, cookie policy and `users`/`export` commands."""
    from service.console import (  # noqa: F401  (each module adds its routes to the blueprint)
        admin,
        assets,
        auth,
        cli,
        consults,
        dhis2,
        editor,
        exports,
        messages,
        patients,
        people,
        phone,
        recordings,
        referrals,
        reports,
        rounds,
        translations,
    )

    settings = get_settings(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        # An idle session ends after this: the cookie's signature is renewed by each request only.
        PERMANENT_SESSION_LIFETIME=IDLE,
        # CSRF is checked by the console's guard only (see blueprint.py), not on every POST of the app.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    app.register_blueprint(bp)
    cli.init_app(app)


def database_unavailable(_error: Exception) -> Response:
    """A bare page (the usual layout itself reads the database) asking to come back in a minute."""
    message = escape(gettext(language(), DATABASE_UNAVAILABLE))
    page = (
        f'<!doctype html><html lang="{language()}"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Jigi</title><p>{message}</p></html>"
    )
    return Response(page, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


# Console error pages in the reader's language: (title, what to do).
ERROR_PAGES = {
    400: (
        _("Demande impossible à lire"),
        _(
            "Une valeur est hors des limites (une date va de 2000 à 2100) ou la page a expiré. "
            "Revenez en arrière, rechargez la page et réessayez."
        ),
    ),
    403: (
        _("Accès refusé"),
        _("Votre rôle ne permet pas cette page ou cette action. Demandez à un administrateur au besoin."),
    ),
    404: (_("Page introuvable"), _("Ce dossier ou cette page n'existe pas (ou plus). Vérifiez le lien.")),
}


def error_page(error: HTTPException) -> tuple[str, int]:
    title, explanation = ERROR_PAGES[error.code or 404]
    page = render_template("console/error.html", title=t(title), explanation=t(explanation))
    return page, error.code or 404


for _status in ERROR_PAGES:
    bp.register_error_handler(_status, error_page)

for _unavailable in UNAVAILABLE_ERRORS:
    bp.register_error_handler(_unavailable, database_unavailable)


@bp.app_template_global("_")
def translate(message: str, **params) -> str:
    """A console text in the reader's language; values that are already HTML (a `tel` link) stay
    HTML, and the text around them is escaped."""
    if any(isinstance(value, Markup) for value in params.values()):
        return Markup(escape(t(message))) % params
    return t(message, **params)


@bp.app_template_filter("audit_detail")
def audit_detail(raw: str | None) -> str:
    """An audit entry's detail as `name: value` pairs in the console's language (raw text otherwise)."""
    if not raw:
        return ""
    try:
        detail = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(detail, dict):
        return raw
    names = {str(name): value for name, value in detail.items()}
    return " · ".join(
        f"{t(labels.AUDIT_DETAIL.get(name) or name)} : {value}" for name, value in names.items()
    )


@bp.app_template_filter("language_name")
def language_name(code: str | None) -> str:
    return language_label(code)


@bp.app_template_filter("message_event")
def message_event(status: str) -> str:
    """A message's history line: its status, or a gateway's report named as such."""
    if status.startswith("report:"):
        return t("Rapport de la passerelle : %(status)s", status=status.removeprefix("report:"))
    if status.startswith("key:"):
        return t("Touche %(key)s", key=status.removeprefix("key:"))
    label = labels.MESSAGE_STATUS.get(status) or labels.CALL_EVENT.get(status)
    return t(label) if label else status


@bp.app_template_filter("history_detail")
def history_detail(stored: str | None) -> str:
    """A message's (or alert step's) history detail in the console's language; a gateway's own words, a
    phone number or a district code as they came."""
    if not stored:
        return ""
    found = details.french(stored)
    return _filled(*found) if found else stored


def _filled(message: str, params: dict[str, str]) -> str:
    """A history detail's French text with its values, a stored ISO 8601 time shown as a local time."""
    if "when" in params:
        with contextlib.suppress(ValueError):
            params["when"] = local(datetime.fromisoformat(params["when"]))
    return t(message, **params)


@bp.app_template_filter("referral_detail")
def referral_detail(event: ReferralEvent) -> str:
    """What a referral's history line adds: the outcome, where a change came from, the appointment."""
    detail = event.detail or ""
    if detail in labels.OUTCOME:
        return t(labels.OUTCOME[detail])
    if detail == "followup":
        return t("d'après le suivi du relais")
    appointment = details.APPOINTMENT.match(detail) if event.kind == "appointment_set" else None
    return _filled(details.APPOINTMENT.french, appointment) if appointment else detail


E164 = re.compile(r"\+\d{6,15}")


@bp.app_template_filter("tel")
def tel(phone: str | None) -> Markup:
    """A phone number as a link that a coordinator on a phone taps to call; anything else (an erased
    number, an email address) as plain text."""
    if phone and E164.fullmatch(phone):
        return Markup('<a href="tel:{0}" class="tel">{0}</a>').format(phone)
    return escape(phone or "")


bp.add_app_template_filter(local, "local")
bp.add_app_template_filter(lambda day, pattern="d MMM y": day_label(day, pattern) if day else "", "day")
bp.add_app_template_filter(lambda day: day_label(day, "MMMM y"), "month")
bp.add_app_template_filter(number, "number")
bp.add_app_template_filter(percent, "percent")
bp.add_app_template_global(tn, "_n")
bp.add_app_template_filter(ago, "ago")
bp.add_app_template_global(page_url, "page_url")
bp.add_app_template_global(other_language_url, "other_language_url")


IDLE = timedelta(minutes=60)
SHOWN_ALERTS = 5
# An emergency that alerted nobody comes before every other alert.
EMERGENCY_FIRST = case((SystemAlert.kind == AlertKind.NO_ONCALL, 0), else_=1)


@bp.context_processor
def page_context() -> dict:
    """What every page shows: the user, the language, and open system alerts for coordinators."""
    user = g.get("user")
    alerts: list[SystemAlert] = []
    hidden = 0
    if user is not None and may(user.role, "coordinator"):
        with get_db().session() as session:
            open_alerts = SystemAlert.resolved_at.is_(None)
            alerts = list(
                session.scalars(
                    select(SystemAlert)
                    .where(open_alerts)
                    .order_by(EMERGENCY_FIRST, SystemAlert.created_at.desc())
                    .limit(SHOWN_ALERTS)
                )
            )
            if len(alerts) == SHOWN_ALERTS:
                hidden = (session.scalar(select(func.count()).where(open_alerts)) or 0) - SHOWN_ALERTS
    return {
        "user": user,
        "lang": language(),
        "system_alerts": alerts,
        "hidden_alerts": hidden,
        "may": may,
        "labels": labels,
    }
