"""Helpers shared by the console tests: accounts, a signed-in client, and referral and visit rows.

The rows are written directly: the USSD flows that create them in production are tested in their area.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from sqlalchemy import select

from service.accounts import create_user
from service.db import Database
from service.models import Place, Referral, User, VisitRequest, Volunteer
from service.timeutil import utcnow

PASSWORD = "correct horse battery"


def make_user(db: Database, role: str, email: str | None = None) -> User:
    with db.session() as session:
        return create_user(session, email or f"{role}@jigi.ml", PASSWORD, role, name=role.title())


def sign_in(app, client, db: Database, role: str, csrf: bool = False) -> User:
    """A user of `role` whose session is already open in `client`; CSRF checks off unless asked for."""
    app.config["WTF_CSRF_ENABLED"] = csrf
    user = make_user(db, role)
    with client.session_transaction() as browser_session:
        browser_session.update(uid=user.id, sv=user.session_version, since=time.time())
    return user


def place(db: Database, code: str) -> Place:
    with db.session() as session:
        return session.scalar(select(Place).where(Place.code == code))


def make_referral(
    db: Database,
    *,
    reference: str = "R7K2",
    volunteer_phone: str = "+22376123456",
    village: str = "TBK-V09",
    category: str = "psychosis",
    urgency: str = "urgent",
    consent: bool = True,
    contact_phone: str | None = "+22376555555",
    status: str = "new",
    created_at: datetime | None = None,
    first_contact_at: datetime | None = None,
) -> Referral:
    with db.session() as session:
        volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == volunteer_phone))
        referral = Referral(
            reference=reference,
            volunteer_id=volunteer.id,
            place_id=session.scalar(select(Place.id).where(Place.code == village)),
            category=category,
            sex="F",
            age=34,
            red_flag="self_harm" if urgency == "emergency" else None,
            urgency=urgency,
            consent=consent,
            contact_phone=contact_phone if consent else None,
            phone_shared=False,
            status=status,
            created_at=created_at or utcnow(),
            first_contact_at=first_contact_at,
        )
        session.add(referral)
    return referral


def make_visit_request(
    db: Database,
    *,
    reference: str,
    village: str,
    volunteer_phone: str = "+22376123456",
    people_waiting: int = 3,
    week_start: date | None = None,
) -> VisitRequest:
    today = utcnow().date()
    with db.session() as session:
        volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == volunteer_phone))
        request = VisitRequest(
            reference=reference,
            volunteer_id=volunteer.id,
            place_id=session.scalar(select(Place.id).where(Place.code == village)),
            people_waiting=people_waiting,
            preferred_week="next_week",
            week_start=week_start or today - timedelta(days=today.weekday()) + timedelta(weeks=1),
            status="open",
        )
        session.add(request)
    return request


# The words some console addresses take: an SMS template's kind, a recording's message and language.
WORDS = {"kind": "referral_ack", "name": "medication", "language": "bm"}


def console_page_paths(app, ids: dict[str, int]) -> list[str]:
    """Every console page a GET opens (from the URL map: a new page is in it at once), the pages about
    one record filled with `ids` (`referral_id`, `patient_id`, ...), SMS template and recording pages."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/console/") or "GET" not in rule.methods:
            continue
        if rule.endpoint in ("console.static", "console.logout") or rule.rule.endswith(".csv"):
            continue
        arguments = set(rule.arguments)
        if arguments - set(ids) - set(WORDS):
            continue
        values = {name: ids[name] for name in arguments if name in ids}
        values |= {name: WORDS[name] for name in arguments if name in WORDS}
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        paths.append(path)
    return sorted(set(paths))


def make_consultation(db: Database, settings, patient_id: int, referral_id: int | None = None) -> str:
    """A specialist with a session next week for Gourma-Rharous Central, its health worker, and a booked
    remote consultation for the patient; returns its reference."""
    from datetime import time as time_of_day

    from service.consults.booking import book
    from service.consults.people import add_health_worker, add_specialist
    from service.consults.sessions import add_session
    from service.models import Patient
    from service.places import by_code
    from service.timeutil import at_local

    day = utcnow().astimezone(settings.tz).date() + timedelta(days=7)
    with db.session() as session:
        specialist = add_specialist(session, "+22376300001", "Dr Traoré", "fr", "Hôpital de Gao")
        add_health_worker(session, "+22376300002", "Aminata Maïga", "TBK-A3", "bm")
        add_session(
            session,
            specialist,
            first_date=day,
            starts=time_of_day(9),
            ends=time_of_day(11),
            area_codes=["TBK-A3"],
        )
        consult = book(
            session,
            settings,
            patient=session.get(Patient, patient_id),
            specialist=specialist,
            area=by_code(session, "TBK-A3"),
            starts_at=at_local(day, time_of_day(9), settings.tz),
            referral=session.get(Referral, referral_id) if referral_id else None,
        )
        return consult.reference
