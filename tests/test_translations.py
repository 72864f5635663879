"""Every msgid the phone-facing code and the menus use has a French and a Bambara translation.

Msgids are extracted from `service/` with Babel's extractor (`_`, `gettext`, `ngettext` calls) and from
the menus; the catalogs of every domain are merged per language, as the app merges them. The console
writes French source strings and is not checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from service.gsm7 import non_gsm7_chars
from service.i18n import LANGUAGES, LOCALES_DIR
from service.ussd.menu import load_menus

SERVICE_DIR = Path(__file__).resolve().parent.parent / "service"
# Phone-facing code: USSD, SMS, care reminders and replies, emergency alerts.
METHOD_MAP = [
    ("ussd/**.py", "python"),
    ("sms/**.py", "python"),
    ("care/**.py", "python"),
    ("alerts.py", "python"),
]
# gettext(language, msgid, ...) and ngettext(language, singular, plural, n, ...) take the language first.
KEYWORDS = {"_": None, "gettext": (2,), "ngettext": (2, 3)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
BAMBARA_PLURALS = "nplurals=1; plural=0;"


def used_msgids() -> dict[str, str]:
    """Each msgid (the singular of a plural) with where it is used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        SERVICE_DIR, METHOD_MAP, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"service/{filename}:{lineno}")
    for name, menu in load_menus().items():
        for msgid in menu.msgids():
            found.setdefault(msgid, f"menus/{name}.toml")
    return found


def catalogs(language: str) -> list[tuple[Path, Catalog]]:
    result = []
    for path in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po_file:
            result.append((path, read_po(po_file, locale=language)))
    return result


def merged(language: str) -> dict[str, object]:
    """msgid -> translated message, later domains overriding earlier ones like the app's translator."""
    messages: dict[str, object] = {}
    for _path, catalog in catalogs(language):
        for message in catalog:
            if message.id:
                messages[message.id[0] if isinstance(message.id, tuple) else message.id] = message
    return messages


def test_the_extraction_finds_the_code_and_menu_msgids():
    used = used_msgids()
    assert "Invalid choice." in used and "Report a case" in used and "Depression" in used


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_used_msgid_has_a_translation(language):
    messages = merged(language)
    problems = []
    for msgid, where in sorted(used_msgids().items()):
        message = messages.get(msgid)
        strings = (
            message.string if message and isinstance(message.string, tuple) else (message and message.string,)
        )
        if message is None:
            problems.append(f"{where}: {msgid!r} is missing")
        elif message.fuzzy or not all(strings):
            problems.append(f"{where}: {msgid!r} is {'fuzzy' if message.fuzzy else 'empty'}")
        elif any(set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid)) for text in strings):
            problems.append(f"{where}: {msgid!r} has other %(name)s placeholders than its translation")
    assert not problems, f"{language} catalogs:\n" + "\n".join(problems)


def test_bambara_catalogs_have_the_bambara_plural_header():
    found = catalogs("bm")
    assert {path.stem for path, _catalog in found} >= {"ussd", "sms", "errors", "console"}
    for path, catalog in found:
        header = dict(catalog.mime_headers).get("Plural-Forms", "")
        assert header.replace(" ", "") == BAMBARA_PLURALS.replace(" ", ""), f"{path.name}: {header!r}"


def test_every_language_has_a_ussd_catalog():
    for language in LANGUAGES:
        assert (LOCALES_DIR / language / "LC_MESSAGES" / "ussd.po").exists()


# French words that have no GSM-7 spelling and no plain synonym: a phone shows them without the accent.
GSM7_EXCEPTIONS = {"French"}  # "Français" (the ç)


@pytest.mark.parametrize("domain", ["ussd", "sms"])
def test_french_texts_read_the_same_once_converted_to_gsm7(domain):
    """A volunteer's phone shows GSM-7: a French text that needs converting loses accents that matter
    ("vous vous etes arreté"), so USSD and SMS texts use words that GSM-7 writes as they are."""
    with (LOCALES_DIR / "fr" / "LC_MESSAGES" / f"{domain}.po").open("rb") as po_file:
        catalog = read_po(po_file)
    converted = {
        message.id: "".join(non_gsm7_chars(message.string))
        for message in catalog
        if message.id and isinstance(message.string, str) and message.id not in GSM7_EXCEPTIONS
    }
    assert {msgid: chars for msgid, chars in converted.items() if chars} == {}
