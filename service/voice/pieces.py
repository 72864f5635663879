"""The variable parts of a call, a date or an hour, played from pieces recorded once per voice language:
the weekdays, the months, the hours and the numbers 1 to 59 (a day of the month, minutes).

A message kind with a `date` placeholder says its date (weekday, day, month), one with a `time`
placeholder its hour (the hour, then the minutes unless on the hour). A part is played whole or left out:
when one of its pieces is not recorded in the person's language, the call says nothing of it rather than
half of it, and never falls back to a French voice.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from service.outbox.kinds import KINDS
from service.outbox.templates import TemplateError, moment_of

WEEKDAYS = tuple(f"weekday_{n}" for n in range(1, 8))  # Monday first, as isoweekday()
MONTHS = tuple(f"month_{n}" for n in range(1, 13))
HOURS = tuple(f"hour_{n}" for n in range(24))  # "at nine o'clock", as the language says it
NUMBERS = tuple(f"number_{n}" for n in range(1, 60))
PIECES = (*WEEKDAYS, *MONTHS, *HOURS, *NUMBERS)


def spoken_parts(kind: str, params: dict[str, object], tz: ZoneInfo) -> list[tuple[str, ...]]:
    """The pieces of each variable part of a message of `kind`, in the order they are played; none when
    the kind has no date or time, or its params carry none."""
    placeholders = KINDS[kind].placeholders if kind in KINDS else ()
    if "date" not in placeholders and "time" not in placeholders:
        return []
    try:
        moment = moment_of(kind, params, tz).astimezone(tz)
    except TemplateError:
        return []
    parts = []
    if "date" in placeholders:
        parts.append(date_pieces(moment))
    if "time" in placeholders:
        parts.append(time_pieces(moment))
    return parts


def date_pieces(moment: datetime) -> tuple[str, ...]:
    return (f"weekday_{moment.isoweekday()}", f"number_{moment.day}", f"month_{moment.month}")


def time_pieces(moment: datetime) -> tuple[str, ...]:
    return (f"hour_{moment.hour}",) + ((f"number_{moment.minute}",) if moment.minute else ())


def kind_of_piece(name: str) -> tuple[str, int] | None:
    """("weekday"|"month"|"hour"|"number", its value) of a piece's name; None for another name."""
    group, _sep, value = name.rpartition("_")
    if name not in PIECES:
        return None
    return group, int(value)
