"""Volunteers and on-call clinicians in the console: registration, deactivation and activity."""

from __future__ import annotations

import pytest
from console_support import make_referral, make_visit_request, sign_in
from sqlalchemy import select

from service.models import AuditEntry, OnCallClinician, Volunteer


@pytest.fixture
def coordinator(app, client, db, demo):
    return sign_in(app, client, db, "coordinator")


def test_registering_a_volunteer_normalises_the_phone(client, db, coordinator):
    response = client.post(
        "/console/volunteers",
        data={"phone": "76 44 33 22", "name": "Oumar Sow", "language": "fr", "area": "TBK-A1"},
    )
    assert response.status_code == 302
    with db.session() as session:
        volunteer = session.scalar(select(Volunteer).where(Volunteer.name == "Oumar Sow"))
        assert volunteer.phone == "+22376443322" and volunteer.area.code == "TBK-A1"
        assert session.scalar(select(AuditEntry.action)) == "volunteer_added"


def test_a_bad_or_taken_phone_is_refused_next_to_the_field(client, db, coordinator):
    bad = client.post(
        "/console/volunteers", data={"phone": "12", "name": "X", "language": "fr", "area": "TBK-A1"}
    )
    assert bad.status_code == 400 and "les 8 chiffres d&#39;un numéro du Mali" in bad.get_data(as_text=True)
    taken = client.post(
        "/console/volunteers", data={"phone": "+22376123456", "name": "X", "language": "fr", "area": "TBK-A1"}
    )
    assert taken.status_code == 400 and "est déjà un relais" in taken.get_data(as_text=True)


def test_a_refusal_is_shown_in_bambara_to_a_bambara_reader(client, coordinator):
    client.get("/console/volunteers?lang=bm")
    taken = client.post(
        "/console/volunteers", data={"phone": "+22376123456", "name": "X", "language": "fr", "area": "TBK-A1"}
    )
    page = taken.get_data(as_text=True)
    assert taken.status_code == 400 and "+22376123456 ye dɛmɛbaga ye kaban." in page
    assert "already" not in page and "est déjà un relais" not in page


def test_volunteer_page_shows_recent_activity_and_deactivates(client, db, coordinator):
    make_referral(db, reference="R4A4")
    make_visit_request(db, reference="V4A4", village="TBK-V09")
    with db.session() as session:
        volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == "+22376123456"))
    page = client.get(f"/console/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "R4A4" in page and "V4A4" in page
    client.post(f"/console/volunteers/{volunteer.id}/deactivate")
    with db.session() as session:
        assert session.get(Volunteer, volunteer.id).active is False


def test_oncall_clinician_is_added_last_and_can_be_deactivated(client, db, coordinator):
    response = client.post(
        "/console/oncall",
        data={"phone": "66 00 00 09", "name": "Dr Maïga", "district": "TBK-D2", "language": "fr"},
    )
    assert response.status_code == 302
    with db.session() as session:
        clinician = session.scalar(select(OnCallClinician).where(OnCallClinician.phone == "+22366000009"))
    assert clinician.rank == 3
    client.post(f"/console/oncall/{clinician.id}/deactivate")
    with db.session() as session:
        assert session.get(OnCallClinician, clinician.id).active is False
    assert "Dr Maïga" in client.get("/console/oncall").get_data(as_text=True)
