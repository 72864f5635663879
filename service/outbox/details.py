"""What a message's history event (or an emergency alert's step) says about its change, written once:
the English line stored with the event (logs and the command line read it) and the French text the
console shows in its place.

A gateway's own words (the reason it gives for a failure) are stored as they came and shown as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.i18n import _

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Detail:
    english: str  # stored; `%(name)s` values
    french: str  # console catalog msgid, same values
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = PLACEHOLDER.split(self.english)  # text, name, text, name, ... text
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        object.__setattr__(self, "pattern", re.compile(regex, re.S))

    def text(self, **params: object) -> str:
        return self.english % params

    def match(self, stored: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(stored)
        return found.groupdict() if found else None


ATTEMPT = Detail("attempt %(n)s", _("tentative %(n)s"))
ACCEPTED = Detail("accepted %(id)s", _("accepté par la passerelle (n° %(id)s)"))
REPORT = Detail("delivery report %(status)s", _("rapport de la passerelle : %(status)s"))
EXPIRED = Detail("expired at %(when)s", _("trop tard : le message expirait le %(when)s"))
OPTED_OUT = Detail("patient opted out", _("le patient a demandé l'arrêt des SMS"))
NO_CONSENT = Detail("no SMS consent", _("pas d'accord pour les SMS"))
QUIET_HOURS = Detail("quiet hours: held until %(when)s", _("heures de repos : attend jusqu'au %(when)s"))
CANNOT_RENDER = Detail("cannot render: %(why)s", _("texte impossible à composer : %(why)s"))
HELD = Detail("held: the text would say %(words)s", _("retenu : le texte dirait %(words)s"))
GAVE_UP = Detail("gave up after %(n)s attempts: %(why)s", _("abandon après %(n)s tentatives : %(why)s"))
REQUEUED = Detail("enqueued again: its job was lost or is late", _("remis en file : sa tâche était perdue"))
NO_ANSWER = Detail(
    "no answer recorded: the worker stopped while sending; not resent",
    _("aucune réponse : l'envoi s'est arrêté en cours ; pas renvoyé"),
)
RELEASED = Detail("released after a check", _("libéré après vérification"))
# An emergency alert's step that found no on-call clinician.
ALERT_STEP = Detail("step %(n)s", _("relance %(n)s"))
# A call's life.
CALLING_HOURS = Detail("calling hours: held until %(when)s", _("heures d'appel : attend jusqu'au %(when)s"))
NO_RECORDING = Detail(
    "no recording for %(voice)s: sent by SMS", _("pas d'enregistrement en %(voice)s : envoyé par SMS")
)
# A call whose SMS goes out beside it (an alert, a patient reminded both ways).
SMS_ALONE = Detail(
    "no recording for %(voice)s: its SMS alone",
    _("pas d'enregistrement en %(voice)s : son SMS seul"),
)
KEY = Detail("key %(key)s pressed", _("touche %(key)s appuyée"))
CALL_ENDED = Detail("call ended: %(cause)s", _("appel terminé : %(cause)s"))
NOT_REACHED = Detail(
    "not reached after %(n)s calls: sent by SMS", _("pas joint après %(n)s appels : envoyé par SMS")
)
# A referral's appointment, as its history records it (shown by the referral page, not a message's).
APPOINTMENT = Detail("%(patient)s %(when)s", _("%(patient)s, %(when)s"))

DETAILS = (
    ATTEMPT,
    ACCEPTED,
    REPORT,
    EXPIRED,
    OPTED_OUT,
    NO_CONSENT,
    QUIET_HOURS,
    CANNOT_RENDER,
    HELD,
    GAVE_UP,
    REQUEUED,
    NO_ANSWER,
    RELEASED,
    ALERT_STEP,
    CALLING_HOURS,
    NO_RECORDING,
    SMS_ALONE,
    KEY,
    CALL_ENDED,
    NOT_REACHED,
)


def french(stored: str) -> tuple[str, dict[str, str]] | None:
    """The console's msgid and values for a stored detail line, or None for a gateway's own words."""
    for detail in DETAILS:
        params = detail.match(stored)
        if params is not None:
            return detail.french, params
    return None
