"""Patients who receive reminders: phone, language, shared phone, quiet hours, consent and opt-out."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.care.errors import CareError
from service.config import ConfigError, parse_quiet_hours
from service.db import rowcount
from service.errors import ErrorKind
from service.i18n import LANGUAGES
from service.models import OutboundMessage, Patient, PatientChannel, Place
from service.outbox.kinds import Kind
from service.outbox.rows import UNSENT, WAITING, cancel_rows, schedule_message
from service.phones import normalize_phone
from service.places import by_code
from service.references import unique_reference
from service.timeutil import utcnow

log = logging.getLogger(__name__)

REFERENCE_PREFIX = "P"
EDITABLE = (
    "phone",
    "language",
    "shared_phone",
    "quiet_hours",
    "sms_consent",
    "place_code",
    "channel",
    "voice_language",
)


def clean_phone(raw: str) -> str:
    """E.164, or InvalidPhone saying what is wrong with the number."""
    return normalize_phone(raw)


def clean_language(language: str) -> str:
    """`fr` or `bm`."""
    language = (language or "").strip().lower()
    if language not in LANGUAGES:
        raise CareError("Choose French or Bambara.", field="language")
    return language


def clean_quiet_hours(raw: str | None) -> str | None:
    """`HH:MM-HH:MM` as the sender reads it, or None for the service's QUIET_HOURS."""
    if raw is None or not raw.strip():
        return None
    problem = CareError(
        "Write the quiet hours as two different times, e.g. 21:00-07:00, or leave them empty.",
        field="quiet_hours",
    )
    try:
        parsed = parse_quiet_hours("quiet hours", raw)
    except ConfigError:
        raise problem from None
    if parsed is None:  # `off`: a patient cannot switch quiet hours off
        raise problem
    start, end = parsed
    return f"{start:%H:%M}-{end:%H:%M}"


def place_for(session: Session, code: str | None) -> Place | None:
    """The place with this code (any level), None for no code, UnknownPlace for an unknown one."""
    if not code or not code.strip():
        return None
    return by_code(session, code)


def _place_id(session: Session, code: str | None) -> int | None:
    place = place_for(session, code)
    return place.id if place else None


def add_patient(
    session: Session,
    phone: str,
    language: str = "fr",
    shared_phone: bool = False,
    quiet_hours: str | None = None,
    sms_consent: bool = True,
    place_code: str | None = None,
    channel: str = PatientChannel.SMS,
    voice_language: str | None = None,
    voice_languages: tuple[str, ...] = ("fr", "bm"),
) -> Patient:
    """Register a patient under a new `P...` reference, reminded by SMS, by voice calls in
    `voice_language` (one of `voice_languages`: VOICE_LANGUAGES), or both.

    A phone already used by a patient takes another one only when marked shared, and then every patient
    on it is marked shared (messages to it must stay discreet); a phone that said STOP stays opted out.
    """
    phone = clean_phone(phone)
    others = list(session.scalars(select(Patient).where(Patient.phone == phone).order_by(Patient.id)))
    require_phone_free(phone, others[0].reference if others else None, shared_phone)
    for other in others:
        other.shared_phone = True
    opted_out = next((other for other in others if other.opted_out), None)
    patient = Patient(
        reference=unique_reference(session, Patient, REFERENCE_PREFIX),
        phone=phone,
        language=clean_language(language),
        shared_phone=shared_phone,
        quiet_hours=clean_quiet_hours(quiet_hours),
        sms_consent=sms_consent,
        opted_out=opted_out is not None,
        opted_out_at=opted_out.opted_out_at if opted_out else None,
        place_id=_place_id(session, place_code),
        channel=clean_channel(channel),
        voice_language=clean_voice_language(voice_language, voice_languages),
    )
    session.add(patient)
    session.flush()
    return patient


def clean_channel(channel: str) -> str:
    if channel not in set(PatientChannel):
        choices = ", ".join(PatientChannel)
        raise CareError(
            "%(channel)s is not a channel: use %(choices)s.",
            field="channel",
            channel=channel,
            choices=choices,
        )
    return channel


def clean_voice_language(language: str | None, voice_languages: tuple[str, ...]) -> str | None:
    """A voice language among VOICE_LANGUAGES, or None (calls in the SMS language)."""
    if not language:
        return None
    if language not in voice_languages:
        raise CareError(
            "%(code)s is not a voice language: use one of %(choices)s.",
            field="voice_language",
            code=language,
            choices=", ".join(voice_languages),
        )
    return language


def require_phone_free(phone: str, owner: str | None, shared_phone: bool) -> None:
    """The phone rule: a phone already used by patient `owner` takes another patient only when marked
    shared (then messages to it stay discreet)."""
    if owner is not None and not shared_phone:
        raise CareError(
            "%(phone)s already belongs to patient %(reference)s: if they share the phone, mark it shared.",
            kind=ErrorKind.CONFLICT,
            field="phone",
            phone=phone,
            reference=owner,
        )


def update_patient(
    session: Session, patient: Patient, voice_languages: tuple[str, ...] = ("fr", "bm"), **changes: Any
) -> Patient:
    """Change any of EDITABLE; rows still waiting follow a new phone or language, and are cancelled when
    consent is withdrawn. A new channel reaches the appointments' reminders when they are planned again
    (`appointments.replan_reminders`)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise CareError(
            "%(fields)s cannot be changed.", field=min(unknown), fields=", ".join(sorted(unknown))
        )
    if "phone" in changes:
        patient.phone = clean_phone(changes["phone"])
    if "language" in changes:
        patient.language = clean_language(changes["language"])
    if "shared_phone" in changes:
        patient.shared_phone = bool(changes["shared_phone"])
    if "quiet_hours" in changes:
        patient.quiet_hours = clean_quiet_hours(changes["quiet_hours"])
    if "place_code" in changes:
        patient.place_id = _place_id(session, changes["place_code"])
    if "sms_consent" in changes:
        patient.sms_consent = bool(changes["sms_consent"])
    if "channel" in changes:
        patient.channel = clean_channel(changes["channel"])
    if "voice_language" in changes:
        patient.voice_language = clean_voice_language(changes["voice_language"], voice_languages)
    if {"phone", "language"} & set(changes):
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.patient_id == patient.id, OutboundMessage.status.in_(WAITING))
            .values(recipient=patient.phone, language=patient.language)
            .execution_options(synchronize_session="fetch")
        )
    if not patient.sms_consent:
        cancel_rows(session, OutboundMessage.patient_id == patient.id, statuses=UNSENT)
    session.flush()
    return patient


def find_patient(session: Session, phone_or_reference: str) -> Patient | None:
    """The patient with this reference (`P7K2`) or this phone; a phone several patients share is refused."""
    text = (phone_or_reference or "").strip()
    if text[:1].upper() == REFERENCE_PREFIX:
        return session.scalar(select(Patient).where(Patient.reference == text.upper()))
    phone = clean_phone(text)
    patients = list(session.scalars(select(Patient).where(Patient.phone == phone).order_by(Patient.id)))
    if len(patients) > 1:
        references = ", ".join(patient.reference for patient in patients)
        raise CareError(
            "%(phone)s is shared by patients %(references)s: give the patient's reference.",
            kind=ErrorKind.CONFLICT,
            field="phone",
            phone=phone,
            references=references,
        )
    return patients[0] if patients else None


def require_reminders_allowed(patient: Patient) -> None:
    """Refuse to plan SMS for a patient who opted out or did not consent."""
    if patient.opted_out:
        raise CareError(
            "Patient %(reference)s stopped the SMS: no reminder can be planned.",
            kind=ErrorKind.CONFLICT,
            reference=patient.reference,
        )
    if not patient.sms_consent:
        raise CareError(
            "Patient %(reference)s has not agreed to receive SMS: record their consent first.",
            kind=ErrorKind.CONFLICT,
            reference=patient.reference,
        )


def opt_out(
    session: Session, phone: str, source: str, now: datetime | None = None, confirm: bool = True
) -> int:
    """Opt out every patient on `phone` and cancel their unsent rows; return how many were newly opted out.

    One confirmation SMS goes to the phone when `confirm` and something changed, so a repeated STOP (or
    two at once: the conditional update lets only one of them count) is confirmed once.
    """
    phone = clean_phone(phone)
    now = now or utcnow()
    newly = rowcount(
        session.execute(
            update(Patient)
            .where(Patient.phone == phone, Patient.opted_out.is_(False))
            .values(opted_out=True, opted_out_at=now)
            .execution_options(synchronize_session="fetch")
        )
    )
    patients = list(
        session.scalars(select(Patient).where(Patient.phone == phone).order_by(Patient.id.desc()))
    )
    if patients:
        cancel_rows(session, OutboundMessage.patient_id.in_([p.id for p in patients]), statuses=UNSENT)
    if newly and confirm:
        schedule_message(
            session,
            kind=Kind.OPTOUT_CONFIRMATION,
            recipient=phone,
            language=patients[0].language,
            params={},
            due_at=now,
            patient_id=patients[0].id,
        )
    references = ", ".join(patient.reference for patient in patients) or "no patient"
    log.info("opt-out from %s (%s): %d patient(s) newly opted out", source, references, newly)
    return newly


def opt_in(session: Session, patient: Patient) -> Patient:
    """The patient asked for SMS again; reminders cancelled by the opt-out are not brought back."""
    patient.opted_out = False
    patient.opted_out_at = None
    session.flush()
    return patient
