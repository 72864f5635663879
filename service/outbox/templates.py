"""SMS templates: the shipped texts (default_texts.toml) overridden by coordinators' saved versions.

A template is text with `{name}` placeholders. Rendering turns a row's params (the contract the care and
referral code write) into local dates and times, in the proper spelling; `preview` shows what the GSM-7
conversion changes and what the message costs. `check_body` is the one rule a template must pass before
it is saved, wherever it is saved from, and the shipped texts pass it when the app starts
(`check_defaults`): no unknown placeholder, no word that reveals a condition or a medicine, within its
kind's segment budget.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.errors import DomainError
from service.gsm7 import for_sms, measure, non_gsm7_chars, to_gsm7
from service.i18n import LANGUAGES, _, format_local, gettext
from service.models import MessageTemplate
from service.outbox.discretion import as_written
from service.outbox.kinds import KINDS, Kind, default_texts

DATE_PATTERN = "EEEE d MMMM"
TIME_PATTERN = "HH:mm"
MOBILE_UNIT_PLACE = _("mobile team visit")


class TemplateError(ValueError):
    """A stored template or a row's params cannot be rendered (a fault of stored data, not a refusal of
    input: `check_body` refuses such a text before it is saved). The message is technical English."""


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


def current_body(session: Session, kind: str, language: str) -> str:
    """The newest saved version of a template, else the shipped default."""
    _check(kind, language)
    saved = session.scalar(
        select(MessageTemplate.body)
        .where(MessageTemplate.kind == kind, MessageTemplate.language == language)
        .order_by(MessageTemplate.version.desc())
        .limit(1)
    )
    return saved if saved is not None else default_texts()[kind][language]


def render_body(body: str, kind: str, language: str, params: dict[str, Any], settings: Settings) -> str:
    """Fill `body` with the values of `params`, dates and times local, in the proper spelling."""
    _check(kind, language)
    unknown = unknown_placeholders(body, kind)
    if unknown:
        raise TemplateError(f"template {kind}/{language} has unknown placeholders: {', '.join(unknown)}")
    dressed = dressed_placeholders(body)
    if dressed:
        raise TemplateError(f"template {kind}/{language} formats its values: {', '.join(dressed)}")
    values = {"hotline": settings.hotline, **_values(kind, language, params, settings)}
    return body.format_map(values)


def render(session: Session, kind: str, language: str, params: dict[str, Any], settings: Settings) -> str:
    """The text of one message: the current template filled with `params`."""
    return render_body(current_body(session, kind, language), kind, language, params, settings)


def preview(body: str, kind: str, language: str, settings: Settings) -> Preview:
    """`body` filled with its kind's sample: its cost as written, in GSM-7, and as it will be sent. An
    unknown placeholder shows as written (its refusal is said beside), so the coordinator still sees the
    rest of the text and its cost."""
    unknown = set(unknown_placeholders(body, kind))
    shown = re.sub(
        r"\{(\w+)\}", lambda m: "{" + m.group(0) + "}" if m.group(1) in unknown else m.group(0), body
    )
    text = render_body(shown, kind, language, KINDS[kind].sample, settings)
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


def dressed_placeholders(body: str) -> list[str]:
    """Placeholders written with a format or a conversion (`{hotline:>20000000}`, `{reference!r}`): a
    template names its values, nothing more (a format spec can ask for megabytes of padding)."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError:
        return []  # a stray brace: unknown_placeholders reports it
    return [
        "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        for _text, field, spec, conversion in parsed
        if field is not None and (spec or conversion)
    ]


def unknown_placeholders(body: str, kind: str) -> list[str]:
    """Placeholders in `body` that `kind` does not provide; a stray brace is reported as itself."""
    allowed = set(KINDS[kind].allowed_placeholders)
    try:
        fields = [field for _text, field, _spec, _conv in string.Formatter().parse(body) if field is not None]
    except ValueError:
        return ["{" if "{" in body else "}"]
    unknown: list[str] = []
    for field in fields:
        if field not in allowed and field not in unknown:
            unknown.append(field or "{}")
    return unknown


def save_template(
    session: Session, kind: str, language: str, body: str, author: str, settings: Settings
) -> MessageTemplate:
    """Store `body` as the next version of the template; it is used from the next message on.

    Raises DomainError (field `body`) with the first thing `check_body` refuses.
    """
    _check(kind, language)
    errors = check_body(body, kind, language, settings).errors
    if errors:
        message, params = errors[0]
        raise DomainError(message, field="body", params=params)
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
    if kind not in KINDS:
        raise TemplateError(f"unknown message kind {kind!r}")
    if language not in LANGUAGES:
        raise TemplateError(f"unsupported language {language!r}")


def _values(kind: str, language: str, params: dict[str, Any], settings: Settings) -> dict[str, str]:
    """The placeholder values of `kind` from its params."""
    tz = settings.tz
    values: dict[str, str] = {}
    for name in KINDS[kind].placeholders:
        if name in ("date", "time"):
            moment = moment_of(kind, params, tz)
            values[name] = format_local(
                moment, DATE_PATTERN if name == "date" else TIME_PATTERN, language, tz
            )
        elif name == "place":
            values[name] = _param(kind, params, "place") or gettext(language, MOBILE_UNIT_PLACE)
        else:
            values[name] = str(_param(kind, params, name))
    return values


def moment_of(kind: str, params: dict[str, Any], tz: Any) -> datetime:
    """The local moment a date or time placeholder shows (a visit date is shown at local noon)."""
    try:
        if kind in (Kind.VISIT_CONFIRMATION, Kind.VISIT_MOVED):
            return datetime.combine(date.fromisoformat(_param(kind, params, "visit_date")), time(12), tz)
        key = "dose_at" if kind == Kind.MEDICATION else "starts_at"
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


@dataclass(frozen=True)
class Check:
    """A template body checked: its preview (None when it cannot be rendered) and what is wrong with it."""

    preview: Preview | None
    errors: list[tuple[str, dict[str, object]]]  # (French message, its parameters), translated when shown
    budget: int


def check_body(body: str, kind: str, language: str, settings: Settings) -> Check:
    """Everything that would refuse `body`, as messages to show next to the field."""
    budget = KINDS[kind].segment_budget
    if not body.strip():
        return Check(
            None, [(_("Ce texte est obligatoire : les deux langues sont enregistrées ensemble."), {})], budget
        )
    errors: list[tuple[str, dict[str, object]]] = []
    unknown = unknown_placeholders(body, kind)
    if unknown:
        known = ", ".join("{" + name + "}" for name in KINDS[kind].allowed_placeholders)
        errors.append(
            (
                _("Variable inconnue : %(unknown)s. Variables possibles : %(known)s."),
                {"unknown": ", ".join("{" + name + "}" for name in unknown), "known": known or "—"},
            )
        )
    dressed = dressed_placeholders(body)
    if dressed:
        errors.append(
            (
                _("Une variable s’écrit seule entre accolades, comme {reference} : pas %(dressed)s."),
                {"dressed": ", ".join(dressed)},
            )
        )
    found = as_written(body, settings)
    if found:
        errors.append(
            (
                _("Mot interdit, il révèlerait une maladie ou un médicament : %(words)s."),
                {"words": ", ".join(found)},
            )
        )
    result = None
    try:
        result = preview(body, kind, language, settings)
    except TemplateError as error:
        if not unknown and not dressed:
            errors.append((_("Ce texte ne peut pas être affiché : %(error)s"), {"error": str(error)}))
    if result is not None and result.sent_segments > budget:
        errors.append(
            (
                _("Trop long : %(n)s SMS une fois converti, %(max)s au plus pour ce message."),
                {"n": result.sent_segments, "max": budget},
            )
        )
    return Check(result, errors, budget)


def check_defaults(settings: Settings) -> None:
    """Refuse to start when a shipped text breaks the registry's rules or a kind lacks a language."""
    texts = default_texts()
    problems = [f"{kind}: no shipped texts" for kind in KINDS if kind not in texts]
    problems += [f"{kind}: not a message kind" for kind in texts if kind not in KINDS]
    for kind in KINDS:
        for language in LANGUAGES:
            body = texts.get(kind, {}).get(language)
            if body is None:
                problems.append(f"{kind}/{language}: missing")
                continue
            for message, params in check_body(body, kind, language, settings).errors:
                problems.append(f"{kind}/{language}: {message % params}")
    if problems:
        raise ValueError("shipped SMS texts: " + "; ".join(problems))
