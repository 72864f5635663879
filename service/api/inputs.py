"""Reading partner input: the JSON body, typed fields and query parameters; each error names the field."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Literal, overload
from zoneinfo import ZoneInfo

from flask import request

from service.api.errors import ApiError, invalid

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIME = re.compile(r"\d{2}:\d{2}", re.ASCII)


def json_object(allowed: tuple[str, ...]) -> dict[str, Any]:
    """The body as a JSON object with only `allowed` keys: 400 when it is not JSON, 422 for unknown keys."""
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise invalid(unknown[0], f"unknown field; expected one of {', '.join(allowed)}")
    return data


@overload
def text(data: dict[str, Any], name: str, required: Literal[True]) -> str: ...
@overload
def text(data: dict[str, Any], name: str, required: bool = False) -> str | None: ...
def text(data: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise invalid(name, "is required")
        return None
    if not isinstance(value, str):
        raise invalid(name, "must be a string")
    return value


def choice(data: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = text(data, name)
    value = default if value is None else value
    if value not in choices:
        raise invalid(name, f"must be one of {', '.join(choices)}")
    return value


def boolean(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(name, "must be true or false")
    return value


def moment(value: str, name: str, tz: ZoneInfo) -> datetime:
    """`YYYY-MM-DDTHH:MM` in the configured zone, or an ISO datetime with `Z` or an offset; aware."""
    if not _DATETIME.fullmatch(value):
        raise invalid(
            name, f"expected YYYY-MM-DDTHH:MM (local time) or an ISO datetime with offset, got {value!r}"
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(name, f"{value!r} is not a real date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def day(value: Any, name: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise invalid(name, "expected a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(name, f"{value!r} is not a real date") from None


def clock_times(value: Any, name: str, most: int) -> list[time]:
    """A list of 1 to `most` local times `HH:MM`, returned in order without repeats."""
    if not isinstance(value, list) or not 1 <= len(value) <= most:
        raise invalid(name, f"expected a list of 1 to {most} times HH:MM")
    times = set()
    for item in value:
        if not isinstance(item, str) or not _TIME.fullmatch(item):
            raise invalid(name, f"expected times HH:MM, got {item!r}")
        try:
            times.add(time.fromisoformat(item))
        except ValueError:
            raise invalid(name, f"{item!r} is not a time of day") from None
    return sorted(times)


def weekdays(value: Any, name: str) -> list[int]:
    """A non-empty list of days of the week, 0 = Monday to 6 = Sunday, returned in order."""
    if not isinstance(value, list) or not value:
        raise invalid(name, "expected a non-empty list of days, 0 = Monday to 6 = Sunday")
    if not all(isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6 for item in value):
        raise invalid(name, "days are whole numbers from 0 (Monday) to 6 (Sunday)")
    return sorted(set(value))


def query_choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in choices:
        raise invalid(name, f"must be one of {', '.join(choices)}")
    return value


def query_since(name: str, tz: ZoneInfo) -> datetime | None:
    """A date (from local midnight) or a datetime as accepted by `moment`."""
    value = request.args.get(name)
    if value is None:
        return None
    if _DATE.fullmatch(value):
        return datetime.combine(day(value, name), time(0, 0), tzinfo=tz)
    return moment(value, name, tz)


def query_int(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 9 and low <= int(value) <= high):
        raise invalid(name, f"must be a whole number from {low} to {high}")
    return int(value)


def page_params() -> tuple[int, int]:
    """`?page=` (from 1) and `?per_page=` (1 to 100)."""
    return query_int("page", 1, 1, 1_000_000), query_int("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
