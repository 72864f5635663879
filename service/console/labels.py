"""French labels (translated through the console catalog) of the codes stored in the database."""

from service.accounts import AuditAction
from service.gateways.registry import GATEWAYS
from service.i18n import _
from service.outbox.kinds import KINDS
from service.system_alerts import KINDS as ALERT_KINDS

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
    "consult_confirm": _("Consultation à distance confirmée"),
    "possible_optout": _("Demande peut-être d'arrêter les SMS"),
    "other": _("Autre"),
}
MESSAGE_KIND = {name: kind.label for name, kind in KINDS.items()}
SPECIALIST_ROLE = {"psychiatrist": _("Psychiatre"), "psychologist": _("Psychologue")}
CONSULT_MODE = {"phone": _("Téléphone"), "video": _("Vidéo")}
CONSULT_STATUS = {
    "booked": _("Réservée"),
    "confirmed": _("Confirmée"),
    "attended": _("Venu"),
    "missed": _("Absent"),
    "cancelled": _("Annulée"),
}
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
    AuditAction.LOGIN: _("Connexion"),
    AuditAction.LOGOUT: _("Déconnexion"),
    AuditAction.USER_CREATED: _("Compte créé"),
    AuditAction.USER_DEACTIVATED: _("Compte désactivé"),
    AuditAction.USER_UPDATED: _("Compte modifié"),
    AuditAction.PATIENT_ADDED: _("Patient ajouté"),
    AuditAction.PATIENT_VIEWED: _("Dossier patient consulté"),
    AuditAction.PATIENT_UPDATED: _("Patient modifié"),
    AuditAction.PATIENT_ERASED: _("Patient effacé (à sa demande)"),
    AuditAction.PATIENT_OPT_OUT: _("Patient : SMS arrêtés"),
    AuditAction.PATIENT_OPT_IN: _("Patient : SMS repris"),
    AuditAction.REFERRAL_CONTACT_ERASED: _("Numéro de contact effacé"),
    AuditAction.REFERRAL_CONTACTED: _("Signalement : contacté"),
    AuditAction.REFERRAL_SEEN: _("Signalement : vu"),
    AuditAction.REFERRAL_APPOINTMENT_SET: _("Signalement : rendez-vous fixé"),
    AuditAction.REFERRAL_CLOSED: _("Signalement clos"),
    AuditAction.ALERT_TAKEN_IN_CHARGE: _("Urgence prise en charge"),
    AuditAction.APPOINTMENT_ADDED: _("Rendez-vous fixé"),
    AuditAction.APPOINTMENT_MOVE: _("Rendez-vous déplacé"),
    AuditAction.APPOINTMENT_CANCEL: _("Rendez-vous annulé"),
    AuditAction.APPOINTMENT_ATTENDED: _("Rendez-vous honoré"),
    AuditAction.MEDICATION_ADDED: _("Traitement ajouté"),
    AuditAction.MEDICATION_CANCELLED: _("Traitement arrêté"),
    AuditAction.EXPORT: _("Export"),
    AuditAction.EXPORT_FULL: _("Export complet (données identifiantes)"),
    AuditAction.INBOUND_HANDLED: _("Réponse SMS traitée"),
    AuditAction.MESSAGE_RELEASED: _("SMS retenu envoyé"),
    AuditAction.SYSTEM_ALERT_RESOLVED: _("Alerte système résolue"),
    AuditAction.TEMPLATE_SAVED: _("Modèle de SMS enregistré"),
    AuditAction.TEMPLATE_RESTORED: _("Modèle de SMS rétabli"),
    AuditAction.ROUND_PLANNED: _("Tournée planifiée"),
    AuditAction.ROUND_MOVED: _("Tournée déplacée"),
    AuditAction.ROUND_CANCELLED: _("Tournée annulée"),
    AuditAction.ONCALL_ADDED: _("Médecin de garde ajouté"),
    AuditAction.ONCALL_DEACTIVATED: _("Médecin de garde retiré"),
    AuditAction.VOLUNTEER_ADDED: _("Relais ajouté"),
    AuditAction.VOLUNTEER_DEACTIVATED: _("Relais désactivé"),
    AuditAction.TRAINING_WIPED: _("Données de formation effacées"),
    AuditAction.TRANSLATION_SAVED: _("Traduction enregistrée"),
    AuditAction.TRANSLATIONS_IMPORTED: _("Traductions importées"),
    AuditAction.RECORDING_SAVED: _("Enregistrement vocal déposé"),
    AuditAction.CLINICIAN_ADDED: _("Soignant de consultation à distance ajouté"),
    AuditAction.CLINICIAN_DEACTIVATED: _("Soignant de consultation à distance désactivé"),
    AuditAction.CLINIC_SESSION_ADDED: _("Séance de consultation à distance ajoutée"),
    AuditAction.CLINIC_SESSION_CANCELLED: _("Séance de consultation à distance annulée pour une date"),
    AuditAction.CONSULT_BOOKED: _("Consultation à distance réservée"),
    AuditAction.CONSULT_MOVED: _("Consultation à distance déplacée"),
    AuditAction.CONSULT_CANCELLED: _("Consultation à distance annulée"),
    AuditAction.CONSULT_OUTCOME: _("Issue d'une consultation à distance"),
    AuditAction.DHIS2_PUSH: _("Chiffres envoyés au DHIS2"),
    AuditAction.PLACE_ORG_UNIT: _("Unité d'organisation DHIS2 d'une aire"),
    AuditAction.API_TOKEN_CREATE: _("API : jeton créé"),
    AuditAction.API_TOKEN_REVOKE: _("API : jeton révoqué"),
    AuditAction.API_PATIENT_CREATE: _("API : patient ajouté"),
    AuditAction.API_APPOINTMENT_CREATE: _("API : rendez-vous fixé"),
    AuditAction.API_APPOINTMENT_CANCEL: _("API : rendez-vous annulé"),
    AuditAction.API_APPOINTMENT_MOVE: _("API : rendez-vous déplacé"),
    AuditAction.API_MEDICATION_PLAN_CREATE: _("API : traitement ajouté"),
    AuditAction.API_CONSULT_CREATE: _("API : consultation à distance réservée"),
    AuditAction.API_CONSULT_UPDATE: _("API : consultation à distance modifiée"),
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
DHIS2_STATUS = {
    "SUCCESS": _("tout accepté"),
    "WARNING": _("en partie (conflits)"),
    "ERROR": _("refusé"),
    "FAILED": _("pas envoyé"),
}
# Languages calls may be played in that have no written catalog here (VOICE_LANGUAGES).
VOICE_LANGUAGE = {"khq": _("Songhaï"), "taq": _("Tamasheq"), "ff": _("Peul (fulfulde)")}
CHANNEL = {"sms": _("SMS"), "voice": _("Appel")}
# The prompts of every call, as the recordings page names them.
PROMPT = {
    "voice_keys": _("Touches : 1 confirmer, 0 réécouter, 9 arrêter"),
    "voice_stop_check": _("Arrêt : appuyez encore sur 9"),
    "voice_thanks": _("Merci, au revoir"),
    "voice_stopped": _("Arrêt confirmé"),
    "voice_goodbye": _("Au revoir"),
    "voice_greeting": _("Accueil d'un appel inconnu"),
}
PATIENT_CHANNEL = {"sms": _("SMS"), "voice": _("Appels (message enregistré)"), "both": _("SMS et appels")}
# A call's history lines beside its statuses.
CALL_EVENT = {
    "call:answered": _("Appel décroché"),
    "call:unreached": _("Appel sans réponse"),
    "call:unreachable": _("Numéro impossible à appeler"),
    "by_sms": _("Envoyé par SMS à la place"),
}
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
SYSTEM_ALERT = {kind: info.label for kind, info in ALERT_KINDS.items()}
# What a coordinator does about each system alert (its technical message is folded below it).
SYSTEM_ALERT_ACTION = {kind: info.action for kind, info in ALERT_KINDS.items()}
TRANSLATION_STATUS = {"missing": _("manquante"), "draft": _("brouillon"), "reviewed": _("relue")}
TRANSLATION_AREA = {
    "ussd": _("Écrans USSD"),
    "sms": _("Mots des SMS"),
    "errors": _("Messages d'erreur"),
    "console": _("Console"),
}
