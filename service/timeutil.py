"""Time: stored as aware UTC, shown and scheduled in the configured local zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The years a person or a gateway can mean: a date outside them is a typo or an attack (and near year 1 or
# 9999 a time-zone shift overflows), refused at the door with a message.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def plausible(moment: date | datetime) -> bool:
    """Whether `moment` falls in the years Jigi accepts (FIRST_YEAR to LAST_YEAR)."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Treat a naive datetime read back from SQLite as UTC; convert aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset, whether the value was read back from the database or just set."""
    return as_utc(moment).isoformat() if moment else None


def local_days(
    first: date | None, last: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """The moments that bound local days `first`..`last` (both included): [start of first, start of the
    day after last). None stays None: no bound."""
    since = datetime.combine(first, time(0), tz) if first else None
    until = datetime.combine(last + timedelta(days=1), time(0), tz) if last else None
    return since, until


def at_local(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local date and time of day."""
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The local calendar day of an instant."""
    return moment.astimezone(tz).date()
