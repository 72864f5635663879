"""The /api/v1 blueprint: JSON errors, the bearer check before every route but the document, and lookups."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api import errors, idempotency
from service.api.auth import check_bearer
from service.api.errors import ApiError, invalid

PREFIX = "/api/v1"
PUBLIC_ENDPOINTS = ("api.openapi",)
ID = "int"
# Ids fit PostgreSQL's integer; a larger one is simply not found. (Checked here, not with the converter's
# `max`: werkzeug then answers 405 instead of 404 for methods other than GET.)
MAX_ID = 2_147_483_647
_REFERENCE = re.compile(r"[A-Za-z0-9]{1,12}", re.ASCII)

bp = Blueprint("api", __name__, url_prefix=PREFIX)
errors.register(bp, PREFIX)


# Query parameters each endpoint accepts (see `accepts_query`); any other one is refused, so a misspelt
# filter cannot silently return everything.
QUERY_PARAMETERS: dict[str, tuple[str, ...]] = {}


def accepts_query(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the query parameters of a view; put it under the route decorator."""

    def declare(view: Callable[..., Any]) -> Callable[..., Any]:
        QUERY_PARAMETERS[f"{bp.name}.{view.__name__}"] = names
        return view

    return declare


@bp.before_request
def _authenticate_and_check_query() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    check_bearer(request.headers.get("Authorization"), request.method)
    allowed = QUERY_PARAMETERS.get(request.endpoint or "", ())
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        expected = f"; expected {', '.join(allowed)}" if allowed else ""
        raise invalid(unknown[0], f"unknown query parameter{expected}")


# After authentication: the key belongs to the caller.
idempotency.register(bp)


def by_reference(session: Session, model: type[Any], reference: str, what: str) -> Any:
    """The row of `model` with this reference (any case), or 404."""
    row = None
    if _REFERENCE.fullmatch(reference):
        row = session.scalar(select(model).where(model.reference == reference.upper()))
    if row is None:
        raise ApiError(404, "not_found", f"no {what} with reference {reference!r}")
    return row


def by_id(session: Session, model: type, row_id: int, what: str) -> Any:
    row = session.get(model, row_id) if row_id <= MAX_ID else None
    if row is None:
        raise ApiError(404, "not_found", f"no {what} with id {row_id}")
    return row
