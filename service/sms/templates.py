"""SMS templates: shipped defaults (data in default_templates.toml) overridden by coordinators' versions.

A template is text with `{name}` placeholders. Rendering turns a row's params (the contract the care and
USSD code write) into local dates and times, in the proper spelling; `preview` shows what the GSM-7
conversion changes and what the message costs.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.gsm7 import for_sms, measure, non_gsm7_chars, to_gsm7
from service.i18n import LANGUAGES, _, format_local, gettext
from service.models import MessageTemplate
from service.outbox import MESSAGE_KINDS

DEFAULTS_FILE = Path(__file__).resolve().parent / "default_templates.toml"
COMMON_PLACEHOLDERS = ("hotline",)
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "appointment_day_before": ("reference", "date", "time", "place"),
    "appointment_same_day": ("reference", "date", "time", "place"),
    "medication": ("reference", "time"),
    "followup_checkin": ("reference",),
    "optout_confirmation": (),
    "emergency_alert": ("reference", "village", "volunteer_phone"),
    "alert_escalation": ("reference", "village", "volunteer_phone"),
    "referral_ack": ("reference",),
    "visit_confirmation": ("reference", "date", "village"),
}
SAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    "appointment_day_before": {
        "reference": "P7K2",
        "starts_at": "2025-05-13T09:30:00+00:00",
        "place": "CSCom",
    },
    "appointment_same_day": {"reference": "P7K2", "starts_at": "2025-05-13T09:30:00+00:00", "place": "CSCom"},
    "medication": {"reference": "P7K2", "dose_at": "2025-05-13T08:00:00+00:00"},
    "followup_checkin": {"reference": "R4M9"},
    "optout_confirmation": {},
    "emergency_alert": {"reference": "R4M9", "village": "Bellafarandi", "volunteer_phone": "+22376123456"},
    "alert_escalation": {"reference": "R4M9", "village": "Bellafarandi", "volunteer_phone": "+22376123456"},
    "referral_ack": {"reference": "R4M9"},
    "visit_confirmation": {"reference": "V3T8", "visit_date": "2025-05-20", "village": "Bellafarandi"},
}
DATE_PATTERN = "EEEE d MMMM"
TIME_PATTERN = "HH:mm"
MOBILE_UNIT_PLACE = _("mobile team visit")


class TemplateError(ValueError):
    """A template cannot be rendered: unknown kind or language, missing parameter, bad placeholder."""


@dataclass(frozen=True)
class Preview:
    """A template rendered with sample data, as written and as it would be sent."""

    text: str
    encoding: str
    segments: int
    forcing_chars: list[str]
    gsm7_text: str
    gsm7_encoding: str
    gsm7_segments: int
    sent_text: str
    sent_segments: int


@cache
def default_bodies() -> dict[str, dict[str, str]]:
    """The shipped templates: kind -> language -> body."""
    with DEFAULTS_FILE.open("rb") as defaults:
        return tomllib.load(defaults)


def current_body(session: Session, kind: str, language: str) -> str:
    """The newest saved version of a template, else the shipped default."""
    _check(kind, language)
    saved = session.scalar(
        select(MessageTemplate.body)
        .where(MessageTemplate.kind == kind, MessageTemplate.language == language)
        .order_by(MessageTemplate.version.desc())
        .limit(1)
    )
    return saved if saved is not None else default_bodies()[kind][language]


def render_body(body: str, kind: str, language: str, params: dict[str, Any], settings: Settings) -> str:
    """Fill `body` with the values of `params`, dates and times local, in the proper spelling."""
    _check(kind, language)
    unknown = unknown_placeholders(body, kind)
    if unknown:
        raise TemplateError(f"template {kind}/{language} has unknown placeholders: {', '.join(unknown)}")
    values = {"hotline": settings.hotline, **_values(kind, language, params, settings)}
    return body.format_map(values)


def render(session: Session, kind: str, language: str, params: dict[str, Any], settings: Settings) -> str:
    """The text of one message: the current template filled with `params`."""
    return render_body(current_body(session, kind, language), kind, language, params, settings)


def preview(body: str, kind: str, language: str, settings: Settings) -> Preview:
    """`body` filled with SAMPLE_PARAMS: its cost as written, in GSM-7 spelling, and as it will be sent."""
    text = render_body(body, kind, language, SAMPLE_PARAMS[kind], settings)
    written = measure(text)
    gsm7 = measure(to_gsm7(text))
    sent = for_sms(text, settings.gsm7_conversion)
    return Preview(
        text=text,
        encoding=written.encoding,
        segments=written.segments,
        forcing_chars=non_gsm7_chars(text),
        gsm7_text=gsm7.text,
        gsm7_encoding=gsm7.encoding,
        gsm7_segments=gsm7.segments,
        sent_text=sent.text,
        sent_segments=sent.segments,
    )


def unknown_placeholders(body: str, kind: str) -> list[str]:
    """Placeholders in `body` that `kind` does not provide; a stray brace is reported as itself."""
    allowed = set(PLACEHOLDERS[kind]) | set(COMMON_PLACEHOLDERS)
    try:
        fields = [field for _text, field, _spec, _conv in string.Formatter().parse(body) if field is not None]
    except ValueError:
        return ["{" if "{" in body else "}"]
    unknown: list[str] = []
    for field in fields:
        if field not in allowed and field not in unknown:
            unknown.append(field or "{}")
    return unknown


def save_template(session: Session, kind: str, language: str, body: str, author: str) -> MessageTemplate:
    """Store `body` as the next version of the template; it is used from the next message on."""
    _check(kind, language)
    latest = session.scalar(
        select(func.max(MessageTemplate.version)).where(
            MessageTemplate.kind == kind, MessageTemplate.language == language
        )
    )
    template = MessageTemplate(
        kind=kind, language=language, version=(latest or 0) + 1, body=body, author=author
    )
    session.add(template)
    session.flush()
    return template


def _check(kind: str, language: str) -> None:
    if kind not in MESSAGE_KINDS:
        raise TemplateError(f"unknown message kind {kind!r}")
    if language not in LANGUAGES:
        raise TemplateError(f"unsupported language {language!r}")


def _values(kind: str, language: str, params: dict[str, Any], settings: Settings) -> dict[str, str]:
    """The placeholder values of `kind` from its params."""
    tz = settings.tz
    values: dict[str, str] = {}
    for name in PLACEHOLDERS[kind]:
        if name in ("date", "time"):
            moment = _moment(kind, params, tz)
            values[name] = format_local(
                moment, DATE_PATTERN if name == "date" else TIME_PATTERN, language, tz
            )
        elif name == "place":
            values[name] = _param(kind, params, "place") or gettext(language, MOBILE_UNIT_PLACE)
        else:
            values[name] = str(_param(kind, params, name))
    return values


def _moment(kind: str, params: dict[str, Any], tz: Any) -> datetime:
    """The local moment a date or time placeholder shows (a visit date is shown at local noon)."""
    try:
        if kind == "visit_confirmation":
            return datetime.combine(date.fromisoformat(_param(kind, params, "visit_date")), time(12), tz)
        key = "dose_at" if kind == "medication" else "starts_at"
        moment = datetime.fromisoformat(_param(kind, params, key))
    except (TypeError, ValueError) as error:
        raise TemplateError(f"{kind}: bad date in params: {error}") from None
    if moment.tzinfo is None:
        raise TemplateError(f"{kind}: times in params must carry their zone (ISO-8601 UTC)")
    return moment


def _param(kind: str, params: dict[str, Any], name: str) -> Any:
    if name not in params:
        raise TemplateError(f"{kind}: parameter {name!r} is missing")
    return params[name]
