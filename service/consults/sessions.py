"""A specialist's remote clinic sessions: a weekly pattern (every Tuesday, 09:00-12:00, from one date to
another) or a single date, cut into slots of a fixed length, for the health areas it serves. A slot is
free when no open consultation of the specialist starts at it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.consults.people import ConsultError
from service.models import ClinicSession, Consultation, ConsultStatus, Place, PlaceLevel, Specialist
from service.places import by_code
from service.timeutil import at_local

MAX_SESSION_DAYS = 366
SLOT_MINUTES = (15, 20, 30, 45, 60)


@dataclass(frozen=True)
class Slot:
    """One free slot of a session: when it starts (UTC) and the session it belongs to."""

    starts_at: datetime
    session: ClinicSession


def add_session(
    session: Session,
    specialist: Specialist,
    *,
    first_date: date,
    starts: time,
    ends: time,
    area_codes: list[str],
    weekly_until: date | None = None,
    slot_minutes: int = 30,
) -> ClinicSession:
    """A session on `first_date` alone, or every same weekday until `weekly_until`."""
    if not specialist.active:
        raise ConsultError("This specialist is no longer active.", field="psychiatrist")
    if ends <= starts:
        raise ConsultError("The session ends before it starts: check the hours.", field="ends")
    if slot_minutes not in SLOT_MINUTES:
        raise ConsultError(
            "Slots last %(choices)s minutes.", field="slot_minutes", choices=", ".join(map(str, SLOT_MINUTES))
        )
    last_date = weekly_until or first_date
    if last_date < first_date:
        raise ConsultError("The weekly pattern ends before it starts: check the dates.", field="weekly_until")
    if (last_date - first_date).days >= MAX_SESSION_DAYS:
        raise ConsultError(
            "A pattern lasts at most %(count)s days: add a new one after.",
            field="weekly_until",
            count=MAX_SESSION_DAYS,
        )
    areas = [by_code(session, code, PlaceLevel.AREA, field="areas") for code in dict.fromkeys(area_codes)]
    if not areas:
        raise ConsultError("Choose at least one health area the session serves.", field="areas")
    clinic = ClinicSession(
        specialist=specialist,
        weekday=first_date.weekday() if weekly_until else None,
        first_date=first_date,
        last_date=last_date,
        starts=f"{starts:%H:%M}",
        ends=f"{ends:%H:%M}",
        slot_minutes=slot_minutes,
        cancelled_dates="",
        active=True,
    )
    clinic.areas = areas
    session.add(clinic)
    session.flush()
    return clinic


def cancelled_dates(clinic: ClinicSession) -> set[date]:
    return {date.fromisoformat(part) for part in clinic.cancelled_dates.split(",") if part}


def occurs_on(clinic: ClinicSession, day: date) -> bool:
    """Whether the session takes place on local `day`."""
    if (
        not clinic.active
        or not clinic.first_date <= day <= clinic.last_date
        or day in cancelled_dates(clinic)
    ):
        return False
    return clinic.weekday is None or day.weekday() == clinic.weekday


def slot_starts(clinic: ClinicSession, day: date, tz: ZoneInfo) -> list[datetime]:
    """Every slot of the session on `day` (UTC), whether booked or not; none when it does not occur."""
    if not occurs_on(clinic, day):
        return []
    start, end = (
        at_local(day, time.fromisoformat(clinic.starts), tz),
        at_local(day, time.fromisoformat(clinic.ends), tz),
    )
    step = timedelta(minutes=clinic.slot_minutes)
    slots = []
    while start + step <= end:
        slots.append(start)
        start += step
    return slots


def serves(clinic: ClinicSession, area: Place) -> bool:
    return any(place.id == area.id for place in clinic.areas)


def session_at(
    session: Session, specialist: Specialist, starts_at: datetime, tz: ZoneInfo
) -> ClinicSession | None:
    """The specialist's session with a slot starting at `starts_at`, if any."""
    day = starts_at.astimezone(tz).date()
    for clinic in _sessions(session, specialist):
        if starts_at in slot_starts(clinic, day, tz):
            return clinic
    return None


def free_slots(
    session: Session, specialist: Specialist, first: date, last: date, tz: ZoneInfo, now: datetime
) -> list[Slot]:
    """The specialist's slots still ahead of `now`, from local `first` to `last` days, not yet booked."""
    booked = set(
        session.scalars(
            select(Consultation.starts_at).where(
                Consultation.specialist_id == specialist.id,
                Consultation.status != ConsultStatus.CANCELLED,
                Consultation.starts_at >= at_local(first, time(0), tz),
            )
        )
    )
    free = []
    clinics = _sessions(session, specialist)
    day = first
    while day <= last:
        for clinic in clinics:
            free += [Slot(at, clinic) for at in slot_starts(clinic, day, tz) if at > now and at not in booked]
        day += timedelta(days=1)
    return sorted(free, key=lambda slot: slot.starts_at)


def _sessions(session: Session, specialist: Specialist) -> list[ClinicSession]:
    query = select(ClinicSession).where(
        ClinicSession.specialist_id == specialist.id, ClinicSession.active.is_(True)
    )
    return list(session.scalars(query.order_by(ClinicSession.id)))
