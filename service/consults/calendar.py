"""A week of remote consultations for one specialist or one CSCom (health area): each day's booked
consultations and free slots, in time order, for the console's week calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.consults.sessions import serves, slot_starts
from service.models import ClinicSession, Consultation, ConsultStatus, Place, Specialist
from service.timeutil import at_local


@dataclass(frozen=True)
class Entry:
    """A booked consultation, or a free slot (`consultation` None) of `specialist`'s session."""

    starts_at: datetime
    specialist: Specialist
    consultation: Consultation | None = None


@dataclass
class Day:
    day: date
    entries: list[Entry] = field(default_factory=list)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week(
    session: Session,
    first: date,
    tz: ZoneInfo,
    now: datetime,
    specialist: Specialist | None = None,
    area: Place | None = None,
) -> list[Day]:
    """The seven days from `first` for `specialist`, or for the CSCom of `area` (every specialist whose
    session serves it): consultations not cancelled, and the slots still free and ahead of `now`."""
    days = [Day(first + timedelta(days=n)) for n in range(7)]
    query = select(Consultation).where(
        Consultation.status != ConsultStatus.CANCELLED,
        Consultation.starts_at >= at_local(first, time(0), tz),
        Consultation.starts_at < at_local(first + timedelta(days=7), time(0), tz),
    )
    clinics = select(ClinicSession).where(ClinicSession.active.is_(True)).order_by(ClinicSession.id)
    if specialist is not None:
        query = query.where(Consultation.specialist_id == specialist.id)
        clinics = clinics.where(ClinicSession.specialist_id == specialist.id)
    if area is not None:
        query = query.where(Consultation.area_id == area.id)
    booked = list(session.scalars(query))
    taken = {(item.specialist_id, item.starts_at) for item in booked}
    by_day = {day.day: day for day in days}
    for item in booked:
        by_day[item.starts_at.astimezone(tz).date()].entries.append(
            Entry(item.starts_at, item.specialist, item)
        )
    for clinic in session.scalars(clinics):
        if area is not None and not serves(clinic, area):
            continue
        for day in days:
            day.entries += [
                Entry(at, clinic.specialist)
                for at in slot_starts(clinic, day.day, tz)
                if at > now and (clinic.specialist_id, at) not in taken
            ]
    for day in days:
        day.entries.sort(key=lambda entry: (entry.starts_at, entry.consultation is None))
    return days
