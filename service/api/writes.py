"""Write routes: register patients, schedule and change appointments, start medication plans.

The pydantic models of `schemas.py` check the body; the care area does the work and says why it refuses
(a DomainError, whose kind the API's error handler turns into 409 or 422); these routes call it and
record each write in the audit log.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import Response, url_for
from sqlalchemy import select

from service.accounts import AuditAction
from service.api import schemas
from service.api.blueprint import ID, audit, bp, by_id, by_reference, created
from service.api.errors import invalid
from service.api.openapi import operation
from service.api.resources import appointment_json, medication_plan_json, patient_json
from service.api.schemas import dump, local_moment
from service.care.appointments import cancel_appointment, move_appointment, schedule_appointment
from service.care.dates import WEEKDAYS
from service.care.medication import add_medication_plan
from service.care.patients import add_patient, place_for
from service.config import get_settings
from service.db import get_db
from service.models import Appointment, Patient, Referral


@bp.post("/patients")
@operation(
    "Register a patient",
    schemas.Patient,
    "The new patient.",
    status=201,
    body=schemas.PatientCreate,
    errors=(400, 409, 422),
)
def create_patient(body: schemas.PatientCreate) -> Response:
    with get_db().session() as session:
        patient = add_patient(
            session,
            body.phone,
            language=body.language or "fr",
            shared_phone=bool(body.shared_phone),
            quiet_hours=body.quiet_hours,
            sms_consent=body.sms_consent is not False,
            place_code=body.place_code,
            channel=body.channel or "sms",
            voice_language=body.voice_language,
            voice_languages=get_settings().voice_languages,
        )
        audit(session, AuditAction.API_PATIENT_CREATE, {"patient": patient.reference})
        return created(dump(patient_json(patient)), url_for("api.get_patient", reference=patient.reference))


@bp.post("/patients/<reference>/appointments")
@operation(
    "Schedule an appointment (reminders follow by SMS)",
    schemas.Appointment,
    "The new appointment.",
    status=201,
    body=schemas.AppointmentCreate,
    errors=(400, 404, 409, 422),
)
def create_appointment(reference: str, body: schemas.AppointmentCreate) -> Response:
    settings = get_settings()
    with get_db().session() as session:
        patient = by_reference(session, Patient, reference, "patient")
        place = place_for(session, body.place_code)
        referral = None
        if body.referral:
            referral = session.scalar(select(Referral).where(Referral.reference == body.referral.upper()))
            if referral is None:
                raise invalid("referral", f"no referral with reference {body.referral!r}")
        appointment = schedule_appointment(
            session,
            settings,
            patient,
            local_moment(body.starts_at, settings.tz),
            place=place,
            mobile_unit=bool(body.mobile_unit),
            referral=referral,
        )
        audit(
            session,
            AuditAction.API_APPOINTMENT_CREATE,
            {"appointment": appointment.id, "patient": patient.reference},
        )
        return created(
            dump(appointment_json(appointment, settings.tz)),
            url_for("api.get_appointment", appointment_id=appointment.id),
        )


@bp.patch(f"/appointments/<{ID}:appointment_id>")
@operation(
    "Move an appointment (starts_at) or cancel it (status: cancelled); reminders follow",
    schemas.Appointment,
    "The appointment as it now is.",
    body=schemas.AppointmentChange,
    errors=(400, 404, 409, 422),
)
def change_appointment(appointment_id: int, body: schemas.AppointmentChange) -> dict[str, Any]:
    """`{"starts_at": ...}` moves the appointment and its reminders; `{"status": "cancelled"}` cancels it."""
    settings = get_settings()
    with get_db().session() as session:
        appointment = by_id(session, Appointment, appointment_id, "appointment")
        if body.starts_at is None:
            cancel_appointment(session, appointment)
            audit(session, AuditAction.API_APPOINTMENT_CANCEL, {"appointment": appointment.id})
        else:
            starts_at = local_moment(body.starts_at, settings.tz)
            move_appointment(session, settings, appointment, starts_at)
            audit(
                session,
                AuditAction.API_APPOINTMENT_MOVE,
                {"appointment": appointment.id, "starts_at": starts_at},
            )
        return dump(appointment_json(appointment, settings.tz))


@bp.post("/patients/<reference>/medication-plans")
@operation(
    "Start medication reminders",
    schemas.MedicationPlan,
    "The new medication plan.",
    status=201,
    body=schemas.MedicationPlanCreate,
    errors=(400, 404, 409, 422),
)
def create_medication_plan(reference: str, body: schemas.MedicationPlanCreate) -> Response:
    days = body.days_of_week
    with get_db().session() as session:
        patient = by_reference(session, Patient, reference, "patient")
        plan = add_medication_plan(
            session,
            get_settings(),
            patient,
            [time.fromisoformat(at) for at in sorted(set(body.times))],
            "".join(WEEKDAYS[day] for day in sorted(set(days))) if days else None,
            body.start_date,
            body.end_date,
        )
        audit(
            session,
            AuditAction.API_MEDICATION_PLAN_CREATE,
            {"medication_plan": plan.id, "patient": patient.reference},
        )
        return created(dump(medication_plan_json(plan)), url_for("api.get_medication_plan", plan_id=plan.id))
