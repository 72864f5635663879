"""The OpenAPI 3.0 description of /api/v1, as data; a test checks it lists exactly the blueprint's routes."""

from __future__ import annotations

from typing import Any

from service.api.blueprint import MAX_ID
from service.api.inputs import MAX_PER_PAGE
from service.care.medication import MAX_TIMES_A_DAY
from service.models import API_SCOPES, REFERRAL_STATUSES, URGENCIES, VISIT_STATUSES

LOCAL_OR_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$"
HHMM = r"^\d{2}:\d{2}$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """May be null; OpenAPI 3.0 also wants null listed in an enum."""
    if "enum" in schema:
        return {**schema, "nullable": True, "enum": [*schema["enum"], None]}
    return {**schema, "nullable": True}


def _object(properties: dict[str, Any], required: tuple[str, ...] | None = None) -> dict[str, Any]:
    """An object schema; answers list every property, so all are required unless `required` says otherwise."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties if required is None else required),
        "properties": properties,
    }


def _example(example: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "example": example}


def _page(item: str) -> dict[str, Any]:
    return _object(
        {
            "items": {"type": "array", "items": _ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "next": _nullable({"type": "string", "description": "Path and query of the next page."}),
        }
    )


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/E{status}"} for status in statuses}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key with the same body returns the first answer and creates "
    "nothing (header Idempotent-Replayed: true); the same key with another body gets 422. A key is "
    "freed when its request was refused.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
}


def _operation(
    summary: str,
    ok: tuple[int, str, str],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    """One operation; every operation can answer 401 and 403 (token missing, revoked or read-only)."""
    status, schema, description = ok
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {str(status): _json(_ref(schema), description), **_errors(401, 403, *errors)},
    }
    if status == 201:  # every creation accepts a key that makes its retries safe
        parameters = [*(parameters or []), IDEMPOTENCY_KEY]
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return operation


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PATIENT = {**_path("reference", {"type": "string"}, "The patient's reference."), "example": "P7K2"}
REFERRAL = {**_path("reference", {"type": "string"}, "The referral's reference."), "example": "R7K2"}
PAGE = [
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1."),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
        f"Items per page, at most {MAX_PER_PAGE}.",
    ),
]
SINCE = _query(
    "since",
    {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$"},
    "YYYY-MM-DD (from local midnight), YYYY-MM-DDTHH:MM (local) or an ISO datetime with offset.",
)


def _id(name: str) -> dict[str, Any]:
    return _path(name, {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "Numeric id.")


DATETIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
LANGUAGE = {"type": "string", "enum": ["fr", "bm"]}
STARTS_AT = {
    "type": "string",
    "pattern": LOCAL_OR_OFFSET,
    "description": "YYYY-MM-DDTHH:MM in the service's time zone (Africa/Bamako), or ISO 8601 with offset.",
}

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "description": "Stable machine-readable code."},
                    "message": {"type": "string", "description": "What went wrong, for people."},
                    "field": {"type": "string", "description": "The field or parameter at fault."},
                },
                required=("code", "message"),
            )
        }
    ),
    "Patient": _object(
        {
            "reference": {"type": "string"},
            "phone": {"type": "string", "description": "E.164, e.g. +22376123456."},
            "language": LANGUAGE,
            "shared_phone": {"type": "boolean"},
            "quiet_hours": _nullable({"type": "string", "description": "HH:MM-HH:MM, local time."}),
            "sms_consent": {"type": "boolean"},
            "opted_out": {"type": "boolean"},
            "place_code": _nullable({"type": "string"}),
            "created_at": DATETIME,
        }
    ),
    "PatientPage": _page("Patient"),
    "PatientCreate": _example(
        {"phone": "76 12 34 56", "language": "bm", "place_code": "TBK-A3"},
        _object(
            {
                "phone": {"type": "string", "description": "Mali numbers may be national: 76 12 34 56."},
                "language": _nullable({**LANGUAGE, "default": "fr"}),
                "shared_phone": _nullable({"type": "boolean", "default": False}),
                "quiet_hours": _nullable(
                    {
                        "type": "string",
                        "description": "HH:MM-HH:MM, local time; null for the service default.",
                    }
                ),
                "sms_consent": _nullable({"type": "boolean", "default": True}),
                "place_code": _nullable({"type": "string"}),
            },
            required=("phone",),
        ),
    ),
    "Appointment": _object(
        {
            "id": {"type": "integer"},
            "patient": {"type": "string", "description": "Patient reference."},
            "referral": _nullable({"type": "string", "description": "Referral reference."}),
            "place_code": _nullable({"type": "string"}),
            "mobile_unit": {"type": "boolean"},
            "starts_at": DATETIME,
            "starts_at_local": {
                "type": "string",
                "description": "YYYY-MM-DDTHH:MM in the service's time zone.",
            },
            "status": {"type": "string"},
            "confirmed_at": _nullable(DATETIME),
            "created_at": DATETIME,
            "updated_at": DATETIME,
        }
    ),
    "AppointmentCreate": _example(
        {"starts_at": "2030-12-02T09:30", "place_code": "TBK-A3"},
        _object(
            {
                "starts_at": STARTS_AT,
                "place_code": _nullable({"type": "string"}),
                "mobile_unit": _nullable({"type": "boolean", "default": False}),
                "referral": _nullable(
                    {"type": "string", "description": "Reference of the referral it answers."}
                ),
            },
            required=("starts_at",),
        ),
    ),
    "AppointmentChange": {
        "example": {"status": "cancelled"},
        **_object(
            {
                "starts_at": {
                    **STARTS_AT,
                    "description": "Move the appointment; " + STARTS_AT["description"],
                },
                "status": {"type": "string", "enum": ["cancelled"], "description": "Cancel the appointment."},
            },
            required=(),
        ),
        "minProperties": 1,
        "maxProperties": 1,
    },
    "MedicationPlan": _object(
        {
            "id": {"type": "integer"},
            "patient": {"type": "string"},
            "times": {"type": "array", "items": {"type": "string", "pattern": HHMM}},
            "days_of_week": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
            "start_date": DATE,
            "end_date": DATE,
            "active": {"type": "boolean"},
            "created_at": DATETIME,
        }
    ),
    "MedicationPlanCreate": _example(
        {"times": ["08:00", "20:00"], "start_date": "2030-12-01", "end_date": "2031-02-28"},
        _object(
            {
                "times": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_TIMES_A_DAY,
                    "items": {"type": "string", "pattern": HHMM},
                    "description": "Local times of the reminders, HH:MM.",
                },
                "days_of_week": {
                    "type": "array",
                    "nullable": True,
                    "minItems": 1,
                    "items": {"type": "integer", "minimum": 0, "maximum": 6},
                    "description": "0 = Monday to 6 = Sunday; every day when left out.",
                },
                "start_date": DATE,
                "end_date": DATE,
            },
            required=("times", "start_date", "end_date"),
        ),
    ),
    "Referral": _object(
        {
            "reference": {"type": "string"},
            "category": {"type": "string"},
            "sex": {"type": "string"},
            "age": {"type": "integer"},
            "red_flag": _nullable({"type": "string"}),
            "urgency": {"type": "string", "enum": list(URGENCIES)},
            "status": {"type": "string", "enum": list(REFERRAL_STATUSES)},
            "outcome": _nullable({"type": "string"}),
            "consent": {"type": "boolean"},
            "contact_phone": _nullable(
                {"type": "string", "description": "Null unless the person consented."}
            ),
            "phone_shared": _nullable({"type": "boolean"}),
            "place_code": {"type": "string"},
            "place_name": {"type": "string"},
            "district_code": _nullable({"type": "string"}),
            "patient": _nullable({"type": "string"}),
            "channel": {"type": "string"},
            "created_at": DATETIME,
            "updated_at": DATETIME,
            "first_contact_at": _nullable(DATETIME),
        }
    ),
    "ReferralPage": _page("Referral"),
    "VisitRequest": _object(
        {
            "reference": {"type": "string"},
            "place_code": {"type": "string"},
            "place_name": {"type": "string"},
            "district_code": _nullable({"type": "string"}),
            "people_waiting": {"type": "integer"},
            "preferred_week": {"type": "string"},
            "week_start": DATE,
            "status": {"type": "string", "enum": list(VISIT_STATUSES)},
            "round_id": _nullable({"type": "integer"}),
            "created_at": DATETIME,
        }
    ),
    "VisitRequestPage": _page("VisitRequest"),
    "Message": _object(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "patient": _nullable({"type": "string"}),
            "appointment_id": _nullable({"type": "integer"}),
            "medication_plan_id": _nullable({"type": "integer"}),
            "language": LANGUAGE,
            "status": {"type": "string"},
            "attempts": {"type": "integer"},
            "segments": _nullable({"type": "integer"}),
            "due_at": DATETIME,
            "sent_at": _nullable(DATETIME),
            "delivered_at": _nullable(DATETIME),
            "created_at": DATETIME,
            "updated_at": DATETIME,
            "history": {
                "type": "array",
                "description": "Delivery history; only on GET /messages/{id}.",
                "items": _object({"status": {"type": "string"}, "at": DATETIME}),
            },
        },
        required=(
            "id",
            "kind",
            "patient",
            "appointment_id",
            "medication_plan_id",
            "language",
            "status",
            "attempts",
            "segments",
            "due_at",
            "sent_at",
            "delivered_at",
            "created_at",
            "updated_at",
        ),
    ),
    "MessagePage": _page("Message"),
}

ERROR_RESPONSES = {
    400: "The body is not a JSON object.",
    401: "No token, or an unknown token.",
    403: "The token is revoked, or read-only on a write operation.",
    404: "No such resource.",
    409: "The change conflicts with the resource's state.",
    422: "A field or parameter is invalid; `field` names it.",
}


def _error_response(status: int, description: str) -> dict[str, Any]:
    response = _json(_ref("Error"), description)
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Jigi partner API",
        "version": "1",
        "description": (
            "Patients, appointments, medication plans, referrals, visit requests and SMS status for partner "
            "systems. Every operation needs `Authorization: Bearer TOKEN`; tokens have the scope "
            f"{' or '.join(API_SCOPES)} (write includes read). SMS texts are never returned."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/patients": {
            "get": _operation(
                "List patients",
                (200, "PatientPage", "A page of patients."),
                parameters=[
                    *PAGE,
                    _query("phone", {"type": "string"}, "Only patients with this phone number."),
                ],
                errors=(422,),
            ),
            "post": _operation(
                "Register a patient",
                (201, "Patient", "The new patient."),
                body="PatientCreate",
                errors=(400, 409, 422),
            ),
        },
        "/patients/{reference}": {
            "get": _operation(
                "Read a patient", (200, "Patient", "The patient."), parameters=[PATIENT], errors=(404,)
            ),
        },
        "/patients/{reference}/appointments": {
            "post": _operation(
                "Schedule an appointment (reminders follow by SMS)",
                (201, "Appointment", "The new appointment."),
                parameters=[PATIENT],
                body="AppointmentCreate",
                errors=(400, 404, 409, 422),
            ),
        },
        "/patients/{reference}/medication-plans": {
            "post": _operation(
                "Start medication reminders",
                (201, "MedicationPlan", "The new medication plan."),
                parameters=[PATIENT],
                body="MedicationPlanCreate",
                errors=(400, 404, 409, 422),
            ),
        },
        "/patients/{reference}/messages": {
            "get": _operation(
                "Status of the SMS sent or due to a patient (never their text)",
                (200, "MessagePage", "A page of messages."),
                parameters=[PATIENT, *PAGE],
                errors=(404, 422),
            ),
        },
        "/appointments/{appointment_id}": {
            "get": _operation(
                "Read an appointment",
                (200, "Appointment", "The appointment."),
                parameters=[_id("appointment_id")],
                errors=(404,),
            ),
            "patch": _operation(
                "Move an appointment (starts_at) or cancel it (status: cancelled); reminders follow",
                (200, "Appointment", "The appointment as it now is."),
                parameters=[_id("appointment_id")],
                body="AppointmentChange",
                errors=(400, 404, 409, 422),
            ),
        },
        "/medication-plans/{plan_id}": {
            "get": _operation(
                "Read a medication plan",
                (200, "MedicationPlan", "The medication plan."),
                parameters=[_id("plan_id")],
                errors=(404,),
            ),
        },
        "/referrals": {
            "get": _operation(
                "List referrals",
                (200, "ReferralPage", "A page of referrals, oldest first."),
                parameters=[
                    *PAGE,
                    _query(
                        "status", {"type": "string", "enum": list(REFERRAL_STATUSES)}, "Only this status."
                    ),
                    _query("urgency", {"type": "string", "enum": list(URGENCIES)}, "Only this urgency."),
                    {**SINCE, "description": "Only referrals changed since then. " + SINCE["description"]},
                ],
                errors=(422,),
            ),
        },
        "/referrals/{reference}": {
            "get": _operation(
                "Read a referral", (200, "Referral", "The referral."), parameters=[REFERRAL], errors=(404,)
            ),
        },
        "/visit-requests": {
            "get": _operation(
                "List mobile-unit visit requests",
                (200, "VisitRequestPage", "A page of visit requests, oldest first."),
                parameters=[
                    *PAGE,
                    _query("status", {"type": "string", "enum": list(VISIT_STATUSES)}, "Only this status."),
                    {**SINCE, "description": "Only requests made since then. " + SINCE["description"]},
                ],
                errors=(422,),
            ),
        },
        "/messages/{message_id}": {
            "get": _operation(
                "Status and delivery history of one SMS to a patient (never its text)",
                (200, "Message", "The message."),
                parameters=[_id("message_id")],
                errors=(404,),
            ),
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}
                },
            },
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
        "responses": {
            f"E{status}": _error_response(status, text) for status, text in ERROR_RESPONSES.items()
        },
    },
}
