"""Emergency alerts: an emergency referral alerts the district's on-call clinician at once.

Unacknowledged after ALERT_ESCALATE_MINUTES, the alert goes to the next on-call clinician of the district
(step 1), then to all of them (step 2). `OK <reference>` from an on-call clinician of the district, or a
coordinator taking it in charge, acknowledges it and stops the escalation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import system_alerts
from service.config import Settings
from service.db import rowcount
from service.models import (
    AlertStep,
    Channel,
    EmergencyAlert,
    OnCallClinician,
    OutboundMessage,
    PlaceLevel,
    Referral,
    ReferralEvent,
)
from service.outbox import details
from service.outbox.kinds import Kind
from service.outbox.rows import UNSENT, cancel_rows, schedule_message
from service.periodic import PassContext
from service.places import ancestor_at_level
from service.system_alerts import AlertKind
from service.timeutil import utcnow

NO_ONCALL = "no_oncall"
# The referral history line written when someone takes an emergency alert in charge.
TAKEN_IN_CHARGE = "taken_in_charge"


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
        "village": referral.place.name_in_sms,
        "volunteer_phone": referral.volunteer.phone,
    }


def raise_training_alert(session: Session, settings: Settings, referral: Referral) -> None:
    """A trainee's emergency alerts no on-call clinician: one SMS to TRAINING_ALERT_PHONE (the trainer)
    when it is set, with no escalation; nothing otherwise."""
    if settings.training_alert_phone is None:
        return
    schedule_message(
        session,
        kind=Kind.EMERGENCY_ALERT,
        recipient=settings.training_alert_phone,
        language="fr",
        params=alert_params(referral),
        due_at=utcnow(),
        dedupe_key=f"training-alert:{referral.id}",
        referral_id=referral.id,
    )


def raise_emergency_alert(
    session: Session, referral: Referral, escalate_after: timedelta, call: bool = False
) -> EmergencyAlert:
    """Create the alert and the SMS row to the first on-call clinician (and, with `call`: ONCALL_VOICE, a
    call that rings them), in the caller's transaction."""
    district = ancestor_at_level(referral.place, PlaceLevel.DISTRICT)
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
        system_alerts.raise_alert(
            session,
            AlertKind.NO_ONCALL,
            f"No on-call clinician in {district.name}: its emergencies alert nobody. "
            "Add one under On-call clinicians.",
        )
        session.add(AlertStep(alert_id=alert.id, kind=NO_ONCALL, detail=district.code))
        return alert
    first = clinicians[0]
    alert_clinician(
        session,
        call,
        kind=Kind.EMERGENCY_ALERT,
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


def alert_clinician(session: Session, call: bool, **fields: Any) -> None:
    """The alert's SMS to one clinician (the reference, the village, the volunteer's phone) and, when
    `call`, a call that rings them too, any hour: an SMS does not wake anyone at 3 a.m. The call plays a
    recording that names no condition; pressing 1 takes the alert in charge as `OK <ref>` does."""
    schedule_message(session, **fields)
    if call:
        voice = {"channel": Channel.VOICE, "voice_language": fields["language"]}
        schedule_message(session, **{**fields, "dedupe_key": f"{fields['dedupe_key']}:voice", **voice})


LAST_STEP = 2
STEP_KINDS = {1: "escalated", 2: "escalated_all"}


def escalation_pass(context: PassContext) -> dict[str, int]:
    """The worker's escalation pass; it runs before sending so that escalations leave in the same pass."""
    with context.database.session() as session:
        return {"escalated": escalate_due_alerts(session, context.settings, context.now)}


def escalate_due_alerts(session: Session, settings: Settings, now: datetime) -> int:
    """Escalate unacknowledged alerts whose time has come; return how many were escalated."""
    due = session.scalars(
        select(EmergencyAlert)
        .where(
            EmergencyAlert.acknowledged_at.is_(None),
            EmergencyAlert.next_escalation_at.is_not(None),
            EmergencyAlert.next_escalation_at <= now,
        )
        .order_by(EmergencyAlert.next_escalation_at)
    ).all()
    return sum(_escalate(session, settings, alert, now) for alert in due)


def _escalate(session: Session, settings: Settings, alert: EmergencyAlert, now: datetime) -> bool:
    step = alert.step + 1
    next_at = None if step >= LAST_STEP else now + timedelta(minutes=settings.alert_escalate_minutes)
    # Claim the step with a conditional update: two sweepers, or an acknowledgement arriving meanwhile,
    # can never make a step happen twice or after the acknowledgement.
    claimed = rowcount(
        session.execute(
            update(EmergencyAlert)
            .where(
                EmergencyAlert.id == alert.id,
                EmergencyAlert.step == alert.step,
                EmergencyAlert.acknowledged_at.is_(None),
            )
            .values(step=step, next_escalation_at=next_at)
            .execution_options(synchronize_session="fetch")
        )
    )
    if not claimed:
        return False
    clinicians = oncall_for(session, alert.district_id)
    targets = _targets(session, alert, clinicians) if step == 1 else clinicians
    if not targets:
        session.add(
            AlertStep(
                alert_id=alert.id, kind=NO_ONCALL, detail=details.ALERT_STEP.text(n=step), created_at=now
            )
        )
        return True
    for clinician in targets:
        alert_clinician(
            session,
            settings.oncall_voice,
            kind=Kind.ALERT_ESCALATION,
            recipient=clinician.phone,
            language=clinician.language,
            params=alert_params(alert.referral),
            due_at=now,
            dedupe_key=f"alert:{alert.id}:{step}:{clinician.id}",
            alert_id=alert.id,
            referral_id=alert.referral_id,
        )
    detail = ",".join(clinician.phone for clinician in targets)
    session.add(AlertStep(alert_id=alert.id, kind=STEP_KINDS[step], detail=detail, created_at=now))
    return True


def _targets(
    session: Session, alert: EmergencyAlert, clinicians: list[OnCallClinician]
) -> list[OnCallClinician]:
    """The first clinician in call order not yet alerted; when all were, the alerted ones again."""
    alerted = set(
        session.scalars(select(OutboundMessage.recipient).where(OutboundMessage.alert_id == alert.id))
    )
    fresh = [clinician for clinician in clinicians if clinician.phone not in alerted]
    return fresh[:1] or clinicians


def acknowledge_alert(session: Session, reference: str, phone: str, now: datetime) -> EmergencyAlert | None:
    """Record that an on-call clinician of the alert's district took it; None if `phone` may not."""
    alert = session.scalar(
        select(EmergencyAlert).join(Referral).where(Referral.reference == reference.strip().upper())
    )
    if alert is None:
        return None
    clinician = session.scalar(
        select(OnCallClinician.id).where(
            OnCallClinician.district_id == alert.district_id,
            OnCallClinician.phone == phone,
            OnCallClinician.active.is_(True),
        )
    )
    if clinician is None:
        return None
    take_in_charge(session, alert, phone, now)
    return alert


def take_in_charge(session: Session, alert: EmergencyAlert, who: str, now: datetime) -> bool:
    """Record who took the alert in charge (a clinician's phone, or a coordinator), once: its escalation
    stops and its waiting SMS are cancelled. False when someone already had."""
    first = rowcount(
        session.execute(
            update(EmergencyAlert)
            .where(EmergencyAlert.id == alert.id, EmergencyAlert.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=who, next_escalation_at=None)
            .execution_options(synchronize_session="fetch")
        )
    )
    if first:
        cancel_rows(session, OutboundMessage.alert_id == alert.id, statuses=UNSENT)
        session.add(AlertStep(alert_id=alert.id, kind="acknowledged", detail=who, created_at=now))
        taken = ReferralEvent(referral_id=alert.referral_id, kind=TAKEN_IN_CHARGE, actor=who, created_at=now)
        session.add(taken)
    return bool(first)
