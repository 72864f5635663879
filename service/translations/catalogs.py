"""The shipped catalogs (`locales/<language>/LC_MESSAGES/<area>.po`) as translators' work sees them: every
message of every area, in catalog order."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from babel.messages.pofile import read_po

from service.i18n import LOCALES_DIR

# The catalogs a translator works on, and what each holds.
AREAS = {"ussd": "USSD screens", "sms": "SMS words", "errors": "error messages", "console": "console"}


class Shipped(NamedTuple):
    """A message of a shipped catalog."""

    area: str
    msgid: str
    text: str
    plural: str = ""  # the French plural form of a Bambara message that has one
    note: str = ""  # what the catalog asks the reviewer to confirm ("À confirmer : ...")


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
                rows.append(Shipped(area, message.id, strings(message.string)[0], note=note))
            else:  # Bambara has one plural form: the singular's key holds it
                rows.append(Shipped(area, message.id[0], strings(message.string)[0], message.id[1], note))
    return tuple(rows)


@cache
def console_sources() -> tuple[Shipped, ...]:
    """The console's messages as French readers read them: the source text itself, each plural form a
    message of its own."""
    rows = []
    for row in shipped("bm"):
        if row.area == "console":
            rows += [Shipped("console", form, form) for form in (row.msgid, row.plural) if form]
    return tuple(rows)


def strings(value: object) -> tuple[str, ...]:
    """A message's translation(s), one per plural form."""
    if isinstance(value, (tuple, list)):
        return tuple(str(text) for text in value)
    return (value,) if isinstance(value, str) else ("",)
