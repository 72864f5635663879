"""Discretion: no SMS names a condition, a medicine or the care itself, whatever is filled into it.

One normaliser (`fold`), one default list (`forbidden_words.toml`, French, English and Bambara),
extended by FORBIDDEN_WORDS; the same check refuses a template when it is saved and holds a rendered text
before it leaves.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
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
    """The entries of `words` found in `text`: whole words (or phrases), or word starts for entries ending
    in `*`. Text and entries are compared as their words in plain letters, punctuation ignored."""
    tokens = _words(text)
    return _matcher(words).find(tokens)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


@dataclass(frozen=True)
class _Matcher:
    """A word list made ready once (the check runs on every SMS sent): entries are (name, words)."""

    whole: tuple[tuple[str, str], ...]
    starts: tuple[tuple[str, str], ...]
    phrases: tuple[tuple[str, str, bool], ...]

    def find(self, tokens: list[str]) -> list[str]:
        present = set(tokens)
        found = [name for name, stem in self.whole if stem in present]
        prefixes = tuple(stem for _name, stem in self.starts)
        if prefixes and any(token.startswith(prefixes) for token in tokens):
            found += [name for name, stem in self.starts if any(token.startswith(stem) for token in tokens)]
        if self.phrases:
            joined = f" {' '.join(tokens)} "
            found += [
                name for name, stem, prefix in self.phrases if f" {stem}{'' if prefix else ' '}" in joined
            ]
        return found


@lru_cache(maxsize=8)
def _matcher(words: tuple[str, ...]) -> _Matcher:
    whole: dict[str, tuple[str, str]] = {}
    starts: dict[str, tuple[str, str]] = {}
    phrases: dict[str, tuple[str, str, bool]] = {}
    for word in words:
        name = word.strip().rstrip("*").strip()
        stem, prefix = " ".join(_words(name)), word.strip().endswith("*")
        if not stem:
            continue
        if " " in stem:
            phrases.setdefault(name, (name, stem, prefix))
        else:
            (starts if prefix else whole).setdefault(name, (name, stem))
    return _Matcher(tuple(whole.values()), tuple(starts.values()), tuple(phrases.values()))


def indiscreet(text: str, settings: Settings) -> list[str]:
    """The forbidden words in `text`, with this service's list."""
    return forbidden_words(text, words_for(settings))


def as_written(text: str, settings: Settings) -> list[str]:
    """The forbidden words of `text` as its author wrote them ("Dépression", not the list's variants
    "dépression, depression, dépressi*"): each word of the text that the list matches; a forbidden phrase
    that no single word gives away is named as the list writes it."""
    words = words_for(settings)
    spotted: list[str] = []
    for word in re.findall(r"\w+", text):
        if word not in spotted and forbidden_words(word, words):
            spotted.append(word)
    if not spotted:
        spotted = forbidden_words(text, words)
    return spotted
