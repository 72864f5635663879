"""Write routes: register patients, schedule and change appointments, start medication plans.

The care area does the work and says why it refuses (a DomainError, whose kind the API's error handler
turns into 409 or 422); these routes parse JSON, call it, and record each write in the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import get_settings
from service.accounts import record_audit
from service.api.blueprint import ID, bp, by_id, by_reference
from service.api.errors import ApiError, invalid
from service.api.inputs import boolean, choice, clock_times, day, json_object, moment, text, weekdays
from service.api.resources import appointment_json, medication_plan_json, patient_json
from service.care.appointments import cancel_appointment, move_appointment, schedule_appointment
from service.care.medication import MAX_TIMES_A_DAY, add_medication_plan
from service.care.patients import add_patient, place_for
from service.db import get_db
from service.i18n import LANGUAGES
from service.models import Appointment, Patient, Referral

PATIENT_FIELDS = ("phone", "language", "shared_phone", "quiet_hours", "sms_consent", "place_code")
APPOINTMENT_FIELDS = ("starts_at", "place_code", "mobile_unit", "referral")
CHANGE_FIELDS = ("starts_at", "status")
PLAN_FIELDS = ("times", "days_of_week", "start_date", "end_date")


def _audit(session: Session, action: str, detail: dict[str, Any]) -> None:
    record_audit(session, f"token:{g.api_caller.name}", action, detail)


def _created(body: dict[str, Any], location: str) -> Response:
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


@bp.post("/patients")
def create_patient() -> Response:
    data = json_object(PATIENT_FIELDS)
    phone = text(data, "phone", required=True)
    language = choice(data, "language", LANGUAGES, "fr")
    shared_phone = boolean(data, "shared_phone", False)
    sms_consent = boolean(data, "sms_consent", True)
    quiet_hours = text(data, "quiet_hours")
    place_code = text(data, "place_code")
    with get_db().session() as session:
        patient = add_patient(
            session,
            phone,
            language=language,
            shared_phone=shared_phone,
            quiet_hours=quiet_hours,
            sms_consent=sms_consent,
            place_code=place_code,
        )
        _audit(session, "api.patient.create", {"patient": patient.reference})
        return _created(patient_json(patient), url_for("api.get_patient", reference=patient.reference))


@bp.post("/patients/<reference>/appointments")
def create_appointment(reference: str) -> Response:
    settings = get_settings()
    data = json_object(APPOINTMENT_FIELDS)
    starts_at = moment(text(data, "starts_at", required=True), "starts_at", settings.tz)
    mobile_unit = boolean(data, "mobile_unit", False)
    place_code = text(data, "place_code")
    referral_reference = text(data, "referral")
    with get_db().session() as session:
        patient = by_reference(session, Patient, reference, "patient")
        place = place_for(session, place_code)
        referral = None
        if referral_reference:
            referral = session.scalar(
                select(Referral).where(Referral.reference == referral_reference.upper())
            )
            if referral is None:
                raise invalid("referral", f"no referral with reference {referral_reference!r}")
        appointment = schedule_appointment(
            session, settings, patient, starts_at, place=place, mobile_unit=mobile_unit, referral=referral
        )
        _audit(
            session, "api.appointment.create", {"appointment": appointment.id, "patient": patient.reference}
        )
        return _created(
            appointment_json(appointment, settings.tz),
            url_for("api.get_appointment", appointment_id=appointment.id),
        )


@bp.patch(f"/appointments/<{ID}:appointment_id>")
def change_appointment(appointment_id: int) -> dict[str, Any]:
    """`{"starts_at": ...}` moves the appointment and its reminders; `{"status": "cancelled"}` cancels it."""
    settings = get_settings()
    data = json_object(CHANGE_FIELDS)
    if len(data) != 1:
        raise ApiError(422, "invalid", "send either starts_at (to move) or status: cancelled (to cancel)")
    starts_at = None
    if "starts_at" in data:
        starts_at = moment(text(data, "starts_at", required=True), "starts_at", settings.tz)
    elif data["status"] != "cancelled":
        raise invalid("status", "only cancelled can be set")
    with get_db().session() as session:
        appointment = by_id(session, Appointment, appointment_id, "appointment")
        if starts_at is None:
            cancel_appointment(session, appointment)
            _audit(session, "api.appointment.cancel", {"appointment": appointment.id})
        else:
            move_appointment(session, settings, appointment, starts_at)
            _audit(session, "api.appointment.move", {"appointment": appointment.id, "starts_at": starts_at})
        return appointment_json(appointment, settings.tz)


@bp.post("/patients/<reference>/medication-plans")
def create_medication_plan(reference: str) -> Response:
    data = json_object(PLAN_FIELDS)
    times = clock_times(data.get("times"), "times", MAX_TIMES_A_DAY)
    days_of_week = None
    if data.get("days_of_week") is not None:
        days_of_week = "".join(str(number) for number in weekdays(data["days_of_week"], "days_of_week"))
    start_date = day(data.get("start_date"), "start_date")
    end_date = day(data.get("end_date"), "end_date")
    with get_db().session() as session:
        patient = by_reference(session, Patient, reference, "patient")
        plan = add_medication_plan(
            session, get_settings(), patient, times, days_of_week, start_date, end_date
        )
        _audit(
            session, "api.medication_plan.create", {"medication_plan": plan.id, "patient": patient.reference}
        )
        return _created(medication_plan_json(plan), url_for("api.get_medication_plan", plan_id=plan.id))
