"""Discretion: no SMS names a condition, a medicine or the care itself, whatever is filled into it.

One normaliser (`fold`), one default list (`forbidden_words.toml`, French, English and Bambara),
extended by FORBIDDEN_WORDS; the same check refuses a template when it is saved and holds a rendered text
before it leaves.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from service.config import Settings
from service.gsm7 import plain_letters

WORDS_FILE = Path(__file__).with_name("forbidden_words.toml")


@cache
def default_words() -> tuple[str, ...]:
    """The shipped list, every section and language."""
    with WORDS_FILE.open("rb") as source:
        sections = tomllib.load(source)
    return tuple(word for section in sections.values() for words in section.values() for word in words)


def words_for(settings: Settings) -> tuple[str, ...]:
    """The shipped list and the configured additions."""
    return default_words() + settings.forbidden_words_extra


def fold(text: str) -> str:
    """Lower case, no accents, Bambara letters in their older spelling: what forbidden words match on."""
    return plain_letters(text).lower()


def forbidden_words(text: str, words: tuple[str, ...]) -> list[str]:
    """The entries of `words` found in `text`: whole words, or word starts for entries ending in `*`."""
    folded = fold(text)
    found = []
    for word in words:
        stem = fold(word.rstrip("*").strip())
        if not stem:
            continue
        pattern = r"(?<![a-z0-9])" + re.escape(stem) + ("" if word.endswith("*") else r"(?![a-z0-9])")
        if re.search(pattern, folded) and word.rstrip("*") not in found:
            found.append(word.rstrip("*"))
    return found


def indiscreet(text: str, settings: Settings) -> list[str]:
    """The forbidden words in `text`, with this service's list."""
    return forbidden_words(text, words_for(settings))
