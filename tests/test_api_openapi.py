"""The OpenAPI document, generated from the routes' pydantic models, matches the code: same routes, and
schemathesis, with every check, finds no 5xx, no answer the document does not describe, no valid request
refused and no invalid one accepted."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from conftest import examples
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from sqlalchemy import select
from werkzeug.serving import make_server

from service.api import init_app as init_api
from service.api.openapi import OPERATIONS, document
from service.api.tokens import create_token
from service.care.patients import add_patient
from service.models import Referral, Volunteer
from service.places import by_code

METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}


def _documented(app) -> set[tuple[str, str]]:
    base = document(app)["servers"][0]["url"]
    return {
        (method.upper(), base + path)
        for path, operations in document(app)["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }


def _routed(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^>]*:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(method, path) for method in rule.methods & METHODS}
    return routes


def test_every_route_is_documented_and_every_documented_operation_exists(app):
    assert _routed(app) == _documented(app)


def test_every_route_but_the_document_declares_its_operation(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert endpoints - set(OPERATIONS) == {"api.openapi"}


def test_the_document_describes_the_models_bodies_and_queries(app):
    generated = document(app)
    create = generated["paths"]["/patients"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PatientCreate"
    }
    assert generated["components"]["schemas"]["PatientCreate"]["required"] == ["phone"]
    assert "Idempotency-Key" in [parameter["name"] for parameter in create["parameters"]]
    listing = generated["paths"]["/referrals"]["get"]["parameters"]
    assert [parameter["name"] for parameter in listing] == ["page", "per_page", "status", "urgency", "since"]
    assert generated["components"]["schemas"]["ReferralStatus"]["enum"][0] == "new"


def test_served_document_is_the_document(app, client):
    assert client.get("/api/v1/openapi.json").json == document(app) == _api_only_document()


@pytest.fixture
def write_headers(db, demo) -> dict[str, str]:
    """A write token, on the demo data plus the patient and referral used as examples in the document."""
    with db.session() as session:
        patient = add_patient(session, "+22376123456", language="bm", place_code="TBK-A3")
        patient.reference = "P7K2"
        session.add(
            Referral(
                reference="R7K2",
                volunteer=session.scalar(select(Volunteer).where(Volunteer.phone == "+22376123456")),
                place=by_code(session, "TBK-V09"),
                category="other",
                sex="F",
                age=40,
                urgency="routine",
                consent=False,
            )
        )
        return {"Authorization": f"Bearer {create_token(session, 'fuzzer', 'write', 'test')}"}


# Schema-valid requests may still be refused with 422 on purpose (a phone number that is not Mali's, an
# unknown place code, a date in the past): the document cannot say those in JSON Schema.
CONFIG = schemathesis.Config.from_dict(
    {
        # Valid data holds no NUL: the document says every operation refuses one with a 400.
        "generation": {"allow-x00": False},
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 401, 403, 404, 409, 422]}},
    }
)


def _api_only_document() -> dict:
    """The document as an app serving only the API generates it (schemathesis needs it at collection)."""
    app = Flask("jigi-api-document")
    init_api(app)
    return document(app)


schema = schemathesis.openapi.from_dict(_api_only_document(), config=CONFIG)
load_all_checks()
ALL_CHECKS = CHECKS.get_all()


@pytest.fixture
def base_url(app) -> Iterator[str]:
    """The app behind a real HTTP server on a free loopback port: every request of every check reaches it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    thread.join()


class KeepEmptyParameters(requests.Session):
    """Sends a generated query parameter whose value is null as `name=`: requests would drop it, and the
    API would then be blamed for accepting a parameter it never received."""

    def request(self, method, url, params=None, **kwargs):  # type: ignore[override]
        if isinstance(params, dict):
            params = {name: "" if value is None else value for name, value in params.items()}
        return super().request(method, url, params=params, **kwargs)


def token_unless_removed(case, headers: dict[str, str]) -> dict[str, str]:
    """The test's token, except for a generated request that deliberately goes without one (schemathesis
    removed the Authorization header to see the API refuse it): putting the token back would make a valid
    request of it, and the API would be blamed for accepting it."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    removed = (
        header is not None
        and header.mode == GenerationMode.NEGATIVE
        and "Authorization" not in (case.headers or {})
    )
    return {name: value for name, value in headers.items() if name != "Authorization"} if removed else headers


@schema.parametrize()
@settings(
    max_examples=examples(25),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented_to_generated_requests(case, base_url, write_headers):
    with KeepEmptyParameters() as session:
        headers = token_unless_removed(case, write_headers)
        case.call_and_validate(base_url=base_url, session=session, headers=headers, checks=ALL_CHECKS)
