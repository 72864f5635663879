"""Emergency alerts: an emergency referral alerts the district's on-call clinicians at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AlertStep, EmergencyAlert, OnCallClinician, Referral, SystemAlert
from service.outbox import schedule_message
from service.places import ancestor_at_level
from service.timeutil import utcnow


def oncall_for(session: Session, district_id: int) -> list[OnCallClinician]:
    """Active on-call clinicians of a district, in the order they are called."""
    return list(
        session.scalars(
            select(OnCallClinician)
            .where(OnCallClinician.district_id == district_id, OnCallClinician.active.is_(True))
            .order_by(OnCallClinician.rank, OnCallClinician.id)
        )
    )


def alert_params(referral: Referral) -> dict[str, str]:
    """What an alert SMS says: the reference, the village and whom to call. Never the condition."""
    return {
        "reference": referral.reference,
        "village": referral.place.name,
        "volunteer_phone": referral.volunteer.phone,
    }


def raise_emergency_alert(session: Session, referral: Referral, escalate_after: timedelta) -> EmergencyAlert:
    """Create the alert and the SMS row to the first on-call clinician, in the caller's transaction."""
    district = ancestor_at_level(referral.place, "district")
    now = utcnow()
    alert = EmergencyAlert(
        referral=referral,
        district_id=district.id,
        step=0,
        next_escalation_at=now + escalate_after,
    )
    session.add(alert)
    session.flush()
    clinicians = oncall_for(session, district.id)
    if not clinicians:
        session.add(
            SystemAlert(
                kind="no_oncall",
                message=f"Emergency {referral.reference}: no on-call clinician in {district.name}.",
            )
        )
        session.add(AlertStep(alert_id=alert.id, kind="no_oncall", detail=district.code))
        return alert
    first = clinicians[0]
    schedule_message(
        session,
        kind="emergency_alert",
        recipient=first.phone,
        language=first.language,
        params=alert_params(referral),
        due_at=now,
        dedupe_key=f"alert:{alert.id}:0:{first.id}",
        alert_id=alert.id,
        referral_id=referral.id,
    )
    session.add(AlertStep(alert_id=alert.id, kind="alerted", detail=first.phone))
    return alert
