"""What a coordinator's SMS template must respect before it is saved, and how versions differ.

A template is refused when it is empty, uses a placeholder its kind does not provide, contains a word
that reveals a condition or a medicine (Settings.forbidden_words), or costs more SMS than its budget.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from service.config import Settings
from service.gsm7 import to_gsm7
from service.i18n import _
from service.sms.templates import COMMON_PLACEHOLDERS, PLACEHOLDERS, Preview, TemplateError, preview
from service.sms.templates import unknown_placeholders as find_unknown_placeholders

# SMS segments a message may cost once converted for sending; an emergency alert may say more.
DEFAULT_SEGMENT_BUDGET = 2
SEGMENT_BUDGET = {"emergency_alert": 3, "alert_escalation": 3}


def segment_budget(kind: str) -> int:
    return SEGMENT_BUDGET.get(kind, DEFAULT_SEGMENT_BUDGET)


def placeholders(kind: str) -> tuple[str, ...]:
    return PLACEHOLDERS[kind] + COMMON_PLACEHOLDERS


def fold(text: str) -> str:
    """Lower case, no accents, Bambara letters in their older spelling: what forbidden words match on."""
    spelled = to_gsm7(unicodedata.normalize("NFC", text))
    stripped = "".join(c for c in unicodedata.normalize("NFD", spelled) if not unicodedata.combining(c))
    return stripped.lower()


def forbidden_words(body: str, words: tuple[str, ...]) -> list[str]:
    """The entries of `words` found in `body`: whole words, or word starts for entries ending in `*`."""
    folded = fold(body)
    found = []
    for word in words:
        prefix = word.endswith("*")
        stem = fold(word.rstrip("*").strip())
        if not stem:
            continue
        pattern = r"(?<![a-z0-9])" + re.escape(stem) + ("" if prefix else r"(?![a-z0-9])")
        if re.search(pattern, folded):
            found.append(word.rstrip("*"))
    return found


@dataclass(frozen=True)
class Check:
    """A template body checked: its preview (None when it cannot be rendered) and what is wrong with it."""

    preview: Preview | None
    errors: list[tuple[str, dict[str, object]]]  # (French message, its parameters), translated when shown
    budget: int


def check_body(body: str, kind: str, language: str, settings: Settings) -> Check:
    """Everything that would refuse `body`, as messages to show next to the field."""
    budget = segment_budget(kind)
    if not body.strip():
        return Check(
            None, [(_("Ce texte est obligatoire : les deux langues sont enregistrées ensemble."), {})], budget
        )
    errors: list[tuple[str, dict[str, object]]] = []
    unknown = find_unknown_placeholders(body, kind)
    if unknown:
        known = ", ".join("{" + name + "}" for name in placeholders(kind))
        errors.append(
            (
                _("Variable inconnue : %(unknown)s. Variables possibles : %(known)s."),
                {"unknown": ", ".join("{" + name + "}" for name in unknown), "known": known or "—"},
            )
        )
    found = forbidden_words(body, settings.forbidden_words)
    if found:
        errors.append(
            (
                _("Mot interdit, il révèlerait une maladie ou un médicament : %(words)s."),
                {"words": ", ".join(found)},
            )
        )
    result = None
    if not unknown:
        try:
            result = preview(body, kind, language, settings)
        except TemplateError as error:
            errors.append((_("Ce texte ne peut pas être affiché : %(error)s"), {"error": str(error)}))
    if result is not None and result.sent_segments > budget:
        errors.append(
            (
                _("Trop long : %(n)s SMS une fois converti, %(max)s au plus pour ce message."),
                {"n": result.sent_segments, "max": budget},
            )
        )
    return Check(result, errors, budget)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(`equal`|`delete`|`insert`, text) pieces turning `old` into `new`, word by word."""
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    pieces = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("equal", "".join(old_words[a1:a2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(("delete", "".join(old_words[a1:a2])))
        if op in ("insert", "replace"):
            pieces.append(("insert", "".join(new_words[b1:b2])))
    return pieces
