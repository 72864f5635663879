"""Translators' work on the words users read: every message of the USSD, SMS and error catalogs with its
French and Bambara texts, a translator's edits stored over the shipped catalogs (they reach the next USSD
screen within seconds, without a deploy), reviews that hold until the French changes, and standard PO
files for translators working offline.

The console's own words have French source text (in its templates and code): `console.po` lists them for
Bambara, kept in step with the code by `flask --app app translations update-console`.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import IO, NamedTuple

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from flask import Flask, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import get_db
from service.errors import DomainError, ErrorKind, ImportRefused
from service.gsm7 import to_gsm7
from service.i18n import LANGUAGES, LOCALES_DIR, set_overrides
from service.models import Translation

log = logging.getLogger(__name__)

# The catalogs a translator works on, and what each holds.
AREAS = {"ussd": "USSD screens", "sms": "SMS words", "errors": "error messages", "console": "console"}
# Where the console's words are written, and the calls that mark them. The message kinds' labels, the
# history lines, the template check, the gateways' names and the system alerts are console words written
# beside the rules they belong to.
CONSOLE_SOURCES = [
    ("console/**.py", "python"),
    ("console/templates/**.html", "jinja2.ext:babel_extract"),
    ("outbox/kinds.py", "python"),
    ("outbox/details.py", "python"),
    ("outbox/templates.py", "python"),
    ("gateways/*.py", "python"),
    ("system_alerts.py", "python"),
]
CONSOLE_KEYWORDS = {"_": None, "t": None, "tn": (1, 2), "_n": (1, 2)}
SERVICE_DIR = LOCALES_DIR.parent / "service"
SCREEN = 160  # a USSD screen; a USSD text longer than one screen, once written in GSM-7, is refused
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
RELOAD_SECONDS = 5.0


class Status(StrEnum):
    MISSING = "missing"
    DRAFT = "draft"
    REVIEWED = "reviewed"


class Shipped(NamedTuple):
    """A message of a shipped catalog."""

    area: str
    msgid: str
    text: str
    plural: str = ""  # the French plural form of a Bambara message that has one
    note: str = ""  # what the catalog asks the reviewer to confirm ("À confirmer : ...")


@dataclass(frozen=True)
class Message:
    """One message in one language: the shipped text, the translator's (if any), and its review.

    A message with a plural (`%(n)s contacté` / `%(n)s contactés`) is one message per form the language
    has: two in French, each keyed by its own source text; one in Bambara, keyed by the singular, whose
    French shows both forms."""

    source: Shipped
    french: str
    edited: Translation | None

    @property
    def area(self) -> str:
        return self.source.area

    @property
    def msgid(self) -> str:
        return self.source.msgid

    @property
    def plural(self) -> str:
        return self.source.plural

    @property
    def note(self) -> str:
        """What the catalog asks the reviewer to confirm, if anything."""
        return self.source.note

    @property
    def text(self) -> str:
        return self.edited.msgstr if self.edited is not None else self.source.text

    @property
    def status(self) -> Status:
        if not self.text:
            return Status.MISSING
        reviewed = self.edited is not None and self.edited.reviewed_by and self.edited.source == self.french
        return Status.REVIEWED if reviewed else Status.DRAFT

    @property
    def gsm7(self) -> str:
        """How a basic phone shows the text."""
        return to_gsm7(self.text)


class TranslationError(DomainError):
    """A translation that would break a screen or lose a value."""


@cache
def shipped(language: str) -> tuple[Shipped, ...]:
    """Every message of the shipped catalogs of `language`, in catalog order."""
    rows = []
    for area in AREAS:
        path = LOCALES_DIR / language / "LC_MESSAGES" / f"{area}.po"
        if not path.exists():  # French has no console catalog: its source text is French
            continue
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        for message in catalog:
            if not message.id:
                continue
            note = " ".join(message.user_comments)
            if isinstance(message.id, str):
                rows.append(Shipped(area, message.id, _strings(message.string)[0], note=note))
            else:  # Bambara has one plural form: the singular's key holds it
                rows.append(Shipped(area, message.id[0], _strings(message.string)[0], message.id[1], note))
    return tuple(rows)


def messages(session: Session, language: str) -> list[Message]:
    """Every message in `language`, side by side with its French."""
    edits = {
        row.msgid: row for row in session.scalars(select(Translation).where(Translation.language == language))
    }
    french = french_texts(session)

    def french_of(msgid: str, plural: str) -> str:
        text = french.get(msgid, msgid)
        return f"{text} / {french.get(plural, plural)}" if plural else text

    rows = shipped(language) if language != "fr" else shipped("fr") + _console_sources()
    return [Message(row, french_of(row.msgid, row.plural), edits.get(row.msgid)) for row in rows]


@cache
def _console_sources() -> tuple[Shipped, ...]:
    """The console's messages as French readers read them: the source text itself, each plural form a
    message of its own."""
    rows = []
    for row in shipped("bm"):
        if row.area == "console":
            rows += [Shipped("console", form, form) for form in (row.msgid, row.plural) if form]
    return tuple(rows)


def french_texts(session: Session) -> dict[str, str]:
    """The French text of each message as users read it today (a translator's edit wins)."""
    texts = {row.msgid: row.text for row in shipped("fr")}
    query = select(Translation.msgid, Translation.msgstr).where(Translation.language == "fr")
    texts.update({msgid: text for msgid, text in session.execute(query)})
    return texts


def find(session: Session, language: str, msgid: str) -> Message:
    for message in messages(session, language):
        if message.msgid == msgid:
            return message
    raise TranslationError("No message has this text.", kind=ErrorKind.NOT_FOUND, field="msgid")


def check(message: Message, text: str) -> None:
    """Refuse a text that is empty, changes the placeholders, or makes a USSD screen too long."""
    if not text.strip():
        raise TranslationError("Write the translation.", field="text")
    if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(message.msgid)):
        raise TranslationError(
            "Keep the values in %(placeholders)s as they are.",
            field="text",
            placeholders=" ".join(f"%({name})s" for name in sorted(set(PLACEHOLDER.findall(message.msgid))))
            or "-",
        )
    problem = fill_problem(message.area, message.msgid, text)
    if problem:
        raise TranslationError(
            "This text cannot be filled in (%(problem)s): a lone percent sign or a changed value breaks it.",
            field="text",
            problem=problem,
        )
    if message.area == "ussd" and len(to_gsm7(text)) > SCREEN:
        raise TranslationError(
            "Too long for a phone screen: %(length)s characters, at most %(most)s.",
            field="text",
            length=len(to_gsm7(text)),
            most=SCREEN,
        )


def fill_problem(area: str, msgid: str, text: str) -> str | None:
    """Why `text` breaks when the code fills it with its values (None when it does not). USSD screens are
    always filled (the hotline, the answers); other texts when they carry values."""
    names = set(PLACEHOLDER.findall(msgid))
    if area != "ussd" and not names:
        return None
    if "%" in PLACEHOLDER.sub("", text.replace("%%", "")):
        return "a % that is not %(name)s"
    try:
        text % {name: "x" for name in names}
    except (ValueError, TypeError, KeyError) as error:
        return str(error)
    return None


def save(
    session: Session, language: str, msgid: str, text: str, actor: str, reviewed: bool, now: datetime
) -> None:
    """Store a translator's text (and their review, which holds until the French changes)."""
    message, text = find(session, language, msgid), text.strip()
    check(message, text)
    _store(session, language, message, text, actor, reviewed, now)


def _store(
    session: Session, language: str, message: Message, text: str, actor: str, reviewed: bool, now: datetime
) -> None:
    """Write a checked text over the shipped one."""
    row = message.edited
    if row is None:
        row = Translation(language=language, msgid=message.msgid)
        session.add(row)
    row.msgstr, row.source, row.updated_by, row.updated_at = text.strip(), message.french, actor, now
    row.reviewed_by, row.reviewed_at = (actor, now) if reviewed else (None, None)
    session.flush()


def completeness(session: Session) -> dict[str, dict[str, int]]:
    """Per language: how many messages there are, have a text, and are reviewed."""
    counts = {}
    for language in LANGUAGES:
        statuses = [message.status for message in messages(session, language)]
        counts[language] = {
            "total": len(statuses),
            "translated": sum(status != Status.MISSING for status in statuses),
            "reviewed": statuses.count(Status.REVIEWED),
        }
    return counts


# --- PO files for translators working offline ----------------------------------------------------------


def export_po(session: Session, language: str, area: str, out: IO[bytes]) -> int:
    """Write one area's messages in `language` as a PO file: the text users read, the French as a
    comment, unreviewed texts marked fuzzy. Returns how many messages were written."""
    catalog = Catalog(locale=language, domain=area, project="Jigi")
    catalog.mime_headers = [("Plural-Forms", _plural_forms(language))]  # Babel assumes two forms for bm
    count = 0
    for message in messages(session, language):
        if message.area != area:
            continue
        reviewed = message.status == Status.REVIEWED and message.edited is not None
        comments = [f"fr: {message.french}"] + (
            [f"reviewed by {message.edited.reviewed_by} on {message.edited.reviewed_at:%Y-%m-%d}"]
            if reviewed and message.edited is not None and message.edited.reviewed_at
            else []
        )
        flags = () if reviewed else ("fuzzy",)
        notes = [message.note] if message.note else []
        if message.plural:
            key: str | tuple[str, str] = (message.msgid, message.plural)
            text: str | tuple[str] = (message.text,)
        else:
            key, text = message.msgid, message.text
        catalog.add(key, text, auto_comments=comments, user_comments=notes, flags=flags)
        count += 1
    write_po(out, catalog, width=0, include_previous=False)
    return count


@cache
def _plural_forms(language: str) -> str:
    """The Plural-Forms header of the language's shipped catalogs."""
    with (LOCALES_DIR / language / "LC_MESSAGES" / "ussd.po").open("rb") as po_file:
        return str(read_po(po_file, locale=language).plural_forms)


def import_po(
    session: Session, language: str, po_file: IO[bytes], actor: str, reviewed: bool, now: datetime
) -> int:
    """Store every changed text of a PO file (all or nothing); return how many changed."""
    catalog = read_po(po_file, locale=language)
    current = {message.msgid: message for message in messages(session, language)}
    changes: list[tuple[Message, str]] = []
    problems: list[str] = []
    for entry in catalog:
        if not entry.id:
            continue
        # A plural entry of a Bambara file holds one form, keyed by the singular.
        msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
        text = _strings(entry.string)[0]
        message = current.get(msgid)
        if message is None:
            problems.append(f"line {entry.lineno}: unknown message {msgid[:60]!r}")
            continue
        if text.strip() == message.text and not reviewed:
            continue
        try:
            check(message, text)
        except TranslationError as error:
            problems.append(f"line {entry.lineno}: {error}")
            continue
        changes.append((message, text))
    if problems:
        raise ImportRefused(problems)
    for message, text in changes:
        _store(session, language, message, text, actor, reviewed, now)
    return len(changes)


# --- the texts in force, in every web process ---------------------------------------------------------


def load(session: Session) -> dict[tuple[str, str], str]:
    """The translators' texts in force; one that cannot be filled in (stored before the check existed,
    or by hand) is left out, so the shipped text shows instead, and reported in the log."""
    areas = {row.msgid: row.area for row in shipped("fr")}
    texts = {}
    for row in session.scalars(select(Translation)):
        problem = fill_problem(areas.get(row.msgid, "console"), row.msgid, row.msgstr)
        if problem:
            log.warning(
                "translation %s of %r cannot be filled (%s): the shipped text is used",
                row.language,
                row.msgid[:60],
                problem,
            )
            continue
        texts[(row.language, row.msgid)] = row.msgstr
    return texts


def init_app(app: Flask) -> None:
    """Reload translators' texts at most every RELOAD_SECONDS, once a response has left: no caller ever
    waits for it, even with the database frozen."""
    loaded = {"at": float("-inf")}

    def reload() -> None:
        try:
            with get_db(app).session() as session:
                set_overrides(load(session))
        except Exception:  # the texts in force stay; the next reload tries again
            log.warning("could not reload the translators' texts", exc_info=True)

    @app.after_request
    def _reload_translations_later(response: Response) -> Response:
        if time.monotonic() - loaded["at"] >= RELOAD_SECONDS:
            loaded["at"] = time.monotonic()
            response.call_on_close(reload)
        return response


def reload_now(session: Session) -> None:
    """After a save: this process shows the new text at once (others within RELOAD_SECONDS)."""
    set_overrides(load(session))


# --- the console's words -----------------------------------------------------------------------------


def console_msgids() -> list[str | tuple[str, str]]:
    """Every message the console's code and templates mark, in the order they are found, but those of
    the other catalogs (an SMS word the template check names)."""
    elsewhere = {row.msgid for row in shipped("fr") if row.area != "console"}
    found: dict[str | tuple[str, str], None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        SERVICE_DIR, CONSOLE_SOURCES, keywords=CONSOLE_KEYWORDS
    ):
        key = message if isinstance(message, str) else (message[0], message[1])
        if key and key not in elsewhere:
            found.setdefault(key, None)
    return list(found)


def update_console_catalog(language: str = "bm") -> tuple[int, int]:
    """Bring `console.po` of `language` in step with the console's code: new messages are added empty,
    translations kept, messages the code no longer says dropped; return (messages, translated)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / "console.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    template = Catalog(locale=language, domain="console")
    for msgid in console_msgids():
        template.add(msgid)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    with path.open("wb") as po_file:
        write_po(po_file, catalog, width=0, ignore_obsolete=True)
    translated = sum(1 for message in catalog if message.id and all(_strings(message.string)))
    return len(catalog), translated


def _strings(value: object) -> tuple[str, ...]:
    """A message's translation(s), one per plural form."""
    if isinstance(value, (tuple, list)):
        return tuple(str(text) for text in value)
    return (value,) if isinstance(value, str) else ("",)
