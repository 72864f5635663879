"""Quiet hours: no reminder reaches a phone at night, in the configured local time zone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from service.config import ConfigError, parse_quiet_hours

log = logging.getLogger(__name__)

Window = tuple[time, time] | None


def patient_window(override: str | None, default: Window) -> Window:
    """A patient's own `HH:MM-HH:MM` (or `off`) when set and valid, else the configured window."""
    if not override:
        return default
    try:
        return parse_quiet_hours("patient quiet_hours", override)
    except ConfigError as error:
        log.warning("ignoring a patient's quiet hours: %s", error)
        return default


def quiet_until(now: datetime, window: Window, tz: ZoneInfo) -> datetime | None:
    """When the quiet window around `now` ends (aware UTC), or None if `now` is outside it."""
    if window is None:
        return None
    start, end = window
    local = now.astimezone(tz)
    moment = local.time().replace(tzinfo=None)
    if start < end:
        inside, end_day = start <= moment < end, local.date()
    elif moment >= start:  # the window wraps past midnight and we are before midnight
        inside, end_day = True, local.date() + timedelta(days=1)
    else:
        inside, end_day = moment < end, local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tz).astimezone(UTC)
