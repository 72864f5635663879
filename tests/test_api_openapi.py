"""The OpenAPI document matches the code: same routes, and schemathesis finds no 5xx nor any answer
that the document does not describe."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import select
from werkzeug.serving import make_server

from service.api.blueprint import QUERY_PARAMETERS
from service.api.openapi import DOCUMENT
from service.api.tokens import create_token
from service.care.patients import add_patient
from service.models import Referral, Volunteer
from service.places import by_code

METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}


def _documented() -> set[tuple[str, str]]:
    base = DOCUMENT["servers"][0]["url"]
    return {
        (method.upper(), base + path)
        for path, operations in DOCUMENT["paths"].items()
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
    assert _routed(app) == _documented()


def test_each_operation_accepts_exactly_the_documented_query_parameters(app):
    base = DOCUMENT["servers"][0]["url"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:[^>]*:)?(\w+)>", r"{\1}", rule.rule).removeprefix(base)
            for method in rule.methods & METHODS:
                operation = DOCUMENT["paths"][path][method.lower()]
                parameters = operation.get("parameters", [])
                documented = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
                assert set(QUERY_PARAMETERS.get(rule.endpoint, ())) == documented, (method, path)


def test_served_document_is_the_document(client):
    assert client.get("/api/v1/openapi.json").json == DOCUMENT


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
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 401, 403, 404, 409, 422]}}}
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture
def base_url(app) -> Iterator[str]:
    """The app behind a real HTTP server on a free loopback port: every request of every check reaches it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    thread.join()


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented_to_generated_requests(case, base_url, write_headers):
    case.call_and_validate(base_url=base_url, headers=write_headers)
