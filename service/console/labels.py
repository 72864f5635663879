"""French labels (translated through the console catalog) of the codes stored in the database."""

from service.gateways import GATEWAYS
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
ROLE = {
    "admin": _("Administrateur"),
    "coordinator": _("Coordinateur"),
    "viewer": _("Lecteur"),
    "translator": _("Traducteur"),
}
# Audit actions and the names of their details, as the audit page shows them.
AUDIT_ACTION = {
    "login": _("Connexion"),
    "logout": _("Déconnexion"),
    "user_created": _("Compte créé"),
    "user_deactivated": _("Compte désactivé"),
    "user_updated": _("Compte modifié"),
    "patient_added": _("Patient ajouté"),
    "patient_viewed": _("Dossier patient consulté"),
    "patient_updated": _("Patient modifié"),
    "patient_erased": _("Patient effacé (à sa demande)"),
    "patient_opt_out": _("Patient : SMS arrêtés"),
    "patient_opt_in": _("Patient : SMS repris"),
    "referral_contact_erased": _("Numéro de contact effacé"),
    "referral_contacted": _("Signalement : contacté"),
    "referral_seen": _("Signalement : vu"),
    "referral_appointment_set": _("Signalement : rendez-vous fixé"),
    "referral_closed": _("Signalement clos"),
    "alert_taken_in_charge": _("Urgence prise en charge"),
    "appointment_added": _("Rendez-vous fixé"),
    "appointment_move": _("Rendez-vous déplacé"),
    "appointment_cancel": _("Rendez-vous annulé"),
    "appointment_attended": _("Rendez-vous honoré"),
    "medication_added": _("Traitement ajouté"),
    "medication_cancelled": _("Traitement arrêté"),
    "export": _("Export"),
    "export_full": _("Export complet (données identifiantes)"),
    "inbound_handled": _("Réponse SMS traitée"),
    "message_released": _("SMS retenu envoyé"),
    "system_alert_resolved": _("Alerte système résolue"),
    "template_saved": _("Modèle de SMS enregistré"),
    "template_restored": _("Modèle de SMS rétabli"),
    "round_planned": _("Tournée planifiée"),
    "round_moved": _("Tournée déplacée"),
    "round_cancelled": _("Tournée annulée"),
    "oncall_added": _("Médecin de garde ajouté"),
    "oncall_deactivated": _("Médecin de garde retiré"),
    "volunteer_added": _("Relais ajouté"),
    "volunteer_deactivated": _("Relais désactivé"),
    "training_wiped": _("Données de formation effacées"),
    "translation_saved": _("Traduction enregistrée"),
    "translations_imported": _("Traductions importées"),
    "api.token.create": _("API : jeton créé"),
    "api.token.revoke": _("API : jeton révoqué"),
    "api.patient.create": _("API : patient ajouté"),
    "api.appointment.create": _("API : rendez-vous fixé"),
    "api.appointment.cancel": _("API : rendez-vous annulé"),
    "api.appointment.move": _("API : rendez-vous déplacé"),
    "api.medication_plan.create": _("API : traitement ajouté"),
}
AUDIT_DETAIL = {
    "patient": _("patient"),
    "reference": _("signalement"),
    "referral": _("signalement"),
    "appointment": _("rendez-vous"),
    "medication_plan": _("traitement"),
    "reason": _("motif"),
    "what": _("quoi"),
    "since": _("du"),
    "until": _("au"),
    "rows": _("lignes"),
    "full": _("complet"),
    "kind": _("type"),
    "versions": _("versions"),
    "email": _("e-mail"),
    "role": _("rôle"),
    "address": _("adresse"),
    "phone": _("téléphone"),
    "starts_at": _("début"),
    "detail": _("détail"),
}
GATEWAY = {name: module.LABEL for name, (module, _adapter) in GATEWAYS.items()}
LANGUAGE = {"fr": _("Français"), "bm": _("Bambara")}
# What happened to a referral, as its history shows it (its statuses, and a volunteer's follow-up).
REFERRAL_EVENT = {
    **REFERRAL_STATUS,
    "followup": _("Suivi du relais"),
    "taken_in_charge": _("Urgence prise en charge"),
}
# The steps of an emergency alert.
ALERT_STEP = {
    "alerted": _("Médecin de garde alerté"),
    "escalated": _("Relance au médecin suivant"),
    "escalated_all": _("Relance à tous les médecins du district"),
    "acknowledged": _("Prise en charge"),
    "no_oncall": _("Aucun médecin de garde"),
}
SYSTEM_ALERT = {
    "insufficient_balance": _("Plus de crédit SMS"),
    "gateway_config": _("Passerelle SMS mal configurée"),
    "gateway_down": _("Passerelle SMS en panne"),
    "unknown_sends": _("SMS peut-être envoyés"),
    "held_sms": _("SMS retenus"),
    "no_oncall": _("District sans médecin de garde"),
}
# What a coordinator does about each system alert (its technical message is folded below it).
SYSTEM_ALERT_ACTION = {
    "insufficient_balance": _("Rechargez le compte SMS. Les SMS attendent et partiront ensuite."),
    "gateway_config": _("Faites vérifier les réglages de la passerelle SMS. Les SMS attendent."),
    "gateway_down": _(
        "La passerelle ne répond plus. Les SMS passent par une autre passerelle s'il y en a une ; "
        "prévenez l'équipe technique."
    ),
    "unknown_sends": _(
        "Certains SMS sont peut-être partis sans réponse de la passerelle. Ils ne sont pas renvoyés : "
        "voyez les SMS « Inconnu » dans Messages."
    ),
    "held_sms": _(
        "Un SMS aurait nommé une maladie ou un médicament : il n'est pas parti. Donnez au lieu un nom "
        "neutre pour les SMS ou corrigez le modèle, puis renvoyez-le depuis Messages."
    ),
    "no_oncall": _("Une urgence n'a pu alerter aucun médecin. Ajoutez un médecin de garde pour ce district."),
}
TRANSLATION_STATUS = {"missing": _("manquante"), "draft": _("brouillon"), "reviewed": _("relue")}
TRANSLATION_AREA = {
    "ussd": _("Écrans USSD"),
    "sms": _("Mots des SMS"),
    "errors": _("Messages d'erreur"),
    "console": _("Console"),
}
