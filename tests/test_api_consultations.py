"""Remote consultations through the partner API: book (idempotently), read, list, move, cancel and record
the outcome; every refusal a JSON error naming its field."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select, update

from service.api.tokens import create_token
from service.care.patients import add_patient
from service.consults.people import add_health_worker, add_specialist
from service.consults.sessions import add_session
from service.models import AuditEntry, Consultation, OutboundMessage
from service.timeutil import utcnow

SPECIALIST = "+22376300001"


@pytest.fixture
def headers(db, demo, settings) -> dict[str, str]:
    """A write token, and a specialist's session next week serving Gourma-Rharous Central."""
    with db.session() as session:
        specialist = add_specialist(session, SPECIALIST, "Dr Traoré")
        add_health_worker(session, "+22376300002", "Aminata", "TBK-A3")
        add_patient(session, "+22376300003", "fr")
        add_session(
            session,
            specialist,
            first_date=utcnow().astimezone(settings.tz).date() + timedelta(days=7),
            starts=time(9),
            ends=time(11),
            area_codes=["TBK-A3"],
        )
        return {"Authorization": f"Bearer {create_token(session, 'his', 'write', 'test')}"}


def _slot(settings, at: str = "09:00") -> str:
    return f"{(utcnow().astimezone(settings.tz).date() + timedelta(days=7)).isoformat()}T{at}"


def _patient(db) -> str:
    with db.session() as session:
        from service.models import Patient

        return session.scalars(select(Patient.reference)).one()


def _book(client, headers, body, key: str | None = None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/consultations", json=body, headers={**headers, **extra})


def test_a_partner_books_a_consultation_once_and_reads_it_back(client, headers, db, settings):
    body = {
        "patient": _patient(db),
        "psychiatrist": "76 30 00 01",
        "starts_at": _slot(settings),
        "area_code": "TBK-A3",
    }

    first = _book(client, headers, body, key="book-1")
    again = _book(client, headers, body, key="book-1")

    assert first.status_code == 201 and again.status_code == 201 and again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    made = first.json
    assert made["status"] == "booked" and made["health_worker"] == "+22376300002" and made["minutes"] == 30
    assert made["starts_at_local"] == _slot(settings) and made["psychiatrist"] == SPECIALIST
    assert client.get(first.headers["Location"], headers=headers).json == made
    listed = client.get(f"/api/v1/consultations?patient={made['patient']}", headers=headers).json
    assert [item["reference"] for item in listed["items"]] == [made["reference"]]
    with db.session() as session:
        assert session.scalars(select(Consultation)).all()[0].reference == made["reference"]
        assert ("token:his", "api.consultation.create") in session.execute(
            select(AuditEntry.actor, AuditEntry.action)
        ).all()


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"starts_at": "T09:10"}, 422, "starts_at"),  # not a slot
        ({"area_code": "GAO-A1"}, 422, "area"),  # an area the session does not serve
        ({"psychiatrist": "+22376399999"}, 404, "psychiatrist"),
        ({"patient": "PZZZ"}, 404, None),
    ],
)
def test_a_booking_that_cannot_be_made_is_refused_naming_the_field(
    client, headers, db, settings, change, status, field
):
    body = {
        "patient": _patient(db),
        "psychiatrist": SPECIALIST,
        "starts_at": _slot(settings),
        "area_code": "TBK-A3",
    }
    if "starts_at" in change:
        change = {"starts_at": _slot(settings, change["starts_at"][1:])}
    answer = _book(client, headers, {**body, **change})
    assert answer.status_code == status, answer.json
    if field:
        assert answer.json["error"]["field"] == field and answer.json["error"]["message"]


def test_the_same_slot_twice_is_a_conflict(client, headers, db, settings):
    body = {
        "patient": _patient(db),
        "psychiatrist": SPECIALIST,
        "starts_at": _slot(settings),
        "area_code": "TBK-A3",
    }
    assert _book(client, headers, body).status_code == 201
    taken = _book(client, headers, body)
    assert taken.status_code == 409 and taken.json["error"]["field"] == "psychiatrist"


def test_a_partner_moves_cancels_and_records_outcomes(client, headers, db, settings):
    body = {
        "patient": _patient(db),
        "psychiatrist": SPECIALIST,
        "starts_at": _slot(settings),
        "area_code": "TBK-A3",
    }
    reference = _book(client, headers, body).json["reference"]
    url = f"/api/v1/consultations/{reference}"

    moved = client.patch(url, json={"starts_at": _slot(settings, "10:30")}, headers=headers)
    assert moved.status_code == 200 and moved.json["starts_at_local"] == _slot(settings, "10:30")
    assert client.patch(url, json={"status": "cancelled"}, headers=headers).status_code == 422  # no reason
    assert client.patch(url, json={"status": "missed"}, headers=headers).status_code == 409  # not yet
    with db.session() as session:
        session.execute(update(Consultation).values(starts_at=utcnow() - timedelta(minutes=5)))
    done = client.patch(
        url,
        json={"status": "attended", "followup_date": "2031-01-15", "treatment_started": True},
        headers=headers,
    )
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["followup_date"], done.json["treatment_started"]) == (
        "attended",
        "2031-01-15",
        True,
    )
    assert client.patch(url, json={"status": "cancelled", "reason": "x"}, headers=headers).status_code == 409
    with db.session() as session:
        kinds = session.scalars(
            select(OutboundMessage.kind).where(OutboundMessage.status == "scheduled")
        ).all()
    # The move's notices still leave (the outcome cancels only reminders); none of the cancellation.
    assert sorted(kind for kind in kinds if "moved" in kind or "cancelled" in kind) == [
        "consult_moved",
        "consult_staff_moved",
        "consult_staff_moved",
    ]


def test_the_openapi_document_describes_the_consultations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/consultations"]) == {"get", "post"}
    assert set(paths["/consultations/{reference}"]) == {"get", "patch"}
