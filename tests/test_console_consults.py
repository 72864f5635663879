"""Remote consultations in the console: registering the clinicians, a session, booking from a patient,
moving, cancelling and recording the outcome, each refusal next to its field, and the dashboard's count."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from console_support import make_consultation, sign_in
from sqlalchemy import select, update

from service.care.patients import add_patient
from service.models import (
    AuditEntry,
    ClinicSession,
    Consultation,
    HealthWorker,
    OutboundMessage,
    Place,
    Specialist,
)
from service.timeutil import utcnow


def page(client, path: str) -> str:
    return unescape(client.get(path).get_data(as_text=True))


def test_a_coordinator_registers_a_specialist_and_a_health_worker(app, client, db, demo):
    sign_in(app, client, db, "coordinator")
    added = client.post(
        "/console/consults/people",
        data={
            "which": "specialist",
            "sp-phone": "76300001",
            "sp-name": "Dr Traoré",
            "sp-role": "psychiatrist",
            "sp-hospital": "Hôpital de Gao",
            "sp-language": "fr",
        },
    )
    assert added.status_code == 302
    worker = client.post(
        "/console/consults/people",
        data={
            "which": "worker",
            "hw-phone": "76300002",
            "hw-name": "Aminata",
            "hw-area": "TBK-A3",
            "hw-language": "bm",
        },
    )
    assert worker.status_code == 302
    refused = client.post(
        "/console/consults/people",
        data={
            "which": "worker",
            "hw-phone": "76300002",
            "hw-name": "Awa",
            "hw-area": "TBK-A3",
            "hw-language": "bm",
        },
    )
    assert refused.status_code == 400 and "est déjà enregistré" in unescape(refused.get_data(as_text=True))
    with db.session() as session:
        assert session.scalars(select(Specialist.hospital)).all() == ["Hôpital de Gao"]
        assert session.scalars(select(HealthWorker.phone)).all() == ["+22376300002"]
        assert "clinician_added" in session.scalars(select(AuditEntry.action)).all()
    listed = page(client, "/console/consults/people")
    assert "Dr Traoré" in listed and "Aminata" in listed and "Psychiatre" in listed


def test_a_session_is_added_and_its_slots_are_offered_for_booking(app, client, db, demo, settings):
    sign_in(app, client, db, "coordinator")
    client.post(
        "/console/consults/people",
        data={
            "which": "specialist",
            "sp-phone": "76300001",
            "sp-name": "Dr Traoré",
            "sp-role": "psychiatrist",
            "sp-language": "fr",
        },
    )
    with db.session() as session:
        specialist_id = session.scalars(select(Specialist.id)).one()
    day = utcnow().astimezone(settings.tz).date() + timedelta(days=3)
    bad = client.post(
        "/console/consults/sessions",
        data={
            "specialist": str(specialist_id),
            "first_date": day.isoformat(),
            "starts": "11:00",
            "ends": "09:00",
            "slot_minutes": "30",
            "areas": ["TBK-A3"],
        },
    )
    assert bad.status_code == 400 and "La séance finit avant de commencer" in unescape(
        bad.get_data(as_text=True)
    )
    added = client.post(
        "/console/consults/sessions",
        data={
            "specialist": str(specialist_id),
            "first_date": day.isoformat(),
            "starts": "09:00",
            "ends": "10:00",
            "slot_minutes": "30",
            "areas": ["TBK-A3"],
        },
    )
    assert added.status_code == 302
    booking_page = page(client, "/console/consults/new")
    assert booking_page.count("Dr Traoré · Gourma-Rharous Central") == 2


def test_booking_from_a_patient_then_moving_cancelling_and_the_refusals(app, client, db, demo, settings):
    sign_in(app, client, db, "coordinator")
    with db.session() as session:
        patient_id = add_patient(session, "+22376300003", "fr").id
    reference = make_consultation(db, settings, patient_id)
    assert reference in page(client, f"/console/patients/{patient_id}")
    consult_page = page(client, f"/console/consults/{reference}")
    assert "Aminata Maïga" in consult_page and "Dr Traoré" in consult_page and "Réservée" in consult_page

    with db.session() as session:
        specialist_id, first = session.execute(
            select(Consultation.specialist_id, Consultation.starts_at)
        ).one()
    later = first + timedelta(minutes=30)
    moved = client.post(
        f"/console/consults/{reference}",
        data={"action": "move", "mv-slot": f"{specialist_id}|{later.isoformat()}|TBK-A3"},
    )
    assert moved.status_code == 302
    refused = client.post(
        f"/console/consults/{reference}",
        data={
            "action": "move",
            "mv-slot": f"{specialist_id}|{(later + timedelta(minutes=5)).isoformat()}|TBK-A3",
        },
    )
    assert refused.status_code == 400 and "pas de créneau libre" in unescape(refused.get_data(as_text=True))
    empty_reason = client.post(f"/console/consults/{reference}", data={"action": "cancel", "cx-reason": ""})
    assert empty_reason.status_code == 400
    cancelled = client.post(
        f"/console/consults/{reference}", data={"action": "cancel", "cx-reason": "Dr absent"}
    )
    assert cancelled.status_code == 302
    with db.session() as session:
        consult = session.scalars(select(Consultation)).one()
        notices = session.scalars(
            select(OutboundMessage.kind).where(
                OutboundMessage.kind.in_(("consult_moved", "consult_cancelled"))
            )
        ).all()
    assert (consult.status, consult.starts_at, consult.cancel_reason) == ("cancelled", later, "Dr absent")
    assert sorted(notices) == ["consult_cancelled", "consult_moved"]


def test_the_outcome_is_recorded_after_the_time_and_counted_on_the_dashboard(app, client, db, demo, settings):
    sign_in(app, client, db, "coordinator")
    with db.session() as session:
        patient_id = add_patient(session, "+22376300003", "fr").id
    reference = make_consultation(db, settings, patient_id)
    assert "Le patient est-il venu" not in page(client, f"/console/consults/{reference}")
    with db.session() as session:  # the consultation's time has come
        session.execute(update(Consultation).values(starts_at=utcnow() - timedelta(minutes=10)))
        session.execute(update(ClinicSession).values(active=False))

    recorded = client.post(
        f"/console/consults/{reference}",
        data={"action": "outcome", "oc-attended": "no"},
    )

    assert recorded.status_code == 302
    with db.session() as session:
        assert session.scalars(select(Consultation.status)).one() == "missed"
    assert reference in page(client, "/console/consults").split("Prochaines consultations")[0]
    dashboard = page(client, "/console/")
    assert "Consultations à distance par mois" in dashboard
    assert "<td>0</td><td>1</td>" in dashboard.split("Consultations à distance par mois")[1]


def flat(client, path: str) -> str:
    """A page's text without its tags, whitespace runs made single spaces (links kept as `[href]`)."""
    html = re.sub(r'<a href="([^"]*)">', r"[\1]", page(client, path))
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_week_calendar_shows_a_specialists_and_a_cscoms_bookings_and_free_slots(
    app, client, db, demo, settings
):
    sign_in(app, client, db, "coordinator")
    with db.session() as session:
        patient = add_patient(session, "+22376300003", "fr")
        patient_id, patient_reference = patient.id, patient.reference
    reference = make_consultation(db, settings, patient_id)  # next week, 09:00-11:00, the 09:00 slot booked
    day = utcnow().astimezone(settings.tz).date() + timedelta(days=7)
    with db.session() as session:
        specialist_id = session.scalars(select(Specialist.id)).one()
        area_id = session.scalar(select(Place.id).where(Place.code == "TBK-A3"))
        other_id = session.scalar(select(Place.id).where(Place.code == "GAO-A1"))

    theirs = flat(client, f"/console/consults/week?who=s{specialist_id}&week={day}")
    cscom = flat(client, f"/console/consults/week?who=a{area_id}&week={day}")
    elsewhere = flat(client, f"/console/consults/week?who=a{other_id}&week={day}")
    previous = flat(client, f"/console/consults/week?who=s{specialist_id}&week={day - timedelta(days=7)}")

    assert (
        f"09:00 · [/console/consults/{reference}]{reference} · {patient_reference} · Gourma-Rharous Central"
        in theirs
    )
    assert theirs.count("libre") == 3  # 09:30, 10:00, 10:30
    assert f"{reference} · {patient_reference} · Dr Traoré" in cscom
    assert cscom.count("libre · Dr Traoré · [/console/consults/new?slot=") == 3
    assert reference not in elsewhere and "libre" not in elsewhere
    assert reference not in previous
    link = re.search(r"\[(/console/consults/new\?slot=[^\]]+)\]", cscom).group(1)
    assert re.search(r'<option selected value="[^"]+">[^<]*09:30 · Dr Traoré', page(client, unescape(link)))
    assert client.get("/console/consults/week?who=nobody&week=not-a-day").status_code == 200
