"""Mobile-unit rounds: open requests by place and week, and planning a round that tells the volunteers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from console_support import make_visit_request, place, sign_in
from sqlalchemy import select

from service.models import AuditEntry, MobileUnitRound, OutboundMessage, VisitRequest
from service.timeutil import utcnow


@pytest.fixture
def coordinator(app, client, db, demo):
    return sign_in(app, client, db, "coordinator")


def test_open_requests_are_grouped_by_place_and_week(client, db, coordinator):
    week = date(2030, 3, 4)
    make_visit_request(db, reference="V111", village="TBK-V09", people_waiting=2, week_start=week)
    make_visit_request(db, reference="V222", village="TBK-V09", people_waiting=5, week_start=week)
    make_visit_request(
        db, reference="V333", village="TBK-V10", people_waiting=1, week_start=week + timedelta(weeks=1)
    )
    page = client.get("/console/rounds").get_data(as_text=True)
    rows = page.split("<tr>")
    grouped = next(row for row in rows if "V111" in row)
    assert "V222" in grouped and "Bambara-Maoudé" in grouped and "<td>7</td>" in grouped
    assert "V333" not in grouped


def test_planning_a_round_closes_requests_and_schedules_confirmations(client, db, coordinator):
    make_visit_request(db, reference="V444", village="TBK-V09", volunteer_phone="+22376123456")
    make_visit_request(db, reference="V555", village="GAO-V01", volunteer_phone="+22376000001")
    make_visit_request(db, reference="V666", village="MOP-V01", volunteer_phone="+22376000002")
    visit_date = utcnow().date() + timedelta(days=6)
    chosen = [place(db, "TBK-V09").id, place(db, "GAO-V01").id]
    response = client.post(
        "/console/rounds",
        data={"unit": "Unité mobile Nord", "visit_date": visit_date.isoformat(), "places": chosen},
    )
    assert response.status_code == 302
    with db.session() as session:
        round_ = session.scalar(select(MobileUnitRound))
        requests = {r.reference: r for r in session.scalars(select(VisitRequest))}
        messages = session.scalars(select(OutboundMessage).order_by(OutboundMessage.recipient)).all()
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "round_planned"))
    assert (round_.unit, round_.visit_date, round_.created_by) == (
        "Unité mobile Nord",
        visit_date,
        "coordinator@jigi.ml",
    )
    assert requests["V444"].status == requests["V555"].status == "planned"
    assert requests["V444"].round_id == round_.id and requests["V666"].status == "open"
    assert [(m.kind, m.recipient, m.language) for m in messages] == [
        ("visit_confirmation", "+22376000001", "fr"),
        ("visit_confirmation", "+22376123456", "bm"),
    ]
    assert messages[1].params == {
        "reference": "V444",
        "visit_date": visit_date.isoformat(),
        "village": "Bambara-Maoudé",
    }
    assert "V444" in audit.detail


def test_a_round_without_places_is_refused_next_to_the_field(client, db, coordinator):
    make_visit_request(db, reference="V777", village="TBK-V09")
    response = client.post("/console/rounds", data={"unit": "Unité Sud", "visit_date": "2030-01-10"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choisissez au moins un lieu." in html
    with db.session() as session:
        assert session.scalars(select(MobileUnitRound)).all() == []
        assert session.scalars(select(OutboundMessage)).all() == []


def _plan(client, db, places: list[str], days: int = 6) -> MobileUnitRound:
    visit_date = utcnow().date() + timedelta(days=days)
    chosen = [place(db, code).id for code in places]
    response = client.post(
        "/console/rounds", data={"unit": "Équipe 1", "visit_date": visit_date.isoformat(), "places": chosen}
    )
    assert response.status_code == 302
    with db.session() as session:
        return session.scalars(select(MobileUnitRound).order_by(MobileUnitRound.id.desc())).first()


def sent_kinds(db) -> list[tuple[str, str]]:
    with db.session() as session:
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        return [(row.kind, row.params.get("reference", "")) for row in rows]


def test_the_planning_form_is_there_with_no_open_request_and_plans_ahead(client, db, coordinator):
    page = client.get("/console/rounds").get_data(as_text=True)
    assert 'id="round-form"' in page and "Bambara-Maoudé" in page
    assert "Le nom de l&#39;équipe ou de son véhicule" in page  # the team's hint

    round_ = _plan(client, db, ["TBK-V09"])

    with db.session() as session:
        planned = session.get(MobileUnitRound, round_.id)
        assert [p.code for p in planned.places] == ["TBK-V09"]
    assert sent_kinds(db) == []  # nobody asked yet: nobody to tell
    assert (
        "Bambara-Maoudé" in client.get("/console/rounds").get_data(as_text=True).split("Tournées récentes")[1]
    )


def test_a_round_moved_or_cancelled_tells_its_volunteers(client, db, coordinator):
    make_visit_request(db, reference="V888", village="TBK-V09", volunteer_phone="+22376123456")
    round_ = _plan(client, db, ["TBK-V09"])
    new_date = utcnow().date() + timedelta(days=9)

    client.post(f"/console/rounds/{round_.id}/move", data={"visit_date": new_date.isoformat()})
    with db.session() as session:
        assert session.get(MobileUnitRound, round_.id).visit_date == new_date
    client.post(f"/console/rounds/{round_.id}/cancel")

    assert sent_kinds(db) == [
        ("visit_confirmation", "V888"),
        ("visit_moved", "V888"),
        ("visit_cancelled", "V888"),
    ]
    with db.session() as session:
        request = session.scalar(select(VisitRequest).where(VisitRequest.reference == "V888"))
        assert (request.status, request.round_id) == ("open", None)
        assert session.get(MobileUnitRound, round_.id).status == "cancelled"
    refused = client.post(f"/console/rounds/{round_.id}/cancel", follow_redirects=True)
    assert "Cette tournée est annulée" in refused.get_data(as_text=True)


def test_a_round_cannot_move_to_a_day_already_past(client, db, coordinator):
    round_ = _plan(client, db, ["TBK-V09"])
    yesterday = utcnow().date() - timedelta(days=1)

    page = client.post(
        f"/console/rounds/{round_.id}/move", data={"visit_date": yesterday.isoformat()}, follow_redirects=True
    )

    assert "Cette date est passée" in page.get_data(as_text=True)
    with db.session() as session:
        assert session.get(MobileUnitRound, round_.id).visit_date == round_.visit_date
