"""The /api/v1 blueprint: JSON errors, the bearer check before every route but the document, and lookups."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.api import errors, idempotency
from service.api.auth import check_bearer
from service.api.errors import ApiError
from service.api.openapi import PREFIX

PUBLIC_ENDPOINTS = ("api.openapi",)
ID = "int"
_REFERENCE = re.compile(r"[A-Za-z0-9]{1,12}", re.ASCII)

bp = Blueprint("api", __name__, url_prefix=PREFIX)
errors.register(bp, PREFIX)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        check_bearer(request.headers.get("Authorization"), request.method)


# After authentication: the key belongs to the caller.
idempotency.register(bp)


def by_reference(session: Session, model: type[Any], reference: str, what: str) -> Any:
    """The row of `model` with this reference (any case), or 404; training records are not partners'."""
    row = None
    if _REFERENCE.fullmatch(reference):
        row = session.scalar(select(model).where(model.reference == reference.upper()))
    if row is None or getattr(row, "training", False):
        raise ApiError(404, "not_found", f"no {what} with reference {reference!r}")
    return row


def by_id(session: Session, model: type, row_id: int, what: str) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise ApiError(404, "not_found", f"no {what} with id {row_id}")
    return row


def audit(session: Session, action: AuditAction, detail: dict[str, Any]) -> None:
    """Record a write in the audit log, in the calling token's name."""
    record_audit(session, f"token:{g.api_caller.name}", action, detail)


def created(body: dict[str, Any], location: str) -> Response:
    """A 201 answer with the new resource and where it lives."""
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response
