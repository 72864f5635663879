"""The translation workflow: each message in each language beside its French, a translator's text
checked (placeholders, a text that can be filled in, a USSD screen's length) and stored over the shipped
one, and reviews that hold until the French changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import DomainError, ErrorKind
from service.gsm7 import to_gsm7
from service.i18n import LANGUAGES
from service.models import Translation
from service.translations.catalogs import Shipped, console_sources, shipped

SCREEN = 160  # a USSD screen; a USSD text longer than one screen, once written in GSM-7, is refused
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class Status(StrEnum):
    MISSING = "missing"
    DRAFT = "draft"
    REVIEWED = "reviewed"


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


def messages(session: Session, language: str) -> list[Message]:
    """Every message in `language`, side by side with its French."""
    edits = {
        row.msgid: row for row in session.scalars(select(Translation).where(Translation.language == language))
    }
    french = french_texts(session)

    def french_of(msgid: str, plural: str) -> str:
        text = french.get(msgid, msgid)
        return f"{text} / {french.get(plural, plural)}" if plural else text

    rows = shipped(language) if language != "fr" else shipped("fr") + console_sources()
    return [Message(row, french_of(row.msgid, row.plural), edits.get(row.msgid)) for row in rows]


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
    store(session, language, message, text, actor, reviewed, now)


def store(
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
