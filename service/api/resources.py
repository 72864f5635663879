"""Each resource's answer, built from its rows as the pydantic models of `schemas.py`."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, object_session

from service.api import schemas
from service.models import (
    Appointment,
    Consultation,
    MedicationPlan,
    MessageEvent,
    OutboundMessage,
    Patient,
    Place,
    Referral,
    ReferralStatus,
    Urgency,
    VisitRequest,
    VisitStatus,
)
from service.places import ancestor_at_level
from service.timeutil import as_utc

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


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


def patient_json(patient: Patient) -> schemas.Patient:
    place = _session(patient).get(Place, patient.place_id) if patient.place_id else None
    return schemas.Patient(
        reference=patient.reference,
        phone=patient.phone,
        language=patient.language,
        shared_phone=patient.shared_phone,
        quiet_hours=patient.quiet_hours,
        sms_consent=patient.sms_consent,
        opted_out=patient.opted_out,
        place_code=_place_code(place),
        channel=patient.channel,
        voice_language=patient.voice_language,
        created_at=patient.created_at,
    )


def appointment_json(appointment: Appointment, tz: ZoneInfo) -> schemas.Appointment:
    referral = (
        _session(appointment).get(Referral, appointment.referral_id) if appointment.referral_id else None
    )
    return schemas.Appointment(
        id=appointment.id,
        patient=appointment.patient.reference,
        referral=referral.reference if referral else None,
        place_code=_place_code(appointment.place),
        mobile_unit=appointment.mobile_unit,
        starts_at=appointment.starts_at,
        starts_at_local=as_utc(appointment.starts_at).astimezone(tz).strftime(LOCAL_MINUTE),
        status=appointment.status,
        confirmed_at=appointment.confirmed_at,
        created_at=appointment.created_at,
        updated_at=appointment.updated_at,
    )


def consultation_json(consult: Consultation, tz: ZoneInfo) -> schemas.Consultation:
    referral = _session(consult).get(Referral, consult.referral_id) if consult.referral_id else None
    return schemas.Consultation(
        reference=consult.reference,
        patient=consult.patient.reference,
        referral=referral.reference if referral else None,
        psychiatrist=consult.specialist.phone,
        health_worker=consult.health_worker.phone if consult.health_worker else None,
        area_code=consult.area.code,
        starts_at=consult.starts_at,
        starts_at_local=as_utc(consult.starts_at).astimezone(tz).strftime(LOCAL_MINUTE),
        minutes=consult.minutes,
        mode=consult.mode,
        status=consult.status,
        confirmed_at=consult.confirmed_at,
        cancel_reason=consult.cancel_reason,
        followup_date=consult.followup_date,
        treatment_started=consult.treatment_started,
        created_at=consult.created_at,
        updated_at=consult.updated_at,
    )


def medication_plan_json(plan: MedicationPlan) -> schemas.MedicationPlan:
    return schemas.MedicationPlan(
        id=plan.id,
        patient=plan.patient.reference,
        times=[part.strip() for part in plan.times.split(",") if part.strip()],
        days_of_week=[int(day) for day in plan.days_of_week],
        start_date=plan.start_date,
        end_date=plan.end_date,
        active=plan.active,
        created_at=plan.created_at,
    )


def referral_json(referral: Referral) -> schemas.Referral:
    """A referral; the contact phone only when the person consented to be contacted."""
    return schemas.Referral(
        reference=referral.reference,
        category=referral.category,
        sex=referral.sex,
        age=referral.age,
        red_flag=referral.red_flag,
        urgency=Urgency(referral.urgency),
        status=ReferralStatus(referral.status),
        outcome=referral.outcome,
        consent=referral.consent,
        contact_phone=referral.contact_phone if referral.consent else None,
        phone_shared=referral.phone_shared if referral.consent else None,
        place_code=referral.place.code,
        place_name=referral.place.name,
        district_code=_district_code(referral.place),
        patient=_patient_reference(referral),
        channel=referral.channel,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        first_contact_at=referral.first_contact_at,
    )


def visit_request_json(visit: VisitRequest) -> schemas.VisitRequest:
    return schemas.VisitRequest(
        reference=visit.reference,
        place_code=visit.place.code,
        place_name=visit.place.name,
        district_code=_district_code(visit.place),
        people_waiting=visit.people_waiting,
        preferred_week=visit.preferred_week,
        week_start=visit.week_start,
        status=VisitStatus(visit.status),
        round_id=visit.round_id,
        created_at=visit.created_at,
    )


def message_json(message: OutboundMessage, history: list[MessageEvent] | None = None) -> schemas.Message:
    """Status of a patient's SMS. Never its text or parameters: those can reveal why the person is seen."""
    return schemas.Message(
        id=message.id,
        kind=message.kind,
        patient=_patient_reference(message),
        appointment_id=message.appointment_id,
        medication_plan_id=message.medication_plan_id,
        language=message.language,
        status=message.status,
        attempts=message.attempts,
        segments=message.segments,
        due_at=message.due_at,
        sent_at=message.sent_at,
        delivered_at=message.delivered_at,
        created_at=message.created_at,
        updated_at=message.updated_at,
        history=None
        if history is None
        else [schemas.MessageEvent(status=event.status, at=event.created_at) for event in history],
    )
