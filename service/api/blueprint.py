"""The /api/v1 blueprint: JSON errors, the bearer check before every route but the document, and lookups."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.orm import Session

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
