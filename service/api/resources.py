"""The JSON shape of each resource; the OpenAPI schemas in `openapi.py` describe exactly these."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, object_session

from service.models import (
    Appointment,
    MedicationPlan,
    MessageEvent,
    OutboundMessage,
    Patient,
    Place,
    Referral,
    VisitRequest,
)
from service.places import ancestor_at_level
from service.timeutil import as_utc

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, whether the value was read back from the database or just set."""
    return as_utc(moment).isoformat() if moment else None


def _place_code(place: Place | None) -> str | None:
    return place.code if place else None


def _district_code(place: Place) -> str | None:
    try:
        return ancestor_at_level(place, "district").code
    except LookupError:
        return None


def _session(row: Any) -> Session:
    """The session a row was loaded in (serialisers look up related rows through it)."""
    session = object_session(row)
    if session is None:
        raise RuntimeError(f"{row!r} is detached from its session")
    return session


def _patient_reference(row: Any) -> str | None:
    if row.patient_id is None:
        return None
    patient = _session(row).get(Patient, row.patient_id)
    return patient.reference if patient else None


def patient_json(patient: Patient) -> dict[str, Any]:
    place = _session(patient).get(Place, patient.place_id) if patient.place_id else None
    return {
        "reference": patient.reference,
        "phone": patient.phone,
        "language": patient.language,
        "shared_phone": patient.shared_phone,
        "quiet_hours": patient.quiet_hours,
        "sms_consent": patient.sms_consent,
        "opted_out": patient.opted_out,
        "place_code": _place_code(place),
        "created_at": iso(patient.created_at),
    }


def appointment_json(appointment: Appointment, tz: ZoneInfo) -> dict[str, Any]:
    referral = (
        _session(appointment).get(Referral, appointment.referral_id) if appointment.referral_id else None
    )
    return {
        "id": appointment.id,
        "patient": appointment.patient.reference,
        "referral": referral.reference if referral else None,
        "place_code": _place_code(appointment.place),
        "mobile_unit": appointment.mobile_unit,
        "starts_at": iso(appointment.starts_at),
        "starts_at_local": appointment.starts_at.astimezone(tz).strftime(LOCAL_MINUTE),
        "status": appointment.status,
        "confirmed_at": iso(appointment.confirmed_at),
        "created_at": iso(appointment.created_at),
        "updated_at": iso(appointment.updated_at),
    }


def medication_plan_json(plan: MedicationPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "patient": plan.patient.reference,
        "times": [part.strip() for part in plan.times.split(",") if part.strip()],
        "days_of_week": [int(day) for day in plan.days_of_week],
        "start_date": plan.start_date.isoformat(),
        "end_date": plan.end_date.isoformat(),
        "active": plan.active,
        "created_at": iso(plan.created_at),
    }


def referral_json(referral: Referral) -> dict[str, Any]:
    """A referral; the contact phone only when the person consented to be contacted."""
    return {
        "reference": referral.reference,
        "category": referral.category,
        "sex": referral.sex,
        "age": referral.age,
        "red_flag": referral.red_flag,
        "urgency": referral.urgency,
        "status": referral.status,
        "outcome": referral.outcome,
        "consent": referral.consent,
        "contact_phone": referral.contact_phone if referral.consent else None,
        "phone_shared": referral.phone_shared if referral.consent else None,
        "place_code": referral.place.code,
        "place_name": referral.place.name,
        "district_code": _district_code(referral.place),
        "patient": _patient_reference(referral),
        "channel": referral.channel,
        "created_at": iso(referral.created_at),
        "updated_at": iso(referral.updated_at),
        "first_contact_at": iso(referral.first_contact_at),
    }


def visit_request_json(visit: VisitRequest) -> dict[str, Any]:
    return {
        "reference": visit.reference,
        "place_code": visit.place.code,
        "place_name": visit.place.name,
        "district_code": _district_code(visit.place),
        "people_waiting": visit.people_waiting,
        "preferred_week": visit.preferred_week,
        "week_start": visit.week_start.isoformat(),
        "status": visit.status,
        "round_id": visit.round_id,
        "created_at": iso(visit.created_at),
    }


def message_json(message: OutboundMessage, history: list[MessageEvent] | None = None) -> dict[str, Any]:
    """Status of a patient's SMS. Never its text or parameters: those can reveal why the person is seen."""
    shape: dict[str, Any] = {
        "id": message.id,
        "kind": message.kind,
        "patient": _patient_reference(message),
        "appointment_id": message.appointment_id,
        "medication_plan_id": message.medication_plan_id,
        "language": message.language,
        "status": message.status,
        "attempts": message.attempts,
        "segments": message.segments,
        "due_at": iso(message.due_at),
        "sent_at": iso(message.sent_at),
        "delivered_at": iso(message.delivered_at),
        "created_at": iso(message.created_at),
        "updated_at": iso(message.updated_at),
    }
    if history is not None:
        shape["history"] = [{"status": event.status, "at": iso(event.created_at)} for event in history]
    return shape
