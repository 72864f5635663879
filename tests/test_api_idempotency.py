"""A partner's POST retried with the same Idempotency-Key creates one thing and gets the same answer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.api.idempotency import fingerprint
from service.api.tokens import create_token
from service.models import Appointment, IdempotencyKey, Patient
from service.timeutil import utcnow


@pytest.fixture
def write_token(db, demo) -> str:
    with db.session() as session:
        return create_token(session, "partner", "write", "test")


def post(client, token, path, body, key):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", headers=headers
    )


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_retry_with_the_same_key_creates_one_appointment_and_replays_the_answer(
    client, db, demo, write_token
):
    patient = post(client, write_token, "/patients", {"phone": "+22376111222"}, "p-1").json["reference"]
    body = {"starts_at": f"{(utcnow() + timedelta(days=2)).date().isoformat()}T09:30", "mobile_unit": True}

    first = post(client, write_token, f"/patients/{patient}/appointments", body, "a-1")
    retry = post(client, write_token, f"/patients/{patient}/appointments", body, "a-1")

    assert first.status_code == retry.status_code == 201, first.json
    assert retry.json == first.json and retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert count(db, Appointment) == 1


def test_same_key_with_another_body_is_refused(client, db, demo, write_token):
    post(client, write_token, "/patients", {"phone": "+22376111222"}, "p-2")
    other = post(client, write_token, "/patients", {"phone": "+22376333444"}, "p-2")

    assert other.status_code == 422 and other.json["error"]["field"] == "Idempotency-Key"
    assert count(db, Patient) == 1


def test_a_refused_request_frees_its_key_for_the_corrected_one(client, db, demo, write_token):
    refused = post(client, write_token, "/patients", {"phone": "12"}, "p-3")
    corrected = post(client, write_token, "/patients", {"phone": "12"}, "p-3")

    assert refused.status_code == corrected.status_code == 422
    with db.session() as session:
        assert session.scalar(select(IdempotencyKey)) is None


def test_a_request_still_running_with_the_key_gets_409(client, db, demo, write_token):
    with db.session() as session:
        body = json.dumps({"phone": "+22376111222"}).encode()
        session.add(
            IdempotencyKey(caller="partner", key="p-4", fingerprint=fingerprint("/api/v1/patients", body))
        )

    running = post(client, write_token, "/patients", {"phone": "+22376111222"}, "p-4")

    assert running.status_code == 409 and count(db, Patient) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_a_malformed_key_gets_400(client, demo, write_token, key):
    response = client.post(
        "/api/v1/patients",
        json={"phone": "+22376111222"},
        headers={"Authorization": f"Bearer {write_token}", "Idempotency-Key": key},
    )

    assert response.status_code == 400 and "Idempotency-Key" in response.json["error"]["message"]
