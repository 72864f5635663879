"""API errors: every failure under /api/v1 is JSON `{"error": {"code", "message"}}` with the right status."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from service.db import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS
from service.errors import DomainError, ErrorKind

# The `code` sent for the HTTP errors that Flask and werkzeug raise on their own.
HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "internal_error",
}


class ApiError(Exception):
    """An answer the API gives on purpose: status, a stable machine code and a message for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.field = field


def invalid(field: str, message: str) -> ApiError:
    """A 422 about one field of the body or query string; the message starts with the field's name."""
    return ApiError(422, "invalid", f"{field}: {message}", field=field)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, field: str | None = None
) -> Response:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    response = jsonify({"error": error})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.headers, error.field)


# The HTTP status of each kind of domain refusal: the one mapping for the whole API.
KIND_STATUS = {
    ErrorKind.INVALID: 422,
    ErrorKind.CONFLICT: 409,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.FORBIDDEN: 403,
}


def _domain_error(error: DomainError) -> Response:
    """A refusal that no route mapped itself: its kind says the status; English, as partners read it."""
    return error_response(KIND_STATUS[error.kind], str(error.kind), str(error), field=error.field)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    message = error.description or error.name
    return error_response(status, HTTP_CODES.get(status, "error"), message, headers)


def _database_unavailable(_error: Exception) -> Response:
    return error_response(503, "unavailable", DATABASE_UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def register(blueprint: Blueprint, prefix: str) -> None:
    """JSON errors for the blueprint's views, and for unknown paths and methods under `prefix`.

    Routing errors happen before Flask knows the blueprint, so they are caught in an app-wide hook
    that only answers for paths under `prefix` and leaves every other area's errors alone.
    """
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(DomainError, _domain_error)
    blueprint.register_error_handler(HTTPException, _http_error)
    for unavailable in UNAVAILABLE_ERRORS:
        blueprint.register_error_handler(unavailable, _database_unavailable)

    @blueprint.before_app_request
    def _routing_error_as_json() -> Response | None:
        error = request.routing_exception
        if (
            isinstance(error, HTTPException)
            and not isinstance(error, RequestRedirect)
            and _under(request.path, prefix)
        ):
            return _http_error(error)
        return None


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")
