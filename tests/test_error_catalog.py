"""Every refusal reaches French and Bambara users in their language: each domain error message is a
gettext msgid (never an f-string) with a translation in both catalogs, placeholders kept."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import service
from service.errors import DomainError
from service.i18n import LANGUAGES, LOCALES_DIR

SERVICE_DIR = Path(service.__file__).parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _error_class_names() -> set[str]:
    """Names of DomainError and its subclasses, once every module that defines one is imported."""
    for module in pkgutil.walk_packages(service.__path__, "service."):
        importlib.import_module(module.name)
    found, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def raised_messages() -> dict[str, str]:
    """msgid -> where: the first argument of every DomainError construction and `msgid(...)` mark."""
    names = _error_class_names() | {"msgid"}
    messages: dict[str, str] = {}
    for path in sorted(SERVICE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in names:
                continue
            first = node.args[0]
            where = f"{path.relative_to(SERVICE_DIR.parent)}:{node.lineno}"
            assert not isinstance(first, ast.JoinedStr), f"{where}: an f-string cannot be translated"
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                messages.setdefault(first.value, where)
    return messages


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "errors.po").open("rb") as po_file:
        return {message.id: message.string for message in read_po(po_file) if message.id}


def test_the_refusals_found_are_many_and_include_the_known_ones():
    messages = raised_messages()
    assert "Give a phone number." in messages
    assert "This address already has an account." in messages
    assert "%(code)s is not a health area." in messages
    assert len(messages) > 40


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refusal_has_a_translation_with_the_same_placeholders(language):
    catalog = _catalog(language)
    problems = []
    for message, where in raised_messages().items():
        translated = catalog.get(message)
        if not translated:
            problems.append(f"{where}: no {language} translation of {message!r}")
        elif set(PLACEHOLDER.findall(translated)) != set(PLACEHOLDER.findall(message)):
            problems.append(f"{where}: {language} placeholders differ for {message!r}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_no_message_the_code_no_longer_raises(language):
    assert sorted(set(_catalog(language)) - set(raised_messages())) == []


def test_a_refusal_is_shown_in_the_readers_language():
    from service.phones import InvalidPhone, normalize_phone

    with pytest.raises(InvalidPhone) as refused:
        normalize_phone("123")
    error = refused.value
    assert error.field == "phone"
    assert "123" in error.text("fr") and error.text("fr") != str(error)
    assert "123" in error.text("bm") and error.text("bm") not in (str(error), error.text("fr"))
