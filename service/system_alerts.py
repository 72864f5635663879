"""Alerts for coordinators: problems that stop messages (no credit, bad gateway configuration, unknown
sends, a district with no on-call clinician), each shown once until it is resolved. `KINDS` is the one
registry of their kinds, with what the console says of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.i18n import _
from service.models import SystemAlert


class AlertKind(StrEnum):
    INSUFFICIENT_BALANCE = "insufficient_balance"
    GATEWAY_CONFIG = "gateway_config"
    GATEWAY_DOWN = "gateway_down"
    UNKNOWN_SENDS = "unknown_sends"
    HELD_SMS = "held_sms"
    NO_ONCALL = "no_oncall"  # an emergency alerted nobody: first among the alerts
    CONSULT_UNCONFIRMED = "consult_unconfirmed"  # a specialist has not confirmed a remote consultation
    CONSULT_MISSED = "consult_missed"  # a patient missed a remote consultation: book another
    DHIS2_PUSH_FAILED = "dhis2_push_failed"  # the monthly counts did not all reach the Ministry's DHIS2


@dataclass(frozen=True)
class AlertKindInfo:
    """How the console names a kind of alert, and what a coordinator does about it (French msgids,
    translated where shown; the alert's technical message is folded below them)."""

    label: str
    action: str


KINDS: dict[AlertKind, AlertKindInfo] = {
    AlertKind.INSUFFICIENT_BALANCE: AlertKindInfo(
        _("Plus de crédit SMS"), _("Rechargez le compte SMS. Les SMS attendent et partiront ensuite.")
    ),
    AlertKind.GATEWAY_CONFIG: AlertKindInfo(
        _("Passerelle SMS mal configurée"),
        _("Faites vérifier les réglages de la passerelle SMS. Les SMS attendent."),
    ),
    AlertKind.GATEWAY_DOWN: AlertKindInfo(
        _("Passerelle SMS en panne"),
        _(
            "La passerelle ne répond plus. Les SMS passent par une autre passerelle s'il y en a une ; "
            "prévenez l'équipe technique."
        ),
    ),
    AlertKind.UNKNOWN_SENDS: AlertKindInfo(
        _("SMS peut-être envoyés"),
        _(
            "Certains SMS sont peut-être partis sans réponse de la passerelle. Ils ne sont pas renvoyés : "
            "voyez les SMS « Inconnu » dans Messages."
        ),
    ),
    AlertKind.HELD_SMS: AlertKindInfo(
        _("SMS retenus"),
        _(
            "Un SMS aurait nommé une maladie ou un médicament : il n'est pas parti. Donnez au lieu un nom "
            "neutre pour les SMS ou corrigez le modèle, puis renvoyez-le depuis Messages."
        ),
    ),
    AlertKind.NO_ONCALL: AlertKindInfo(
        _("District sans médecin de garde"),
        _("Une urgence n'a pu alerter aucun médecin. Ajoutez un médecin de garde pour ce district."),
    ),
    AlertKind.CONSULT_UNCONFIRMED: AlertKindInfo(
        _("Consultation à distance non confirmée"),
        _(
            "Le spécialiste n'a pas répondu OK à cette consultation. Appelez-le ; s'il ne peut pas venir, "
            "déplacez ou annulez la consultation depuis Consultations."
        ),
    ),
    AlertKind.DHIS2_PUSH_FAILED: AlertKindInfo(
        _("Chiffres du mois non envoyés au DHIS2"),
        _(
            "Les chiffres du mois n'ont pas tous été acceptés par le DHIS2 du ministère. Ouvrez la page "
            "DHIS2 pour voir les conflits, corrigez la correspondance ou les unités d'organisation, puis "
            "renvoyez."
        ),
    ),
    AlertKind.CONSULT_MISSED: AlertKindInfo(
        _("Consultation à distance manquée"),
        _("Le patient n'est pas venu. Reprenez contact avec lui et réservez une nouvelle consultation."),
    ),
}
# Alerts that a later accepted message proves resolved.
CLEARED_BY_SUCCESS = (AlertKind.INSUFFICIENT_BALANCE, AlertKind.GATEWAY_CONFIG)


def raise_alert(session: Session, kind: AlertKind, message: str) -> SystemAlert:
    """Open an alert, unless the same one (kind and message) is open: coordinators see one alert per
    problem, and a problem of one place (a district) does not hide the same problem elsewhere."""
    open_alert = session.scalar(
        select(SystemAlert)
        .where(SystemAlert.kind == kind, SystemAlert.message == message, SystemAlert.resolved_at.is_(None))
        .limit(1)
    )
    if open_alert is not None:
        return open_alert
    alert = SystemAlert(kind=kind, message=message)
    session.add(alert)
    return alert


def resolve_alerts(
    session: Session, kinds: tuple[AlertKind, ...], now: datetime, message: str | None = None
) -> None:
    """Close open alerts of `kinds` (only the one with `message`, when given): the problem is gone."""
    query = update(SystemAlert).where(SystemAlert.kind.in_(kinds), SystemAlert.resolved_at.is_(None))
    if message is not None:
        query = query.where(SystemAlert.message == message)
    session.execute(query.values(resolved_at=now))
