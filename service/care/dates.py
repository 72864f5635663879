"""Reading the dates, times and weekdays coordinators write (local, Africa/Bamako by default), with a
refusal that says how to write them; the database keeps aware UTC (service/timeutil.py)."""

from __future__ import annotations

from datetime import date, datetime, time

from service.care.errors import CareError
from service.config import Settings
from service.errors import msgid
from service.timeutil import FIRST_YEAR, LAST_YEAR, at_local, plausible

LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M")
WEEKDAYS = "0123456"  # 0 = Monday, as datetime.weekday()
YEARS = msgid("Give a year from %(first)s to %(last)s.")


def parse_local_datetime(text: str, settings: Settings) -> datetime:
    """`2026-12-01 09:00` (or `01/12/2026 09:00`) in the configured zone, as an aware UTC datetime."""
    cleaned = " ".join((text or "").split())
    for pattern in LOCAL_FORMATS:
        try:
            naive = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        if not plausible(naive):
            raise CareError(YEARS, field="starts_at", first=FIRST_YEAR, last=LAST_YEAR)
        return at_local(naive.date(), naive.time(), settings.tz)
    raise CareError(
        "%(text)s is not a date and time: write it like 2026-12-01 09:00.", field="starts_at", text=text
    )


def parse_date(text: str) -> date:
    """`YYYY-MM-DD`."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CareError(
            "%(text)s is not a date: write it like 2026-12-01.", field="date", text=text
        ) from None
    if not plausible(day):
        raise CareError(YEARS, field="date", first=FIRST_YEAR, last=LAST_YEAR)
    return day


def parse_times(text: str) -> list[time]:
    """`08:00,20:00` -> [time(8), time(20)]."""
    times = []
    for part in text.split(","):
        try:
            times.append(time.fromisoformat(part.strip()))
        except ValueError:
            raise CareError(
                "%(text)s is not a time of day: write times like 08:00,20:00.",
                field="times",
                text=part.strip(),
            ) from None
    return times


def parse_weekdays(text: str | None) -> str:
    """`0123456` style days of the week (0 = Monday), checked and sorted; None or empty means every day."""
    if not text:
        return WEEKDAYS
    days = set(text.strip())
    if not days <= set(WEEKDAYS):
        raise CareError(
            "%(text)s is not a list of weekdays: use the digits 0 (Monday) to 6 (Sunday), e.g. 024.",
            field="days",
            text=text,
        )
    return "".join(sorted(days))
