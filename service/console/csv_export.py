"""CSV exports of appointments and messages for a date range: references, never names or diagnoses.

Times are ISO-8601 UTC; each function writes a header and returns the number of rows written.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from service.models import Appointment, OutboundMessage, Patient, Place, Referral

APPOINTMENT_COLUMNS = [
    "appointment_id",
    "patient_reference",
    "referral_reference",
    "starts_at",
    "place_code",
    "mobile_unit",
    "status",
    "confirmed_at",
    "created_at",
]
MESSAGE_COLUMNS = [
    "message_id",
    "kind",
    "language",
    "status",
    "due_at",
    "sent_at",
    "delivered_at",
    "attempts",
    "segments",
    "encoding",
    "cost",
    "last_error",
    "patient_reference",
    "referral_reference",
]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def export_appointments(
    session: Session, out: TextIO, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Appointments starting from `since` (inclusive) to `until` (exclusive)."""
    query = (
        select(Appointment, Patient.reference, Referral.reference, Place.code)
        .join(Patient, Appointment.patient_id == Patient.id)
        .outerjoin(Referral, Appointment.referral_id == Referral.id)
        .outerjoin(Place, Appointment.place_id == Place.id)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if since:
        query = query.where(Appointment.starts_at >= since)
    if until:
        query = query.where(Appointment.starts_at < until)
    writer = csv.writer(out)
    writer.writerow(APPOINTMENT_COLUMNS)
    count = 0
    for appointment, patient_reference, referral_reference, place_code in session.execute(query):
        writer.writerow(
            [
                appointment.id,
                patient_reference,
                referral_reference or "",
                _iso(appointment.starts_at),
                place_code or "",
                int(appointment.mobile_unit),
                appointment.status,
                _iso(appointment.confirmed_at),
                _iso(appointment.created_at),
            ]
        )
        count += 1
    return count


def export_messages(
    session: Session, out: TextIO, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Outbound SMS due from `since` (inclusive) to `until` (exclusive), without phone numbers or text."""
    patient, referral = aliased(Patient), aliased(Referral)
    query = (
        select(OutboundMessage, patient.reference, referral.reference)
        .outerjoin(patient, OutboundMessage.patient_id == patient.id)
        .outerjoin(referral, OutboundMessage.referral_id == referral.id)
        .order_by(OutboundMessage.due_at, OutboundMessage.id)
    )
    if since:
        query = query.where(OutboundMessage.due_at >= since)
    if until:
        query = query.where(OutboundMessage.due_at < until)
    writer = csv.writer(out)
    writer.writerow(MESSAGE_COLUMNS)
    count = 0
    for message, patient_reference, referral_reference in session.execute(query):
        writer.writerow(
            [
                message.id,
                message.kind,
                message.language,
                message.status,
                _iso(message.due_at),
                _iso(message.sent_at),
                _iso(message.delivered_at),
                message.attempts,
                message.segments or "",
                message.encoding or "",
                message.cost or "",
                message.last_error or "",
                patient_reference or "",
                referral_reference or "",
            ]
        )
        count += 1
    return count
