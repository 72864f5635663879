"""Triage of referrals by coordinators: contacted, appointment set, seen, closed.

Every change is a ReferralEvent naming the actor, and an audit entry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.care.appointments import schedule_appointment
from service.care.errors import CareError
from service.care.patients import add_patient, find_patient, place_for
from service.config import Settings
from service.errors import DomainError, ErrorKind
from service.models import (
    FOLLOWUP_OUTCOMES,
    Appointment,
    EmergencyAlert,
    Place,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from service.outbox import details
from service.outbox.kinds import Kind
from service.outbox.rows import schedule_message
from service.referrals.alerts import take_in_charge
from service.timeutil import utcnow

# From which statuses a referral may move to each status: the one rule for console, API and USSD.
ALLOWED_FROM = {
    ReferralStatus.CONTACTED: (ReferralStatus.NEW,),
    ReferralStatus.APPOINTMENT_SET: (ReferralStatus.NEW, ReferralStatus.CONTACTED),
    ReferralStatus.SEEN: (ReferralStatus.NEW, ReferralStatus.CONTACTED, ReferralStatus.APPOINTMENT_SET),
    ReferralStatus.CLOSED: (
        ReferralStatus.NEW,
        ReferralStatus.CONTACTED,
        ReferralStatus.APPOINTMENT_SET,
        ReferralStatus.SEEN,
    ),
}
URGENCY_ORDER = case({"emergency": 0, "urgent": 1}, value=Referral.urgency, else_=2)


class TriageError(DomainError):
    """A triage action that cannot be taken now (the referral's status forbids it), with the reason."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, kind=ErrorKind.CONFLICT, field="status", params=params)


def may_become(referral: Referral, status: ReferralStatus) -> bool:
    return referral.status in ALLOWED_FROM[status]


def record_change(
    session: Session, referral: Referral, kind: str, actor: str, detail: str | None = None
) -> None:
    """Add the referral's history event and the audit entry of one change."""
    session.add(ReferralEvent(referral_id=referral.id, kind=kind, detail=detail, actor=actor))
    record_audit(
        session, actor, AuditAction(f"referral_{kind}"), {"reference": referral.reference, "detail": detail}
    )


def move_to(
    session: Session, referral: Referral, status: ReferralStatus, actor: str, detail: str | None = None
) -> None:
    """Set the referral's status if the current one allows it, and record the change."""
    if referral.status not in ALLOWED_FROM[status]:
        raise TriageError(
            "This action is no longer possible for referral %(reference)s.", reference=referral.reference
        )
    referral.status = status
    record_change(session, referral, status, actor, detail)


def mark_contacted(
    session: Session, settings: Settings, referral: Referral, actor: str, now: datetime | None = None
) -> None:
    move_to(session, referral, ReferralStatus.CONTACTED, actor)
    record_first_contact(session, settings, referral, actor, now or utcnow())


def record_first_contact(
    session: Session, settings: Settings, referral: Referral, actor: str, now: datetime
) -> None:
    """The first contact with the person: its emergency alert, if any, counts as taken in charge by
    `actor`; its time is kept, and the volunteer who reported them hears that their report led somewhere
    (REFERRAL_FEEDBACK_SMS), once, in their language."""
    alert = session.scalar(select(EmergencyAlert).where(EmergencyAlert.referral_id == referral.id))
    if alert is not None:
        take_in_charge(session, alert, actor, now)
    if referral.first_contact_at is not None:
        return
    referral.first_contact_at = now
    if settings.referral_feedback_sms:
        volunteer = referral.volunteer
        schedule_message(
            session,
            kind=Kind.REFERRAL_ACK,
            recipient=volunteer.phone,
            language=volunteer.language,
            params={"reference": referral.reference},
            due_at=now,
            dedupe_key=f"referral_ack:{referral.id}",
            referral_id=referral.id,
        )


def mark_seen(session: Session, referral: Referral, actor: str) -> None:
    move_to(session, referral, ReferralStatus.SEEN, actor)


def close_referral(session: Session, referral: Referral, actor: str, outcome: str) -> None:
    if outcome not in FOLLOWUP_OUTCOMES:
        raise DomainError("Choose an outcome from the list.", field="outcome")
    move_to(session, referral, ReferralStatus.CLOSED, actor, outcome)
    referral.outcome = outcome


def set_appointment(
    session: Session,
    settings: Settings,
    referral: Referral,
    actor: str,
    *,
    starts_at: datetime,
    phone: str,
    language: str,
    place_code: str | None,
    mobile_unit: bool,
    now: datetime | None = None,
) -> Appointment:
    """Find or register the patient on `phone`, book the appointment with its reminders, and record it.

    Raises CareError (bad phone, time in the past, patient opted out...) or TriageError; nothing is kept then.
    """
    if not may_become(referral, ReferralStatus.APPOINTMENT_SET):
        raise TriageError(
            "Referral %(reference)s already has an appointment or is closed.", reference=referral.reference
        )
    if not phone.strip():
        raise CareError(
            "Give the patient's phone number: the referral has none that may be used.", field="phone"
        )
    now = now or utcnow()
    patient = find_patient(session, phone) or add_patient(
        session, phone, language=language, shared_phone=bool(referral.phone_shared)
    )
    appointment = schedule_appointment(
        session,
        settings,
        patient,
        starts_at,
        place=place_for(session, place_code),
        mobile_unit=mobile_unit,
        referral=referral,
        now=now,
    )
    referral.patient_id = patient.id
    record_first_contact(session, settings, referral, actor, now)
    move_to(
        session,
        referral,
        ReferralStatus.APPOINTMENT_SET,
        actor,
        details.APPOINTMENT.text(patient=patient.reference, when=starts_at.isoformat()),
    )
    return appointment


def descendant_ids(session: Session, place_id: int) -> set[int]:
    """The place and every place under it (the health map is small: one query, walked in memory)."""
    children: dict[int | None, list[int]] = {}
    for child_id, parent_id in session.execute(select(Place.id, Place.parent_id)):
        children.setdefault(parent_id, []).append(child_id)
    found, stack = set(), [place_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def queue_query(
    session: Session,
    *,
    urgency: str = "",
    status: str = "",
    district_id: int | None = None,
    category: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
):
    """Referrals matching the filters: emergencies first, then the longest waiting. No status = not closed."""
    query = (
        select(Referral)
        .where(Referral.training.is_(False))
        .order_by(URGENCY_ORDER, Referral.created_at, Referral.id)
    )
    query = (
        query.where(Referral.status == status)
        if status
        else query.where(Referral.status != ReferralStatus.CLOSED)
    )
    if urgency:
        query = query.where(Referral.urgency == urgency)
    if category:
        query = query.where(Referral.category == category)
    if district_id:
        query = query.where(Referral.place_id.in_(descendant_ids(session, district_id)))
    if since:
        query = query.where(Referral.created_at >= since)
    if until:
        query = query.where(Referral.created_at < until)
    return query
