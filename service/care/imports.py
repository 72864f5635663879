"""Bulk loads from CSV: every row is checked first and nothing is written unless all rows are good;
then rows are inserted in batches, reporting progress."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from service.care.appointments import check_appointment, planned_rows, row_fields
from service.care.dates import parse_local_datetime
from service.care.errors import CareError
from service.care.patients import (
    EDITABLE,
    REFERENCE_PREFIX,
    clean_channel,
    clean_language,
    clean_phone,
    clean_quiet_hours,
    clean_voice_language,
    require_phone_free,
)
from service.config import Settings
from service.errors import DomainError, ImportRefused
from service.models import Appointment, AppointmentStatus, Patient, PatientChannel, Place
from service.outbox.rows import on_channels, schedule_messages
from service.places import UnknownPlace
from service.references import ALPHABET, new_reference
from service.timeutil import utcnow

PATIENT_COLUMNS = EDITABLE  # a patient's columns in a CSV are the fields the console can change
PATIENT_REQUIRED = ("phone", "language")
APPOINTMENT_COLUMNS = ("patient", "starts_at", "place_code", "mobile_unit")
APPOINTMENT_REQUIRED = ("patient", "starts_at")
BATCH_SIZE = 1000
YES = ("yes", "y", "oui", "o", "true", "1")
NO = ("no", "n", "non", "false", "0")

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    """Default progress callback: report nothing."""


def import_patients(
    session: Session,
    source: TextIO,
    progress: Progress = _no_progress,
    voice_languages: tuple[str, ...] = ("fr", "bm"),
) -> int:
    """Create one patient per row and return how many; raise ImportRefused, writing nothing, if any row
    is bad. The shared-phone and opt-out rules of add_patient apply; `channel` (sms, voice, both) and
    `voice_language` (one of `voice_languages`) are checked as add_patient checks them."""
    rows, problems = _read(source, PATIENT_COLUMNS, PATIENT_REQUIRED)
    places = dict(session.execute(select(Place.code, Place.id)).all())
    existing: dict[str, str] = {}
    opted_out: set[str] = set()
    for phone, reference, is_out in session.execute(
        select(Patient.phone, Patient.reference, Patient.opted_out)
    ):
        existing.setdefault(phone, reference)
        if is_out:
            opted_out.add(phone)
    good: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    for line, cells in rows:
        try:
            phone = clean_phone(cells["phone"])
            shared = _flag(cells.get("shared_phone"), False, "shared_phone")
            require_phone_free(phone, existing.get(phone), shared)
            if not shared and phone in first_line:
                raise CareError(
                    "%(phone)s is also on line %(line)s: set shared_phone to yes.",
                    field="phone",
                    phone=phone,
                    line=first_line[phone],
                )
            code = cells.get("place_code")
            if code and code not in places:
                raise UnknownPlace.no_such_code(code)
            record = {
                "phone": phone,
                "language": clean_language(cells["language"]),
                "shared_phone": shared,
                "quiet_hours": clean_quiet_hours(cells.get("quiet_hours")),
                "sms_consent": _flag(cells.get("sms_consent"), True, "sms_consent"),
                "place_id": places.get(code) if code else None,
                "channel": clean_channel(cells.get("channel") or PatientChannel.SMS),
                "voice_language": clean_voice_language(cells.get("voice_language"), voice_languages),
                "opted_out": phone in opted_out,
                "opted_out_at": utcnow() if phone in opted_out else None,
            }
        except DomainError as error:
            problems.append((line, str(error)))
            continue
        first_line.setdefault(phone, line)
        good.append(record)
    _raise_if(problems)
    per_phone = Counter(record["phone"] for record in good)
    for record in good:
        record["shared_phone"] = record["shared_phone"] or per_phone[record["phone"]] > 1
    session.execute(
        update(Patient)
        .where(Patient.phone.in_([phone for phone in per_phone if phone in existing]))
        .values(shared_phone=True)
        .execution_options(synchronize_session=False)
    )
    for record, reference in zip(good, _fresh_references(session, len(good)), strict=True):
        record["reference"] = reference
    for start in range(0, len(good), BATCH_SIZE):
        batch = good[start : start + BATCH_SIZE]
        session.execute(insert(Patient), batch)
        progress(start + len(batch), len(good))
    return len(good)


def import_appointments(
    session: Session, settings: Settings, source: TextIO, now: datetime, progress: Progress = _no_progress
) -> int:
    """Create one appointment per row with its reminder rows and return how many; raise ImportRefused,
    writing nothing, if any row is bad."""
    rows, problems = _read(source, APPOINTMENT_COLUMNS, APPOINTMENT_REQUIRED)
    places = {place.code: place for place in session.scalars(select(Place))}
    by_reference: dict[str, Patient] = {}
    by_phone: dict[str, list[Patient]] = {}
    for patient in session.scalars(select(Patient)):
        by_reference[patient.reference] = patient
        by_phone.setdefault(patient.phone, []).append(patient)
    good = []
    for line, cells in rows:
        try:
            patient = _patient(by_reference, by_phone, cells["patient"])
            starts_at = parse_local_datetime(cells["starts_at"], settings)
            code = cells.get("place_code")
            if code and code not in places:
                raise UnknownPlace.no_such_code(code)
            place = places.get(code) if code else None
            mobile_unit = _flag(cells.get("mobile_unit"), False, "mobile_unit")
            check_appointment(patient, starts_at, place, mobile_unit, now)
        except DomainError as error:
            problems.append((line, str(error)))
            continue
        good.append((patient, starts_at, place, mobile_unit))
    _raise_if(problems)
    for start in range(0, len(good), BATCH_SIZE):
        batch = [
            Appointment(
                patient=patient,
                starts_at=starts_at,
                place=place,
                mobile_unit=mobile_unit,
                status=AppointmentStatus.SCHEDULED,
            )
            for patient, starts_at, place, mobile_unit in good[start : start + BATCH_SIZE]
        ]
        session.add_all(batch)
        session.flush()
        schedule_messages(
            session,
            (
                {**fields, "dedupe_key": key, "due_at": row.due_at}
                for appointment in batch
                for row in planned_rows(settings, appointment, now)
                for key, fields in on_channels(
                    appointment.patient, row.dedupe_key, row_fields(appointment, row)
                )
            ),
        )
        progress(start + len(batch), len(good))
    return len(good)


def _read(
    source: TextIO, columns: tuple[str, ...], required: tuple[str, ...]
) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    """Rows as (line number, {column: stripped text}) and the problems found in their shape."""
    reader = csv.reader(source)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if set(header) - set(columns) or set(required) - set(header) or len(set(header)) != len(header):
        optional = ",".join(column for column in columns if column not in required)
        raise ImportRefused(
            [f"line 1: the header must name the columns {','.join(required)}, and may add {optional}"]
        )
    rows, problems = [], []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append((line, f"expected {len(header)} columns, found {len(cells)}"))
            continue
        rows.append((line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}))
    return rows, problems


def _raise_if(problems: list[tuple[int, str]]) -> None:
    if problems:
        raise ImportRefused([f"line {line}: {why}" for line, why in sorted(problems)])


def _flag(text: str | None, default: bool, column: str) -> bool:
    value = (text or "").strip().lower()
    if not value:
        return default
    if value in YES:
        return True
    if value in NO:
        return False
    raise CareError("%(column)s must be yes or no.", field=column, column=column)


def _patient(by_reference: dict[str, Patient], by_phone: dict[str, list[Patient]], text: str) -> Patient:
    text = text.strip()
    if text[:1].upper() == REFERENCE_PREFIX:
        patient = by_reference.get(text.upper())
        if patient is None:
            raise CareError("No patient has the reference %(reference)s.", field="patient", reference=text)
        return patient
    patients = by_phone.get(clean_phone(text), [])
    if not patients:
        raise CareError(
            "No patient has the phone %(phone)s: import the patients first.", field="patient", phone=text
        )
    if len(patients) > 1:
        raise CareError(
            "%(phone)s is shared by several patients: give the patient's reference.",
            field="patient",
            phone=text,
        )
    return patients[0]


def _fresh_references(session: Session, count: int) -> list[str]:
    """`count` new patient references, long enough that random codes rarely collide."""
    taken = set(session.scalars(select(Patient.reference)))
    length = 3
    while len(ALPHABET) ** length < 10 * (len(taken) + count):
        length += 1
    fresh: set[str] = set()
    while len(fresh) < count:
        code = new_reference(REFERENCE_PREFIX, length)
        if code not in taken:
            fresh.add(code)
    return list(fresh)
