"""The OpenAPI 3.1 document of /api/v1, generated from the routes and their pydantic models.

Each route declares its operation with `@operation(...)` (summary, answer, body, query, errors); that
declaration also validates the route's input. The document is assembled from the app's URL map and
those declarations, with the models' JSON Schema (pydantic, JSON Schema 2020-12 as OpenAPI 3.1 uses)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from pydantic import BaseModel, ValidationError

from service.api.errors import ApiError, invalid
from service.api.schemas import Error
from service.input_guard import MAX_ID
from service.models import API_SCOPES

PREFIX = "/api/v1"
ERROR_RESPONSES = {
    400: "The request carries a NUL character (no text may hold one), or the body is not a JSON object.",
    401: "No token, or an unknown token.",
    403: "The token is revoked, or read-only on a write operation.",
    404: "No such resource.",
    409: "The change conflicts with the resource's state.",
    422: "A field or parameter is invalid; `field` names it.",
    503: "The database is not answering; try again after Retry-After seconds.",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same key with the same body returns the first answer and creates "
    "nothing (header Idempotent-Replayed: true); the same key with another body gets 422. A key is "
    "freed when its request was refused.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
}
# Path parameters by name; a reference's example is the one the document's examples use.
PATH_PARAMETERS = {
    "reference": {"schema": {"type": "string"}, "description": "The reference, e.g. P7K2 or R7K2."},
    "int": {"schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "description": "Numeric id."},
}
EXAMPLES = {"/patients/": "P7K2", "/referrals/": "R7K2"}
_PATH_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    """What a route takes and answers, for validation and for the document."""

    summary: str
    answer: type[BaseModel]
    answer_text: str
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()


OPERATIONS: dict[str, Operation] = {}


def operation(
    summary: str,
    answer: type[BaseModel],
    answer_text: str,
    *,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route's operation; the view then gets its validated `body` and `query` as arguments.
    Put it under the route decorator."""
    declared = Operation(summary, answer, answer_text, status, body, query, errors)

    def declare(view: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS[f"api.{view.__name__}"] = declared

        @functools.wraps(view)
        def validated(**path: Any) -> Any:
            if declared.body is not None:
                path["body"] = _body(declared.body)
            query = _query(declared.query)
            if query is not None:
                path["query"] = query
            return view(**path)

        return validated

    return declare


def _body(model: type[BaseModel]) -> BaseModel:
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        raise ApiError(400, "bad_request", "the body nests too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    if b"\\u0000" in request.get_data():
        raise ApiError(400, "bad_request", "NUL characters are not accepted")
    try:  # JSON mode: strict types as JSON has them (a date is a YYYY-MM-DD string)
        return model.model_validate_json(request.get_data())
    except ValidationError as error:
        raise _refusal(error, model, "field") from None


def _query(model: type[BaseModel] | None) -> BaseModel | None:
    """The query string read by `model`; with no model, any parameter is refused (a misspelt filter must
    not silently return everything)."""
    if model is None:
        if request.args:
            raise invalid(next(iter(request.args)), "unknown query parameter")
        return None
    values = {}
    for name in request.args:
        given = request.args.getlist(name)
        if len(given) > 1:
            raise invalid(name, "give this parameter once")
        values[name] = given[0]
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise _refusal(error, model, "query parameter") from None


def _refusal(error: ValidationError, model: type[BaseModel], what: str) -> ApiError:
    """The first problem pydantic found, as a 422 naming the field."""
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"][:1])
    if first["type"] == "extra_forbidden":
        message = f"unknown {what}; expected one of {', '.join(model.model_fields)}"
    elif first["type"] == "missing":
        message = "is required"
    else:
        message = first["msg"].removeprefix("Value error, ")
    return invalid(field, message) if field else ApiError(422, "invalid", message)


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every declared route of `app` (built once per app)."""
    if "jigi.openapi" not in app.extensions:
        app.extensions["jigi.openapi"] = _build(app)
    return app.extensions["jigi.openapi"]


class Schemas:
    """The document's `components.schemas`, filled as operations name their models."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}

    def of(self, model: type[BaseModel]) -> dict[str, Any]:
        """`model`'s JSON Schema, its nested models moved to the components."""
        schema = _tidy(model.model_json_schema(ref_template="#/components/schemas/{model}"))
        self.found.update(schema.pop("$defs", {}))
        return schema

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        self.found[model.__name__] = self.of(model)
        return {"$ref": f"#/components/schemas/{model.__name__}"}


def _build(app: Flask) -> dict[str, Any]:
    schemas = Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        declared = OPERATIONS.get(rule.endpoint)
        if declared is None:
            continue
        path = _PATH_ARGUMENT.sub(r"{\2}", rule.rule).removeprefix(PREFIX)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(declared, rule.rule, schemas)
    paths["/openapi.json"] = {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}
            },
        }
    }
    error = schemas.ref(Error)
    responses = {f"E{status}": _json(error, text) for status, text in ERROR_RESPONSES.items()}
    responses["E401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    responses["E503"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Jigi partner API",
            "version": "1",
            "description": (
                "Patients, appointments, medication plans, referrals, visit requests and SMS status for "
                "partner systems. Every operation needs `Authorization: Bearer TOKEN`; tokens have the "
                f"scope {' or '.join(API_SCOPES)} (write includes read). SMS texts are never returned."
            ),
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(sorted(schemas.found.items())),
            "responses": responses,
        },
    }


def _operation(declared: Operation, rule: str, schemas: Schemas) -> dict[str, Any]:
    """One operation; every operation can answer 400 (a NUL character anywhere), 401 and 403 (token
    missing, revoked or read-only), and 503 while the database is unavailable."""
    parameters = [_path_parameter(rule, converter, name) for converter, name in _PATH_ARGUMENT.findall(rule)]
    if declared.query is not None:
        parameters += _query_parameters(schemas.of(declared.query))
    if declared.status == 201:  # every creation accepts a key that makes its retries safe
        parameters.append(IDEMPOTENCY_KEY)
    errors = sorted({400, 401, 403, 503, *declared.errors})
    result: dict[str, Any] = {
        "summary": declared.summary,
        "responses": {
            str(declared.status): _json(schemas.ref(declared.answer), declared.answer_text),
            **{str(status): {"$ref": f"#/components/responses/E{status}"} for status in errors},
        },
    }
    if parameters:
        result["parameters"] = parameters
    if declared.body is not None:
        body = {"application/json": {"schema": schemas.ref(declared.body)}}
        result["requestBody"] = {"required": True, "content": body}
    return result


def _path_parameter(rule: str, converter: str, name: str) -> dict[str, Any]:
    known = PATH_PARAMETERS[converter or name]
    parameter = {"name": name, "in": "path", "required": True, **known}
    example = next(
        (example for prefix, example in EXAMPLES.items() if rule.startswith(PREFIX + prefix)), None
    )
    if not converter and example:
        parameter["example"] = example
    return parameter


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A query model's fields as optional query parameters."""
    parameters = []
    for name, field in schema["properties"].items():
        description = field.pop("description", None)
        parameter = {"name": name, "in": "query", "required": False, "schema": field}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _tidy(schema: Any) -> Any:
    """Drop pydantic's generated titles and null defaults, which say nothing to a partner."""
    if isinstance(schema, dict):
        return {
            key: _tidy(value)
            for key, value in schema.items()
            if not (key == "title" and isinstance(value, str)) and not (key == "default" and value is None)
        }
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    return schema


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}
