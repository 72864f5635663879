"""Demonstration data: the programme's areas, volunteers (one a trainee's phone, for the trainers' phone
of the console), and on-call clinicians; for `make run`, also demo patients, and a specialist with a
weekly remote clinic for Gourma-Rharous Central and its health worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from service.care.demo import load_demo_care
from service.config import Settings
from service.people import PeopleError, add_oncall, add_volunteer
from service.places import import_places
from service.timeutil import utcnow

VOLUNTEERS = [
    ("+22376123456", "Awa Traoré", "bm", "TBK-A3", False),
    ("+22376000001", "Moussa Maïga", "fr", "GAO-A1", False),
    ("+22376000002", "Fatoumata Cissé", "fr", "MOP-A1", False),
    ("+22376900000", "Stagiaire (formation)", "fr", "GAO-A1", True),
]
SPECIALIST = ("+22376400001", "Dr Sangaré (démo)", "Hôpital de Gao")
HEALTH_WORKER = ("+22376400002", "Mariam Touré (démo)", "TBK-A3", "fr")
ONCALL = [
    ("+22366123456", "Dr Diallo", "TBK-D2"),
    ("+22366000001", "Dr Touré", "TBK-D2"),
    ("+22366000002", "Dr Coulibaly", "GAO-D2"),
    ("+22366000003", "Dr Keïta", "MOP-D1"),
    ("+22366000004", "Dr Sidibé", "TBK-D1"),
]


def load_demo(session: Session, directory: Path, settings: Settings | None = None) -> Iterator[str]:
    """Import the demo places and people, skipping what is already there; yields progress lines.

    With `settings`, also demo patients whose reminders fall due within minutes (for `make run`).
    """
    with (directory / "places.csv").open(encoding="utf-8") as places:
        counts = import_places(session, places)
    yield f"Places: {counts.created} created, {counts.unchanged + counts.updated} already there."
    added = 0
    for phone, name, language, area, training in VOLUNTEERS:
        try:
            add_volunteer(session, phone, name, language, area, training=training)
            added += 1
        except PeopleError:
            pass
    yield f"Volunteers: {added} added."
    added = 0
    for phone, name, district in ONCALL:
        try:
            add_oncall(session, phone, name, district)
            added += 1
        except PeopleError:
            pass
    yield f"On-call clinicians: {added} added."
    if settings is not None:
        yield from load_demo_care(session, directory, settings, utcnow())
        yield load_demo_consults(session, settings)


def load_demo_consults(session: Session, settings: Settings) -> str:
    """A psychiatrist's weekly Tuesday session for TBK-A3 over the next twelve weeks, and its CSCom's
    health worker, once."""
    from service.consults.people import ConsultError, add_health_worker, add_specialist
    from service.consults.sessions import add_session

    try:
        specialist = add_specialist(session, SPECIALIST[0], SPECIALIST[1], "fr", SPECIALIST[2])
        add_health_worker(session, *HEALTH_WORKER)
    except ConsultError:
        return "Remote consultations: already there."
    today = utcnow().astimezone(settings.tz).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    add_session(
        session,
        specialist,
        first_date=tuesday,
        starts=time(9),
        ends=time(12),
        area_codes=[HEALTH_WORKER[2]],
        weekly_until=tuesday + timedelta(weeks=11),
    )
    return "Remote consultations: a specialist, a health worker and a weekly session added."
