"""GSM 03.38 text: what fits the 7-bit alphabet, how many SMS segments a text takes, and the
older GSM-7 spelling of French and Bambara that avoids the costly UCS-2 encoding."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = set("^{}\\[~]|€\f")  # each costs two septets (escape + char)

SPELLING = {
    # Bambara: the older spelling is all GSM-7.
    "ɛ": "è",
    "Ɛ": "E",
    "ɔ": "ò",
    "Ɔ": "O",
    "ɲ": "ny",
    "Ɲ": "Ny",
    "ŋ": "ng",
    "Ŋ": "Ng",
    # French letters outside GSM-7.
    "â": "a",
    "ê": "e",
    "ë": "e",
    "î": "i",
    "ï": "i",
    "ô": "o",
    "û": "u",
    "ç": "c",
    "œ": "oe",
    "Œ": "OE",
    "À": "A",
    "Â": "A",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "Î": "I",
    "Ï": "I",
    "Ô": "O",
    "Ù": "U",
    "Û": "U",
    "á": "a",
    "í": "i",
    "ó": "o",
    "ú": "u",
    # Punctuation and spaces.
    "’": "'",
    "‘": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
}


@dataclass(frozen=True)
class Encoded:
    """What an SMS of `text` costs: its encoding and its number of segments."""

    text: str
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int
    length: int  # septets for GSM-7, UTF-16 code units for UCS-2


def is_gsm7(text: str) -> bool:
    return all(ch in BASIC or ch in EXTENDED for ch in text)


def non_gsm7_chars(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of appearance."""
    seen: list[str] = []
    for ch in text:
        if ch not in BASIC and ch not in EXTENDED and ch not in seen:
            seen.append(ch)
    return seen


def to_gsm7(text: str) -> str:
    """Spell `text` with GSM-7 characters only: known substitutions, then accents and tones dropped."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in BASIC or ch in EXTENDED:
            out.append(ch)
        elif ch in SPELLING:
            out.append(SPELLING[ch])
        else:
            stripped = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            stripped = "".join(SPELLING.get(c, c) for c in stripped)
            out.append(stripped if is_gsm7(stripped) else "?")
    return "".join(out)


def plain_letters(text: str) -> str:
    """`text` in its GSM-7 spelling without accents or tones (`ɲɛ` -> `nye`, `Arrêtez` -> `Arretez`): what
    words are compared on, so that every way of writing a word matches (opt-out replies, forbidden words)."""
    spelled = to_gsm7(unicodedata.normalize("NFC", text))
    return "".join(c for c in unicodedata.normalize("NFD", spelled) if not unicodedata.combining(c))


def measure(text: str) -> Encoded:
    """Encoding and segment count of `text` as it would be sent."""
    if is_gsm7(text):
        units = [2 if ch in EXTENDED else 1 for ch in text]  # an escape septet before each extended one
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # a surrogate pair for an emoji
        single, part = 70, 67
        encoding = "UCS-2"
    length = sum(units)
    segments = 1 if length <= single else _parts(units, part)
    return Encoded(text, encoding, segments, length)


def _parts(units: list[int], size: int) -> int:
    """Parts of `size` units needed when no character (an escape and its septet, a surrogate pair) may be
    split across two parts, as phones and gateways split them: a part then holds one unit less."""
    parts, used = 1, 0
    for unit in units:
        if used + unit > size:
            parts, used = parts + 1, 0
        used += unit
    return parts


def for_sms(text: str, convert: bool = True) -> Encoded:
    """The text to send: converted to GSM-7 spelling when that avoids UCS-2 and `convert` is on."""
    text = unicodedata.normalize("NFC", text)
    if convert and not is_gsm7(text):
        return measure(to_gsm7(text))
    return measure(text)
