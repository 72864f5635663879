"""DHIS2 periods: a month `YYYYMM` or an ISO week `YYYYWn`, as local days [first, after)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.errors import DomainError
from service.timeutil import at_local

MONTH = re.compile(r"(\d{4})(\d{2})")
WEEK = re.compile(r"(\d{4})W(\d{1,2})")


class PeriodError(DomainError):
    """A period DHIS2 would not read."""


@dataclass(frozen=True)
class Period:
    """A period and its local days: from `first` (included) to `after` (excluded)."""

    code: str
    first: date
    after: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants [start, end)."""
        return at_local(self.first, time(0), tz), at_local(self.after, time(0), tz)


def parse_period(text: str) -> Period:
    """`202611` (November 2026) or `2026W48` (ISO week 48 of 2026)."""
    cleaned = (text or "").strip().upper()
    if match := MONTH.fullmatch(cleaned):
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            first = date(year, month, 1)
            after = date(year + month // 12, month % 12 + 1, 1)
            return Period(cleaned, first, after)
    if match := WEEK.fullmatch(cleaned):
        year, week = int(match[1]), int(match[2])
        try:
            monday: date | None = date.fromisocalendar(year, week, 1)
        except ValueError:
            monday = None
        if monday is not None and 2000 <= year <= 2100:
            return Period(f"{year}W{week}", monday, monday + timedelta(days=7))
    raise PeriodError(
        "%(text)s is not a DHIS2 period: write a month as 202611 or a week as 2026W48.",
        field="period",
        text=text,
    )


def month_before(day: date) -> Period:
    """The month before the one of `day` (what the monthly push sends)."""
    last = day.replace(day=1) - timedelta(days=1)
    return parse_period(f"{last:%Y%m}")
