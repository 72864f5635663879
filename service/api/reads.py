"""Read routes: patients, appointments, medication plans, referrals, visit requests and SMS status."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select

from service import get_settings
from service.api.blueprint import ID, accepts_query, bp, by_id, by_reference
from service.api.errors import ApiError, invalid
from service.api.inputs import query_choice, query_since
from service.api.openapi import DOCUMENT
from service.api.pages import paginate
from service.api.resources import (
    appointment_json,
    medication_plan_json,
    message_json,
    patient_json,
    referral_json,
    visit_request_json,
)
from service.db import get_db
from service.models import (
    REFERRAL_STATUSES,
    URGENCIES,
    VISIT_STATUSES,
    Appointment,
    MedicationPlan,
    MessageEvent,
    OutboundMessage,
    Patient,
    Referral,
    VisitRequest,
)
from service.phones import InvalidPhone, normalize_phone


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return DOCUMENT


@bp.get("/patients")
@accepts_query("page", "per_page", "phone")
def list_patients() -> dict[str, Any]:
    query = select(Patient).order_by(Patient.id)
    phone = request.args.get("phone")
    if phone is not None:
        try:
            query = query.where(Patient.phone == normalize_phone(phone))
        except InvalidPhone as error:
            raise invalid("phone", str(error)) from None
    with get_db().session() as session:
        return paginate(session, query, patient_json)


@bp.get("/patients/<reference>")
def get_patient(reference: str) -> dict[str, Any]:
    with get_db().session() as session:
        return patient_json(by_reference(session, Patient, reference, "patient"))


@bp.get(f"/appointments/<{ID}:appointment_id>")
def get_appointment(appointment_id: int) -> dict[str, Any]:
    with get_db().session() as session:
        appointment = by_id(session, Appointment, appointment_id, "appointment")
        return appointment_json(appointment, get_settings().tz)


@bp.get(f"/medication-plans/<{ID}:plan_id>")
def get_medication_plan(plan_id: int) -> dict[str, Any]:
    with get_db().session() as session:
        return medication_plan_json(by_id(session, MedicationPlan, plan_id, "medication plan"))


@bp.get("/referrals")
@accepts_query("page", "per_page", "status", "urgency", "since")
def list_referrals() -> dict[str, Any]:
    """Oldest first; `since` compares with the last change, so partners can fetch what changed."""
    query = select(Referral).order_by(Referral.id)
    status = query_choice("status", REFERRAL_STATUSES)
    urgency = query_choice("urgency", URGENCIES)
    since = query_since("since", get_settings().tz)
    if status:
        query = query.where(Referral.status == status)
    if urgency:
        query = query.where(Referral.urgency == urgency)
    if since:
        query = query.where(Referral.updated_at >= since)
    with get_db().session() as session:
        return paginate(session, query, referral_json)


@bp.get("/referrals/<reference>")
def get_referral(reference: str) -> dict[str, Any]:
    with get_db().session() as session:
        return referral_json(by_reference(session, Referral, reference, "referral"))


@bp.get("/visit-requests")
@accepts_query("page", "per_page", "status", "since")
def list_visit_requests() -> dict[str, Any]:
    query = select(VisitRequest).order_by(VisitRequest.id)
    status = query_choice("status", VISIT_STATUSES)
    since = query_since("since", get_settings().tz)
    if status:
        query = query.where(VisitRequest.status == status)
    if since:
        query = query.where(VisitRequest.created_at >= since)
    with get_db().session() as session:
        return paginate(session, query, visit_request_json)


@bp.get(f"/messages/<{ID}:message_id>")
def get_message(message_id: int) -> dict[str, Any]:
    """Only SMS to patients are visible; alerts to clinicians stay internal."""
    with get_db().session() as session:
        message = by_id(session, OutboundMessage, message_id, "patient message")
        if message.patient_id is None:
            raise ApiError(404, "not_found", f"no patient message with id {message_id}")
        history = session.scalars(
            select(MessageEvent).where(MessageEvent.message_id == message.id).order_by(MessageEvent.id)
        )
        return message_json(message, list(history))


@bp.get("/patients/<reference>/messages")
@accepts_query("page", "per_page")
def list_patient_messages(reference: str) -> dict[str, Any]:
    with get_db().session() as session:
        patient = by_reference(session, Patient, reference, "patient")
        query = (
            select(OutboundMessage)
            .where(OutboundMessage.patient_id == patient.id)
            .order_by(OutboundMessage.id)
        )
        return paginate(session, query, message_json)
