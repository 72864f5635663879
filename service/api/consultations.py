"""Remote consultations through the partner API: list, read, book (POST, with Idempotency-Key), and change
one (PATCH: move, cancel, or record its outcome). The consults area does the work and says why it
refuses; these routes call it and record each write in the audit log."""

from __future__ import annotations

from typing import Any

from flask import Response, g, url_for
from sqlalchemy import select

from service.accounts import AuditAction
from service.api import schemas
from service.api.blueprint import audit, bp, by_reference, created
from service.api.errors import invalid
from service.api.openapi import operation
from service.api.pages import paginate
from service.api.resources import consultation_json
from service.api.schemas import dump, local_moment
from service.config import get_settings
from service.consults import booking
from service.consults.people import health_worker_by_phone, specialist_by_phone
from service.db import get_db
from service.models import Consultation, Patient, PlaceLevel, Referral
from service.places import by_code


@bp.get("/consultations")
@operation(
    "List remote consultations",
    schemas.ConsultationPage,
    "A page of consultations, oldest first.",
    query=schemas.ConsultationQuery,
    errors=(422,),
)
def list_consultations(query: schemas.ConsultationQuery) -> dict[str, Any]:
    settings = get_settings()
    rows = select(Consultation).order_by(Consultation.id)
    if query.status:
        rows = rows.where(Consultation.status == query.status)
    if query.since:
        rows = rows.where(Consultation.updated_at >= local_moment(query.since, settings.tz))
    if query.patient:
        patient = select(Patient.id).where(Patient.reference == query.patient.upper())
        rows = rows.where(Consultation.patient_id.in_(patient.scalar_subquery()))
    with get_db().session() as session:
        return dump(
            paginate(
                session, rows, query, schemas.ConsultationPage, lambda c: consultation_json(c, settings.tz)
            )
        )


@bp.get("/consultations/<reference>")
@operation("Read a remote consultation", schemas.Consultation, "The consultation.", errors=(404,))
def get_consultation(reference: str) -> dict[str, Any]:
    with get_db().session() as session:
        consult = by_reference(session, Consultation, reference, "consultation")
        return dump(consultation_json(consult, get_settings().tz))


@bp.post("/consultations")
@operation(
    "Book a remote consultation (the patient, health worker and specialist are reminded)",
    schemas.Consultation,
    "The new consultation.",
    status=201,
    body=schemas.ConsultationCreate,
    errors=(400, 404, 409, 422),
)
def create_consultation(body: schemas.ConsultationCreate) -> Response:
    settings = get_settings()
    with get_db().session() as session:
        referral = None
        if body.referral:
            referral = session.scalar(select(Referral).where(Referral.reference == body.referral.upper()))
            if referral is None or referral.training:
                raise invalid("referral", f"no referral with reference {body.referral!r}")
        consult = booking.book(
            session,
            settings,
            patient=by_reference(session, Patient, body.patient, "patient"),
            specialist=specialist_by_phone(session, body.psychiatrist),
            area=by_code(session, body.area_code, PlaceLevel.AREA, field="area_code"),
            starts_at=local_moment(body.starts_at, settings.tz),
            health_worker=health_worker_by_phone(session, body.health_worker) if body.health_worker else None,
            mode=body.mode or "phone",
            referral=referral,
        )
        audit(session, AuditAction.API_CONSULT_CREATE, {"consultation": consult.reference})
        location = url_for("api.get_consultation", reference=consult.reference)
        return created(dump(consultation_json(consult, settings.tz)), location)


@bp.patch("/consultations/<reference>")
@operation(
    "Move, cancel, or record the outcome of a remote consultation; everyone concerned is told",
    schemas.Consultation,
    "The consultation as it now is.",
    body=schemas.ConsultationChange,
    errors=(400, 404, 409, 422),
)
def change_consultation(reference: str, body: schemas.ConsultationChange) -> dict[str, Any]:
    settings = get_settings()
    with get_db().session() as session:
        consult = by_reference(session, Consultation, reference, "consultation")
        if body.starts_at is not None:
            booking.move(session, settings, consult, local_moment(body.starts_at, settings.tz))
        elif body.status == "cancelled":
            booking.cancel(session, settings, consult, body.reason or "")
        else:
            booking.record_outcome(
                session,
                settings,
                consult,
                attended=body.status == "attended",
                by=f"token:{g.api_caller.name}",
                followup_date=body.followup_date,
                treatment_started=body.treatment_started,
            )
        change = body.status or "moved"
        audit(session, AuditAction.API_CONSULT_UPDATE, {"consultation": consult.reference, "change": change})
        return dump(consultation_json(consult, settings.tz))
