"""Mali's health map (region > district > area > village), loaded from programme staff's CSV."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import DomainError, ImportRefused, msgid
from service.models import PLACE_LEVELS, Place, PlaceLevel
from service.outbox.discretion import default_words, forbidden_words

HEADER = ["code", "name", "level", "parent_code"]
# A place code is written in exports and typed in commands: capital letters, digits and dashes only.
PLACE_CODE = re.compile(r"[A-Z0-9-]{1,32}")
# Optional columns: the name SMS give the place when its own says what is treated there, and the
# DHIS2 organisation unit the Ministry counts the place under (the monthly push, service/dhis2/).
SMS_NAME = "sms_name"
ORG_UNIT = "dhis2_org_unit"
OPTIONAL = (SMS_NAME, ORG_UNIT)
ORG_UNIT_ID = re.compile(r"[A-Za-z][A-Za-z0-9]{10}")
NOT_OF_LEVEL = {
    PlaceLevel.REGION: msgid("%(code)s is not a region."),
    PlaceLevel.DISTRICT: msgid("%(code)s is not a health district."),
    PlaceLevel.AREA: msgid("%(code)s is not a health area."),
    PlaceLevel.VILLAGE: msgid("%(code)s is not a village."),
}
PARENT_LEVEL = {"region": None, "district": "region", "area": "district", "village": "area"}


class UnknownPlace(DomainError):
    """A place code that names no place, or a place of another level than the one asked for."""

    @classmethod
    def no_such_code(cls, code: str, field: str = "place_code") -> UnknownPlace:
        return cls(msgid("No place has the code %(code)s."), field=field, code=code)


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def import_places(session: Session, source: TextIO) -> ImportCounts:
    """Create or update places from CSV, all rows or none; importing the same file again changes nothing.
    Columns are found by their header's names: the four of HEADER, and the optional ones of OPTIONAL."""
    reader = csv.reader(source)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header[:4] != HEADER or not set(header[4:]) <= set(OPTIONAL) or len(set(header)) != len(header):
        raise ImportRefused(
            [f"line 1: the header must be {','.join(HEADER)}, and may add {' and '.join(OPTIONAL)}"]
        )
    rows = _validated_rows(session, enumerate(reader, start=2), header)
    counts = ImportCounts()
    existing = {place.code: place for place in session.scalars(select(Place))}
    # Parents come before children: sort by depth so each parent exists when a child is written.
    for row in sorted(rows, key=lambda row: PLACE_LEVELS.index(row.level)):
        parent = existing[row.parent_code] if row.parent_code else None
        place = existing.get(row.code)
        # A column the file leaves out keeps what the place has; a column given empty clears it.
        sms_name = row.sms_name if SMS_NAME in header else (place.sms_name if place else None)
        org_unit = row.org_unit if ORG_UNIT in header else (place.dhis2_org_unit if place else None)
        wanted = (row.name, sms_name, org_unit, row.level, parent)
        if place is None:
            place = Place(code=row.code, name=row.name, sms_name=sms_name, dhis2_org_unit=org_unit)
            place.level, place.parent = row.level, parent
            session.add(place)
            existing[row.code] = place
            counts.created += 1
        elif (place.name, place.sms_name, place.dhis2_org_unit, place.level, place.parent) != wanted:
            place.name, place.sms_name, place.dhis2_org_unit, place.level, place.parent = wanted
            counts.updated += 1
        else:
            counts.unchanged += 1
        counts.by_level[row.level] = counts.by_level.get(row.level, 0) + 1
    session.flush()
    return counts


@dataclass(frozen=True)
class PlaceRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str
    sms_name: str | None
    org_unit: str | None


def _validated_rows(
    session: Session, numbered_rows: Iterable[tuple[int, list[str]]], header: list[str]
) -> list[PlaceRow]:
    known_levels = {code: level for code, level in session.execute(select(Place.code, Place.level))}
    rows: list[PlaceRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in numbered_rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(f"line {line}: expected {len(header)} columns, found {len(cells)}")
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
        code, name, parent_code = values["code"], values["name"], values["parent_code"]
        level = values["level"].lower()
        sms_name, org_unit = values.get(SMS_NAME) or None, values.get(ORG_UNIT) or None
        if not code or not name:
            problems.append(f"line {line}: code and name are required")
        elif level not in PLACE_LEVELS:
            problems.append(f"line {line}: level must be one of {', '.join(PLACE_LEVELS)}")
        elif not PLACE_CODE.fullmatch(code):
            problems.append(
                f"line {line}: code {code[:40]!r} must be capital letters, digits and dashes (e.g. TBK-V09)"
            )
        elif code in seen:
            problems.append(f"line {line}: code {code} already used on line {seen[code]}")
        elif sms_name and forbidden_words(sms_name, default_words()):
            problems.append(f"line {line}: the sms_name would say what is treated there")
        elif org_unit and not ORG_UNIT_ID.fullmatch(org_unit):
            problems.append(
                f"line {line}: dhis2_org_unit {org_unit[:20]!r} is not a DHIS2 uid (11 letters and digits)"
            )
        else:
            seen[code] = line
            rows.append(PlaceRow(line, code, name, level, parent_code, sms_name, org_unit))
    file_levels = {row.code: row.level for row in rows}
    for row in rows:
        expected = PARENT_LEVEL[row.level]
        parent_level = file_levels.get(row.parent_code) or known_levels.get(row.parent_code)
        if expected is None and row.parent_code:
            problems.append(f"line {row.line}: a region has no parent_code")
        elif expected and not row.parent_code:
            problems.append(f"line {row.line}: a {row.level} needs the parent_code of its {expected}")
        elif expected and parent_level is None:
            problems.append(f"line {row.line}: unknown parent_code {row.parent_code}")
        elif expected and parent_level != expected:
            problems.append(f"line {row.line}: the parent of a {row.level} must be a {expected}")
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: int(p.split()[1].rstrip(":"))))
    return rows


def ancestor_at_level(place: Place, level: str) -> Place:
    """The place itself or its ancestor at `level` (e.g. the district of a village)."""
    current: Place | None = place
    while current is not None and current.level != level:
        current = current.parent
    if current is None:
        raise LookupError(f"{place.code} has no {level} above it")
    return current


def children(session: Session, parent_id: int, level: str | None = None) -> list[Place]:
    """Direct children of a place, by name."""
    query = select(Place).where(Place.parent_id == parent_id).order_by(Place.name)
    if level:
        query = query.where(Place.level == level)
    return list(session.scalars(query))


def by_code(session: Session, code: str, level: str | None = None, field: str = "place_code") -> Place:
    """The place with `code` (and `level`, when given), or UnknownPlace naming the input `field`."""
    place = session.scalar(select(Place).where(Place.code == code.strip()))
    if place is None:
        raise UnknownPlace.no_such_code(code, field)
    if level and place.level != level:
        raise UnknownPlace(NOT_OF_LEVEL[PlaceLevel(level)], field=field, code=code)
    return place


def set_org_unit(session: Session, code: str, org_unit: str) -> Place:
    """Give the health area `code` its DHIS2 organisation unit (an 11-character uid); blank clears it."""
    area = by_code(session, code, PlaceLevel.AREA, field="area")
    org_unit = org_unit.strip()
    if org_unit and not ORG_UNIT_ID.fullmatch(org_unit):
        raise DomainError(
            msgid("A DHIS2 uid is 11 letters and digits, starting with a letter."),
            field="org_unit",
        )
    area.dhis2_org_unit = org_unit or None
    return area
