"""CSV exports for a date range (the `export` commands and the console's downloads).

Times are ISO-8601 UTC; `since` is inclusive, `until` exclusive. Each function writes a header and returns
the number of rows written. References stand for people: no name, contact phone or SMS text is exported.

By default an export is de-identified: no phone number at all, the health area instead of the village, the
age in bands, the danger sign only through the urgency it set. A full export (`full=True`: village, exact
age, danger sign, the volunteer's phone) is for admins who give a reason; the edges check and audit that.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from service.models import (
    Appointment,
    Consultation,
    HealthWorker,
    OutboundMessage,
    Patient,
    Place,
    Referral,
    Specialist,
    VisitRequest,
    Volunteer,
)

# The exports that have a full form (identifying details), for whoever gives a reason; it is audited.
FULL_EXPORTS = ("referrals", "visits", "consultations")

REFERRAL_COLUMNS = [
    "reference",
    "created_at",
    "category",
    "urgency",
    "sex",
    "age_band",
    "area_code",
    "consent",
    "status",
    "channel",
]
FULL_REFERRAL_COLUMNS = [
    "reference",
    "created_at",
    "category",
    "urgency",
    "red_flag",
    "sex",
    "age",
    "place_code",
    "consent",
    "phone_shared",
    "status",
    "channel",
    "volunteer_phone",
]
VISIT_COLUMNS = [
    "reference",
    "created_at",
    "place_code",
    "people_waiting",
    "preferred_week",
    "week_start",
    "status",
    "channel",
]
FULL_VISIT_COLUMNS = [*VISIT_COLUMNS, "volunteer_phone"]
# Lower bounds of the age bands of de-identified exports: children, adolescents, then ten-year bands.
AGE_BANDS = (0, 5, 10, 15, 18, 25, 35, 45, 55, 65)
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
CONSULTATION_COLUMNS = [
    "reference",
    "starts_at",
    "minutes",
    "area_code",
    "mode",
    "status",
    "confirmed_at",
    "followup_date",
    "treatment_started",
    "created_at",
]
FULL_CONSULTATION_COLUMNS = [
    *CONSULTATION_COLUMNS,
    "patient_reference",
    "specialist_phone",
    "health_worker_phone",
    "cancel_reason",
]
MESSAGE_COLUMNS = [
    "message_id",
    "kind",
    "channel",
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
    "voice_language",
    "call_seconds",
    "currency",
]


def age_band(age: int) -> str:
    """`25-34`, `65+`: the band of an age."""
    lower = max(bound for bound in AGE_BANDS if bound <= age)
    following = [bound for bound in AGE_BANDS if bound > age]
    return f"{lower}-{following[0] - 1}" if following else f"{lower}+"


def _flag(value: bool | None) -> str:
    return "" if value is None else str(int(value))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


# A cell a spreadsheet would run as a formula (`=HYPERLINK(...)` in a gateway's failure reason) starts with
# one of these; a plain number (a phone number, `+22376123456`) stays as it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """`value` as a spreadsheet shows it and never runs it: a would-be formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _write(
    session: Session,
    out: TextIO,
    query: Select,
    time_column: Any,
    columns: Sequence[str],
    to_row: Callable[..., list[Any]],
    since: datetime | None,
    until: datetime | None,
) -> int:
    """Write the header and one row per result of `query` within the range of `time_column`."""
    if since:
        query = query.where(time_column >= since)
    if until:
        query = query.where(time_column < until)
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for result in session.execute(query):
        writer.writerow([spreadsheet_safe(value) for value in to_row(*result)])
        count += 1
    return count


def export_referrals(
    session: Session,
    out: TextIO,
    since: datetime | None = None,
    until: datetime | None = None,
    full: bool = False,
) -> int:
    """Referrals created from `since` to `until`, oldest first; de-identified unless `full`."""
    area = aliased(Place)
    query = (
        select(Referral, Place.code, area.code, Volunteer.phone)
        .join(Place, Referral.place_id == Place.id)
        .outerjoin(area, Place.parent_id == area.id)
        .join(Volunteer, Referral.volunteer_id == Volunteer.id)
        .where(Referral.training.is_(False))
        .order_by(Referral.created_at, Referral.id)
    )

    def to_row(referral: Referral, place_code: str, area_code: str | None, volunteer_phone: str) -> list[Any]:
        if not full:
            return [
                referral.reference,
                referral.created_at.isoformat(),
                referral.category,
                referral.urgency,
                referral.sex,
                age_band(referral.age),
                area_code or "",
                _flag(referral.consent),
                referral.status,
                referral.channel,
            ]
        return [
            referral.reference,
            referral.created_at.isoformat(),
            referral.category,
            referral.urgency,
            referral.red_flag or "",
            referral.sex,
            referral.age,
            place_code,
            _flag(referral.consent),
            _flag(referral.phone_shared),
            referral.status,
            referral.channel,
            volunteer_phone,
        ]

    columns = FULL_REFERRAL_COLUMNS if full else REFERRAL_COLUMNS
    return _write(session, out, query, Referral.created_at, columns, to_row, since, until)


def export_visits(
    session: Session,
    out: TextIO,
    since: datetime | None = None,
    until: datetime | None = None,
    full: bool = False,
) -> int:
    """Visit requests created from `since` to `until`, oldest first; the volunteer's phone only if `full`."""
    query = (
        select(VisitRequest, Place.code, Volunteer.phone)
        .join(Place, VisitRequest.place_id == Place.id)
        .join(Volunteer, VisitRequest.volunteer_id == Volunteer.id)
        .where(VisitRequest.training.is_(False))
        .order_by(VisitRequest.created_at, VisitRequest.id)
    )

    def to_row(visit: VisitRequest, place_code: str, volunteer_phone: str) -> list[Any]:
        return [
            visit.reference,
            visit.created_at.isoformat(),
            place_code,
            visit.people_waiting,
            visit.preferred_week,
            visit.week_start.isoformat(),
            visit.status,
            visit.channel,
            *([volunteer_phone] if full else []),
        ]

    columns = FULL_VISIT_COLUMNS if full else VISIT_COLUMNS
    return _write(session, out, query, VisitRequest.created_at, columns, to_row, since, until)


def export_appointments(
    session: Session, out: TextIO, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Appointments starting from `since` to `until`, earliest first."""
    query = (
        select(Appointment, Patient.reference, Referral.reference, Place.code)
        .join(Patient, Appointment.patient_id == Patient.id)
        .outerjoin(Referral, Appointment.referral_id == Referral.id)
        .outerjoin(Place, Appointment.place_id == Place.id)
        .order_by(Appointment.starts_at, Appointment.id)
    )

    def to_row(
        appointment: Appointment,
        patient_reference: str,
        referral_reference: str | None,
        place_code: str | None,
    ) -> list[Any]:
        return [
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

    return _write(session, out, query, Appointment.starts_at, APPOINTMENT_COLUMNS, to_row, since, until)


def export_consultations(
    session: Session,
    out: TextIO,
    since: datetime | None = None,
    until: datetime | None = None,
    full: bool = False,
) -> int:
    """Remote consultations starting from `since` to `until`, earliest first: times, area, mode, status and
    outcome; `full` adds the patient's reference, the clinicians' phones and why it was cancelled."""
    query = (
        select(Consultation, Place.code, Patient.reference, Specialist.phone, HealthWorker.phone)
        .join(Place, Consultation.area_id == Place.id)
        .join(Patient, Consultation.patient_id == Patient.id)
        .join(Specialist, Consultation.specialist_id == Specialist.id)
        .outerjoin(HealthWorker, Consultation.health_worker_id == HealthWorker.id)
        .order_by(Consultation.starts_at, Consultation.id)
    )

    def to_row(
        consultation: Consultation,
        area_code: str,
        patient_reference: str,
        specialist_phone: str,
        health_worker_phone: str | None,
    ) -> list[Any]:
        row = [
            consultation.reference,
            _iso(consultation.starts_at),
            consultation.minutes,
            area_code,
            consultation.mode,
            consultation.status,
            _iso(consultation.confirmed_at),
            consultation.followup_date.isoformat() if consultation.followup_date else "",
            _flag(consultation.treatment_started),
            _iso(consultation.created_at),
        ]
        if full:
            row += [
                patient_reference,
                specialist_phone,
                health_worker_phone or "",
                consultation.cancel_reason or "",
            ]
        return row

    columns = FULL_CONSULTATION_COLUMNS if full else CONSULTATION_COLUMNS
    return _write(session, out, query, Consultation.starts_at, columns, to_row, since, until)


def export_messages(
    session: Session, out: TextIO, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Outbound SMS and calls due from `since` to `until`, without phone numbers, text or keys pressed."""
    patient, referral = aliased(Patient), aliased(Referral)
    query = (
        select(OutboundMessage, patient.reference, referral.reference)
        .outerjoin(patient, OutboundMessage.patient_id == patient.id)
        .outerjoin(referral, OutboundMessage.referral_id == referral.id)
        .order_by(OutboundMessage.due_at, OutboundMessage.id)
    )

    def to_row(
        message: OutboundMessage, patient_reference: str | None, referral_reference: str | None
    ) -> list[Any]:
        return [
            message.id,
            message.kind,
            message.channel,
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
            message.voice_language or "",
            "" if message.duration_seconds is None else message.duration_seconds,
            message.currency or "",
        ]

    return _write(session, out, query, OutboundMessage.due_at, MESSAGE_COLUMNS, to_row, since, until)
