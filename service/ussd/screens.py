"""Laying out one USSD screen: GSM-7 text only, at most 160 characters, lists cut into pages by size.

Operators cut longer screens and some phones garble characters outside GSM-7, so every piece of text
(translations, place names) is converted with `to_gsm7`, and too-long values are shortened here.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from service.gsm7 import EXTENDED, to_gsm7

log = logging.getLogger(__name__)

BUDGET = 160  # characters after the CON/END prefix
MIN_VALUE = 6  # a shortened parameter keeps at least this many characters
CUT = ".."


@dataclass(frozen=True)
class Page:
    """The laid-out text and how many list items it shows."""

    text: str
    shown: int
    clipped: bool  # the text itself had to be cut: a translation too long for any screen


@lru_cache(maxsize=8192)
def gsm(text: str) -> str:
    """One line of GSM-7 text (no control characters: a village name never breaks the layout)."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return to_gsm7(text).strip()


def size(text: str) -> int:
    """Characters a GSM-7 text uses on the screen (an extended character such as `[` counts twice)."""
    return len(text) + sum(map(EXTENDED.__contains__, text))


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked as cut."""
    if size(text) <= limit:
        return text
    while text and size(text) + len(CUT) > limit:
        text = text[:-1]
    return text.rstrip() + CUT


def fill(template: str, params: Mapping[str, object], budget: int) -> tuple[str, bool]:
    """Fill `%(name)s` placeholders, shortening the longest values until the text fits `budget`."""
    template = gsm(template)
    values = {name: gsm(str(value)) for name, value in params.items()}
    text = template % values
    while size(text) > budget:
        used = [name for name in values if f"%({name})s" in template and len(values[name]) > MIN_VALUE]
        if not used:
            break
        longest = max(used, key=lambda name: len(values[name]))
        cut_to = max(MIN_VALUE, len(values[longest]) - (size(text) - budget))
        values[longest] = shorten(values[longest], cut_to)
        text = template % values
    if size(text) > budget:
        return shorten(text, budget), True
    return text, False


def lay_out(head: list[str], items: list[str], offset: int, more: str, foot: list[str]) -> Page:
    """Head lines, then as many item lines from `offset` as fit, then `more` if items remain, then foot."""
    head = [line for line in head if line]
    remaining = items[offset:]
    # Every line but the first costs its newline too.
    fixed = sum(size(line) + 1 for line in head + foot) - 1
    used = [size(line) + 1 for line in remaining[: BUDGET // 2]]
    if fixed + sum(used) <= BUDGET and len(used) == len(remaining):
        return _page(head + remaining + foot, len(remaining))
    room = BUDGET - fixed - size(more) - 1
    shown = 0
    while shown < len(used) and used[shown] <= room:
        room -= used[shown]
        shown += 1
    if shown == 0 and remaining:
        return _page(head + [shorten(remaining[0], max(room - 1, len(CUT) + 1))] + [more] + foot, 1)
    return _page(head + remaining[:shown] + ([more] if shown < len(remaining) else []) + foot, shown)


def _page(lines: list[str], shown: int) -> Page:
    text = "\n".join(lines)
    if size(text) <= BUDGET:
        return Page(text, shown, False)
    log.warning("USSD screen cut to %s characters: %r", BUDGET, text)
    return Page(shorten(text, BUDGET), shown, True)
