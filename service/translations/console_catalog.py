"""The console's own words: their source text is French, in the console's templates and code (and beside
the rules they belong to); `console.po` lists them for Bambara, kept in step with the code by
`flask --app app translations update-console`."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from service.i18n import LOCALES_DIR
from service.translations.catalogs import shipped, strings

# Where the console's words are written, and the calls that mark them. The message kinds' labels, the
# history lines, the template check, the gateways' names, the system alerts and the DHIS2 indicators are
# console words written beside the rules they belong to.
CONSOLE_SOURCES = [
    ("console/**.py", "python"),
    ("console/templates/**.html", "jinja2.ext:babel_extract"),
    ("outbox/kinds.py", "python"),
    ("outbox/details.py", "python"),
    ("outbox/templates.py", "python"),
    ("gateways/*.py", "python"),
    ("system_alerts.py", "python"),
    ("dhis2/indicators.py", "python"),
]
CONSOLE_KEYWORDS = {"_": None, "t": None, "tn": (1, 2), "_n": (1, 2)}
SERVICE_DIR = LOCALES_DIR.parent / "service"


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
    translated = sum(1 for message in catalog if message.id and all(strings(message.string)))
    return len(catalog), translated
