"""Specialists of the referral hospitals and the CSCom health workers: registering, listing, deactivating."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import DomainError, ErrorKind
from service.i18n import LANGUAGES
from service.models import HealthWorker, PlaceLevel, Specialist, SpecialistRole, values
from service.phones import normalize_phone
from service.places import by_code

ROLES = values(SpecialistRole)


class ConsultError(DomainError):
    """A remote consultation, session or clinician change that cannot be made, and why."""


def _checked(
    session: Session, model: type[Specialist] | type[HealthWorker], phone: str, name: str, language: str
) -> tuple[str, str]:
    phone = normalize_phone(phone)
    name = " ".join(name.split())
    if not name:
        raise ConsultError("Give the person's name.", field="name")
    if language not in LANGUAGES:
        raise ConsultError("Choose French or Bambara.", field="language")
    if session.scalar(select(model.id).where(model.phone == phone)) is not None:
        raise ConsultError(
            "%(phone)s is already registered.", kind=ErrorKind.CONFLICT, field="phone", phone=phone
        )
    return phone, name


def add_specialist(
    session: Session,
    phone: str,
    name: str,
    language: str = "fr",
    hospital: str = "",
    role: str = SpecialistRole.PSYCHIATRIST,
) -> Specialist:
    """Register a psychiatrist or psychologist; a phone belongs to one specialist only."""
    phone, name = _checked(session, Specialist, phone, name, language)
    if role not in ROLES:
        raise ConsultError("Choose psychiatrist or psychologist.", field="role")
    specialist = Specialist(
        phone=phone, name=name, language=language, hospital=" ".join(hospital.split()), role=role, active=True
    )
    session.add(specialist)
    session.flush()
    return specialist


def add_health_worker(
    session: Session, phone: str, name: str, area_code: str, language: str = "fr"
) -> HealthWorker:
    """Register a CSCom's health worker, attached to its health area."""
    phone, name = _checked(session, HealthWorker, phone, name, language)
    area = by_code(session, area_code, PlaceLevel.AREA, field="area")
    worker = HealthWorker(phone=phone, name=name, language=language, area=area, active=True)
    session.add(worker)
    session.flush()
    return worker


def specialist_by_phone(session: Session, phone: str) -> Specialist:
    """The specialist on `phone`, or a refusal naming it."""
    found = session.scalar(select(Specialist).where(Specialist.phone == normalize_phone(phone)))
    if found is None:
        raise ConsultError(
            "No specialist has the phone %(phone)s.",
            kind=ErrorKind.NOT_FOUND,
            field="psychiatrist",
            phone=phone,
        )
    return found


def health_worker_by_phone(session: Session, phone: str) -> HealthWorker:
    """The health worker on `phone`, or a refusal naming it."""
    found = session.scalar(select(HealthWorker).where(HealthWorker.phone == normalize_phone(phone)))
    if found is None:
        raise ConsultError(
            "No health worker has the phone %(phone)s.",
            kind=ErrorKind.NOT_FOUND,
            field="health_worker",
            phone=phone,
        )
    return found


def set_active(person: Specialist | HealthWorker, active: bool) -> None:
    """Deactivate (or reactivate) a clinician: an inactive one can be booked no more."""
    person.active = active
