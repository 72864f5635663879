"""Translations (gettext catalogs in `locales/`, French and Bambara) and local date formatting.

Each area of the code has its own catalog domain (`ussd.po`, `sms.po`, `console.po`, ...); all domains of
a language are merged into one translator. A catalog is compiled to `.mo` when the `.po` is newer.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "bm")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
# Babel locales for dates and numbers: Mali's French and Bambara.
BABEL_LOCALES = {"fr": "fr_ML", "bm": "bm_ML"}


def compile_catalogs(root: Path = LOCALES_DIR) -> list[Path]:
    """Compile every `.po` under `root` whose `.mo` is missing or older; return what was compiled."""
    compiled = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        compiled.append(mo_path)
    return compiled


@cache
def translator(language: str) -> Translations:
    """All catalog domains of `language`, merged."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    compile_catalogs()
    merged: Translations | None = None
    for mo_path in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.mo")):
        with mo_path.open("rb") as mo_file:
            catalog = Translations(mo_file)
        # The first catalog is the base so that its Plural-Forms rule (one form in Bambara) is kept.
        merged = catalog if merged is None else merged.merge(catalog)
    return merged or Translations()


# Translators' texts (the `translations` table) over the shipped catalogs: (language, msgid) -> text.
# Each web process reloads them every few seconds (service/translations/live.py).
_overrides: dict[tuple[str, str], str] = {}


def set_overrides(overrides: dict[tuple[str, str], str]) -> None:
    global _overrides
    _overrides = overrides


def gettext(language: str, message: str, **params: object) -> str:
    """`message` translated into `language`, with `%(name)s` placeholders filled from `params`."""
    text = _overrides.get((language, message)) or translator(language).gettext(message)
    if not params:
        return text
    return _filled(language, message, (text, translator(language).gettext(message), message), params)


def ngettext(language: str, singular: str, plural: str, count: int, **params: object) -> str:
    """The form of `singular`/`plural` for `count`, filled; `%(n)s` is `count` unless `params` gives it
    (written in the reader's number format)."""
    shipped = translator(language).ngettext(singular, plural, count)
    candidates = (plural_form(language, singular, plural, count), shipped, singular if count == 1 else plural)
    return _filled(language, singular, candidates, {"n": count, **params})


def _filled(language: str, message: str, candidates: tuple[str, ...], params: dict[str, object]) -> str:
    """The first of `candidates` (the text in force, the shipped one, the source) that fills with `params`:
    a translator's stray `%` is reported in the log, never an error screen."""
    for text in candidates:
        try:
            return text % params
        except (ValueError, TypeError, KeyError) as error:
            log.warning("the %s text of %r cannot be filled (%s)", language, message[:60], error)
    return message


def plural_form(language: str, singular: str, plural: str, n: int) -> str:
    """The form of `singular`/`plural` for `n` in `language`, unfilled. A translator's text for a form is
    keyed by that form's source: the singular for form 0 (Bambara's only form), the plural for the rest."""
    catalog = translator(language)
    form = catalog.plural(n) if hasattr(catalog, "plural") else int(n != 1)
    return _overrides.get((language, plural if form else singular)) or catalog.ngettext(singular, plural, n)


def _(message: str) -> str:
    """Mark `message` for extraction; it is translated later, where the language is known."""
    return message


def format_local(moment: datetime, pattern: str, language: str, tz: ZoneInfo) -> str:
    """Format an aware datetime in `tz` with an explicit Babel pattern (no GMT suffix)."""
    return format_datetime(moment.astimezone(tz), pattern, tzinfo=tz, locale=BABEL_LOCALES[language])
