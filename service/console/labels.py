"""French labels (translated through the console catalog) of the codes stored in the database."""

from service.i18n import _
from service.outbox.kinds import KINDS

CATEGORY = {
    "depression": _("Dépression"),
    "psychosis": _("Psychose"),
    "epilepsy": _("Épilepsie, convulsions"),
    "child": _("Enfant ou adolescent"),
    "dementia": _("Démence"),
    "substance": _("Alcool ou drogues"),
    "self_harm": _("Auto-agression, suicide"),
    "other": _("Autre plainte importante"),
}
URGENCY = {"emergency": _("Urgence (24 h)"), "urgent": _("Urgent (72 h)"), "routine": _("Ordinaire (2 sem.)")}
RED_FLAG = {
    "self_harm": _("Idées ou acte suicidaire"),
    "agitation": _("Agitation"),
    "seizure": _("Convulsions"),
}
REFERRAL_STATUS = {
    "new": _("Nouveau"),
    "contacted": _("Contacté"),
    "appointment_set": _("Rendez-vous fixé"),
    "seen": _("Vu"),
    "closed": _("Clos"),
}
OUTCOME = {
    "seen_at_facility": _("Vu au centre de santé"),
    "better": _("Va mieux"),
    "not_found": _("Introuvable"),
    "moved": _("A déménagé"),
    "died": _("Décédé"),
    "refused": _("A refusé"),
}
MESSAGE_STATUS = {
    "scheduled": _("Programmé"),
    "queued": _("En file"),
    "sending": _("En cours d'envoi"),
    "sent": _("Envoyé"),
    "delivered": _("Remis"),
    "failed": _("Échec"),
    "dropped": _("Abandonné"),
    "cancelled": _("Annulé"),
    "unknown": _("Inconnu"),
    "held": _("Retenu : le texte dirait le soin"),
}
INBOUND_KIND = {
    "optout": _("Désinscription"),
    "alert_ack": _("Alerte prise en charge"),
    "confirm": _("Confirmation"),
    "possible_optout": _("Demande peut-être d'arrêter les SMS"),
    "other": _("Autre"),
}
MESSAGE_KIND = {name: kind.label for name, kind in KINDS.items()}
VISIT_WEEK = {"this_week": _("Cette semaine"), "next_week": _("Semaine prochaine"), "later": _("Plus tard")}
APPOINTMENT_STATUS = {
    "scheduled": _("Prévu"),
    "confirmed": _("Confirmé"),
    "attended": _("Venu"),
    "missed": _("Manqué"),
    "cancelled": _("Annulé"),
}
ROLE = {"admin": _("Administrateur"), "coordinator": _("Coordinateur"), "viewer": _("Lecteur")}
