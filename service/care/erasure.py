"""Erasure on request (Mali's law 2013-015): what identifies a patient is removed, what the dashboard
counts is kept under the reference alone. The audit log says who erased and why, never what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit, required_reason
from service.models import InboundMessage, OutboundMessage, Patient, Referral
from service.outbox.rows import UNSENT, cancel_rows

ERASED = ""  # what an erased phone number becomes: it matches no number and no one


def erase_patient(session: Session, patient: Patient, actor: str, reason: str | None, now: datetime) -> None:
    """Erase the patient on request, recording who and why (never what) in the audit log."""
    reason = required_reason(reason)
    forget_patient(session, patient, now)
    record_audit(session, actor, AuditAction.PATIENT_ERASED, {"patient": patient.reference, "reason": reason})


def erase_referral_contact(session: Session, referral: Referral, actor: str, reason: str | None) -> None:
    """Erase the contact phone a volunteer gave for a person, on request; who and why are audited."""
    reason = required_reason(reason)
    forget_referral_contact(referral)
    record_audit(
        session,
        actor,
        AuditAction.REFERRAL_CONTACT_ERASED,
        {"referral": referral.reference, "reason": reason},
    )


def forget_patient(session: Session, patient: Patient, now: datetime) -> None:
    """Remove the patient's phone number, the texts and parameters of their SMS (the keys pressed on their
    calls), their replies (when no
    other patient shares the phone) and the link from referrals to them; cancel what was still to be sent.
    Their reference, appointments and message statuses stay, for the counts."""
    phone = patient.phone
    cancel_rows(session, OutboundMessage.patient_id == patient.id, statuses=UNSENT)
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.patient_id == patient.id)
        .values(recipient=ERASED, text=None, params={}, digits=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    sharing = session.scalar(
        select(Patient.id).where(Patient.phone == phone, Patient.id != patient.id).limit(1)
    )
    if phone and sharing is None:
        session.execute(delete(InboundMessage).where(InboundMessage.sender == phone))
    for referral in session.scalars(select(Referral).where(Referral.patient_id == patient.id)):
        referral.patient_id = None
        if referral.contact_phone == phone:
            forget_referral_contact(referral)
    patient.phone, patient.quiet_hours = ERASED, None
    patient.sms_consent, patient.opted_out, patient.opted_out_at = False, True, patient.opted_out_at or now
    session.flush()


def forget_referral_contact(referral: Referral) -> None:
    """Remove the contact phone a volunteer gave for the person."""
    referral.contact_phone, referral.phone_shared = None, None
