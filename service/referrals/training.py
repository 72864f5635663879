"""Training records: what trainees' phones reported (marked `training` from their volunteer). They alert no
on-call clinician (see `alerts.raise_training_alert`), appear in no queue, dashboard, export or API list,
and are wiped in one action after a session."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.db import rowcount
from service.models import (
    AlertStep,
    Appointment,
    EmergencyAlert,
    FollowUp,
    MessageEvent,
    OutboundMessage,
    Referral,
    ReferralEvent,
    VisitRequest,
)


def wipe_training_records(session: Session) -> dict[str, int]:
    """Delete every training referral and visit request, and what hangs off them (history, follow-ups,
    alerts, SMS rows); return how many referrals and visit requests went. Trainees' accounts stay."""
    referrals = select(Referral.id).where(Referral.training.is_(True)).scalar_subquery()
    alerts = select(EmergencyAlert.id).where(EmergencyAlert.referral_id.in_(referrals)).scalar_subquery()
    messages = (
        select(OutboundMessage.id)
        .where(OutboundMessage.referral_id.in_(referrals) | OutboundMessage.alert_id.in_(alerts))
        .scalar_subquery()
    )
    session.execute(delete(MessageEvent).where(MessageEvent.message_id.in_(messages)))
    session.execute(delete(OutboundMessage).where(OutboundMessage.id.in_(messages)))
    session.execute(delete(AlertStep).where(AlertStep.alert_id.in_(alerts)))
    session.execute(delete(EmergencyAlert).where(EmergencyAlert.id.in_(alerts)))
    session.execute(delete(FollowUp).where(FollowUp.referral_id.in_(referrals)))
    session.execute(delete(ReferralEvent).where(ReferralEvent.referral_id.in_(referrals)))
    session.execute(
        update(Appointment).where(Appointment.referral_id.in_(referrals)).values(referral_id=None)
    )
    wiped_referrals = rowcount(session.execute(delete(Referral).where(Referral.training.is_(True))))
    wiped_visits = rowcount(session.execute(delete(VisitRequest).where(VisitRequest.training.is_(True))))
    return {"referrals": wiped_referrals, "visit_requests": wiped_visits}
