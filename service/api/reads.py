"""Read routes: patients, appointments, medication plans, referrals, visit requests and SMS status."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from service.api import schemas
from service.api.blueprint import ID, bp, by_id, by_reference
from service.api.errors import ApiError
from service.api.openapi import document, operation
from service.api.pages import paginate
from service.api.resources import (
    appointment_json,
    medication_plan_json,
    message_json,
    patient_json,
    referral_json,
    visit_request_json,
)
from service.api.schemas import dump, local_moment
from service.config import get_settings
from service.db import get_db
from service.models import (
    Appointment,
    MedicationPlan,
    MessageEvent,
    OutboundMessage,
    Patient,
    Referral,
    VisitRequest,
)
from service.phones import normalize_phone


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return document(current_app)


@bp.get("/patients")
@operation(
    "List patients", schemas.PatientPage, "A page of patients.", query=schemas.PatientQuery, errors=(422,)
)
def list_patients(query: schemas.PatientQuery) -> dict[str, Any]:
    rows = select(Patient).order_by(Patient.id)
    if query.phone is not None:
        rows = rows.where(Patient.phone == normalize_phone(query.phone))
    with get_db().session() as session:
        return dump(paginate(session, rows, query, schemas.PatientPage, patient_json))


@bp.get("/patients/<reference>")
@operation("Read a patient", schemas.Patient, "The patient.", errors=(404,))
def get_patient(reference: str) -> dict[str, Any]:
    with get_db().session() as session:
        return dump(patient_json(by_reference(session, Patient, reference, "patient")))


@bp.get(f"/appointments/<{ID}:appointment_id>")
@operation("Read an appointment", schemas.Appointment, "The appointment.", errors=(404,))
def get_appointment(appointment_id: int) -> dict[str, Any]:
    with get_db().session() as session:
        appointment = by_id(session, Appointment, appointment_id, "appointment")
        return dump(appointment_json(appointment, get_settings().tz))


@bp.get(f"/medication-plans/<{ID}:plan_id>")
@operation("Read a medication plan", schemas.MedicationPlan, "The medication plan.", errors=(404,))
def get_medication_plan(plan_id: int) -> dict[str, Any]:
    with get_db().session() as session:
        return dump(medication_plan_json(by_id(session, MedicationPlan, plan_id, "medication plan")))


@bp.get("/referrals")
@operation(
    "List referrals",
    schemas.ReferralPage,
    "A page of referrals, oldest first.",
    query=schemas.ReferralQuery,
    errors=(422,),
)
def list_referrals(query: schemas.ReferralQuery) -> dict[str, Any]:
    """Oldest first; `since` compares with the last change, so partners can fetch what changed."""
    rows = select(Referral).where(Referral.training.is_(False)).order_by(Referral.id)
    if query.status:
        rows = rows.where(Referral.status == query.status)
    if query.urgency:
        rows = rows.where(Referral.urgency == query.urgency)
    if query.since:
        rows = rows.where(Referral.updated_at >= local_moment(query.since, get_settings().tz))
    with get_db().session() as session:
        return dump(paginate(session, rows, query, schemas.ReferralPage, referral_json))


@bp.get("/referrals/<reference>")
@operation("Read a referral", schemas.Referral, "The referral.", errors=(404,))
def get_referral(reference: str) -> dict[str, Any]:
    with get_db().session() as session:
        return dump(referral_json(by_reference(session, Referral, reference, "referral")))


@bp.get("/visit-requests")
@operation(
    "List mobile-unit visit requests",
    schemas.VisitRequestPage,
    "A page of visit requests, oldest first.",
    query=schemas.VisitRequestQuery,
    errors=(422,),
)
def list_visit_requests(query: schemas.VisitRequestQuery) -> dict[str, Any]:
    rows = select(VisitRequest).where(VisitRequest.training.is_(False)).order_by(VisitRequest.id)
    if query.status:
        rows = rows.where(VisitRequest.status == query.status)
    if query.since:
        rows = rows.where(VisitRequest.created_at >= local_moment(query.since, get_settings().tz))
    with get_db().session() as session:
        return dump(paginate(session, rows, query, schemas.VisitRequestPage, visit_request_json))


@bp.get(f"/messages/<{ID}:message_id>")
@operation(
    "Status and delivery history of one SMS to a patient (never its text)",
    schemas.Message,
    "The message.",
    errors=(404,),
)
def get_message(message_id: int) -> dict[str, Any]:
    """Only SMS to patients are visible; alerts to clinicians stay internal."""
    with get_db().session() as session:
        message = by_id(session, OutboundMessage, message_id, "patient message")
        if message.patient_id is None:
            raise ApiError(404, "not_found", f"no patient message with id {message_id}")
        history = session.scalars(
            select(MessageEvent).where(MessageEvent.message_id == message.id).order_by(MessageEvent.id)
        )
        return dump(message_json(message, list(history)))


@bp.get("/patients/<reference>/messages")
@operation(
    "Status of the SMS sent or due to a patient (never their text)",
    schemas.MessagePage,
    "A page of messages.",
    query=schemas.PageQuery,
    errors=(404, 422),
)
def list_patient_messages(reference: str, query: schemas.PageQuery) -> dict[str, Any]:
    with get_db().session() as session:
        patient = by_reference(session, Patient, reference, "patient")
        rows = (
            select(OutboundMessage)
            .where(OutboundMessage.patient_id == patient.id)
            .order_by(OutboundMessage.id)
        )
        return dump(paginate(session, rows, query, schemas.MessagePage, message_json))
