"""PO files for translators working offline: one area's messages out (the French as a comment, unreviewed
texts fuzzy), a translator's file back in, all or nothing."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import IO

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from sqlalchemy.orm import Session

from service.errors import ImportRefused
from service.i18n import LOCALES_DIR
from service.translations.catalogs import strings
from service.translations.workflow import Message, Status, TranslationError, check, messages, store


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
        text = strings(entry.string)[0]
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
        store(session, language, message, text, actor, reviewed, now)
    return len(changes)
