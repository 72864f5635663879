"""Whether a patient's reply asks to stop the SMS: said plainly, it opts the number out; said almost
(a typo), it goes to the top of the coordinators' inbox for a person to decide.

Replies are compared in plain letters, upper case, punctuation as spaces (`normalize_reply`), so
"Arrêtez svp !", "arretez SVP" and "ARRETEZ" read the same.
"""

from __future__ import annotations

from enum import StrEnum

from service.config import Settings

# Phrases that ask to stop, wherever they stand in the reply ("Merci, STOP", "a dabila"), in French,
# English and Bambara; the SMS themselves say "STOP pour ne plus recevoir de messages" and
# "STOP ci ka cikanw dabila". OPTOUT_WORDS_BM adds words.
PHRASES = (
    "STOP",
    "STOPPE",
    "STOPPER",
    "STOPPEZ",
    "ARRET",
    "ARRETE",
    "ARRETEZ",
    "ARRETER",
    "DESABONNER",
    "DESABONNEZ",
    "DESABONNE",
    "DESINSCRIRE",
    "DESINSCRIVEZ",
    "DESINSCRIT",
    "PLUS DE MESSAGE",
    "PLUS DE MESSAGES",
    "PLUS DE SMS",
    "NE PLUS RECEVOIR",
    "PLUS RECEVOIR",
    "NE M ENVOYEZ PLUS",
    "UNSUBSCRIBE",
    "JO",
    "LAJO",
    "DABILA",
)
# A word this close to a one-word phrase (one letter changed, added, dropped or two swapped) might be one.
NEAR_LENGTH = 4


class Intent(StrEnum):
    OPTOUT = "optout"
    POSSIBLE_OPTOUT = "possible_optout"
    NONE = "none"


def phrases(settings: Settings) -> tuple[str, ...]:
    return PHRASES + tuple(word.upper() for word in settings.optout_words_extra)


def optout_intent(normalized: str, settings: Settings) -> Intent:
    """What a normalised reply says about stopping the SMS."""
    padded = f" {normalized} "
    known = phrases(settings)
    if any(f" {phrase} " in padded for phrase in known):
        return Intent.OPTOUT
    single = [phrase for phrase in known if " " not in phrase and len(phrase) >= NEAR_LENGTH]
    for word in normalized.split():
        if len(word) >= NEAR_LENGTH and any(_one_edit_apart(word, phrase) for phrase in single):
            return Intent.POSSIBLE_OPTOUT
    return Intent.NONE


def _one_edit_apart(a: str, b: str) -> bool:
    """One substitution, insertion, deletion, or two neighbours swapped, turns `a` into `b`."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differ) == 1:
            return True
        first, second = differ[0], differ[-1]
        return len(differ) == 2 and second == first + 1 and a[first] == b[second] and a[second] == b[first]
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
