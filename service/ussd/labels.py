"""Words shown on the phone for stored keys (categories, danger signs, statuses...): English msgids."""

from __future__ import annotations

from service.i18n import _

# mhGAP priority conditions, short enough for a USSD line.
CATEGORY = {
    "self_harm": _("Self-harm/suicide"),
    "depression": _("Depression"),
    "psychosis": _("Psychosis"),
    "epilepsy": _("Epilepsy/seizures"),
    "child": _("Child/teen behaviour"),
    "dementia": _("Dementia"),
    "substance": _("Alcohol/drugs"),
    "other": _("Other complaint"),
}
NO_RED_FLAG = "none"
# The question's options, and the short words of the summary.
RED_FLAG_OPTION = {
    "self_harm": _("Thoughts or act of self-harm/suicide"),
    "agitation": _("Very agitated, violent, confused or unresponsive"),
    "seizure": _("Seizure now"),
    NO_RED_FLAG: _("None of these"),
}
RED_FLAG_SHORT = {
    "self_harm": _("self-harm"),
    "agitation": _("agitation"),
    "seizure": _("seizure"),
    NO_RED_FLAG: _("none"),
}
SEX = {"M": _("man"), "F": _("woman")}
OUTCOME = {
    "seen_at_facility": _("Seen at a facility"),
    "better": _("Better"),
    "not_found": _("Not found"),
    "moved": _("Moved away"),
    "died": _("Died"),
    "refused": _("Refused"),
}
STATUS = {
    "new": _("new"),
    "contacted": _("contacted"),
    "appointment_set": _("appointment set"),
    "seen": _("seen"),
    "closed": _("closed"),
}
WEEK = {"this_week": _("this week"), "next_week": _("next week"), "later": _("later")}
