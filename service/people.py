"""Volunteers and on-call clinicians: registering, listing, deactivating."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.errors import DomainError, ErrorKind
from service.i18n import LANGUAGES
from service.models import OnCallClinician, PlaceLevel, Volunteer
from service.phones import normalize_phone
from service.places import by_code


@dataclass
class Caller:
    """The columns of a volunteer (or a CSCom health worker) that a request from their phone uses (a USSD
    step, what they report), read without building an ORM object; `menu` is the USSD menu they get."""

    id: int
    phone: str
    language: str
    area_id: int | None
    training: bool = False  # a trainee's phone: see Volunteer.training
    menu: str = "volunteer"


class PeopleError(DomainError):
    """A registration that cannot be done, with the reason."""


def add_volunteer(
    session: Session, phone: str, name: str, language: str, area_code: str, training: bool = False
) -> Volunteer:
    """Register a volunteer attached to a health area; a phone belongs to one volunteer only. A trainee's
    phone (`training`) reports training records (service/referrals/training.py)."""
    phone = normalize_phone(phone)
    if language not in LANGUAGES:
        raise PeopleError("Choose French or Bambara.", field="language")
    if session.scalar(select(Volunteer).where(Volunteer.phone == phone)):
        raise PeopleError(
            "%(phone)s is already a volunteer.", kind=ErrorKind.CONFLICT, field="phone", phone=phone
        )
    area = by_code(session, area_code, PlaceLevel.AREA, field="area")
    volunteer = Volunteer(
        phone=phone, name=name.strip(), language=language, area=area, active=True, training=training
    )
    session.add(volunteer)
    session.flush()
    return volunteer


def find_volunteer(session: Session, phone: str) -> Volunteer | None:
    return session.scalar(select(Volunteer).where(Volunteer.phone == normalize_phone(phone)))


def deactivate_volunteer(session: Session, phone: str) -> Volunteer:
    volunteer = find_volunteer(session, phone)
    if volunteer is None:
        raise PeopleError(
            "No volunteer has the phone %(phone)s.", kind=ErrorKind.NOT_FOUND, field="phone", phone=phone
        )
    volunteer.active = False
    return volunteer


def add_oncall(
    session: Session, phone: str, name: str, district_code: str, language: str = "fr"
) -> OnCallClinician:
    """Add a clinician at the end of a district's call order."""
    phone = normalize_phone(phone)
    district = by_code(session, district_code, PlaceLevel.DISTRICT, field="district")
    exists = select(OnCallClinician).where(
        OnCallClinician.phone == phone, OnCallClinician.district_id == district.id
    )
    if session.scalar(exists):
        raise PeopleError(
            "%(phone)s is already on call for %(district)s.",
            kind=ErrorKind.CONFLICT,
            field="phone",
            phone=phone,
            district=district.name,
        )
    last_rank = session.scalar(
        select(func.max(OnCallClinician.rank)).where(OnCallClinician.district_id == district.id)
    )
    clinician = OnCallClinician(
        phone=phone, name=name.strip(), district=district, rank=(last_rank or 0) + 1, language=language
    )
    session.add(clinician)
    session.flush()
    return clinician
