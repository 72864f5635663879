"""Recording what volunteers report: referrals, visit requests and follow-ups, each once per session.

The USSD actions call these when a volunteer confirms; an emergency alerts the on-call clinician in the
same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.config import Settings
from service.errors import DomainError, ErrorKind
from service.models import (
    FollowUp,
    FollowupOutcome,
    Place,
    PlaceLevel,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Urgency,
    VisitRequest,
    VisitStatus,
)
from service.people import Caller
from service.references import unique_reference
from service.referrals.alerts import raise_emergency_alert, raise_training_alert
from service.referrals.triage import may_become

log = logging.getLogger(__name__)

CHANNEL = "ussd"
URGENT_CATEGORIES = frozenset({"psychosis", "epilepsy", "self_harm"})
WEEKS_AHEAD = {"this_week": 0, "next_week": 1, "later": 2}
# Another session may take the reference code drawn here between its check and the insert: draw again.
WRITE_ATTEMPTS = 3

Record = TypeVar("Record", Referral, VisitRequest, FollowUp)


class RecordError(DomainError):
    """The answers of a flow do not fit the database (e.g. a village outside the volunteer's area)."""


@dataclass(frozen=True)
class CaseReport:
    """A volunteer's answers about a possible case; no name, the reference stands for the person."""

    category: str
    sex: str
    age: int
    place_id: int
    red_flag: str | None
    consent: bool
    contact_phone: str | None
    phone_shared: bool | None


def urgency_for(category: str, red_flag: str | None) -> Urgency:
    """Any red flag: emergency; else psychosis, epilepsy and self-harm are urgent, the rest routine."""
    if red_flag:
        return Urgency.EMERGENCY
    return Urgency.URGENT if category in URGENT_CATEGORIES else Urgency.ROUTINE


def week_start_for(preferred_week: str, now: datetime, tz: ZoneInfo) -> date:
    """The local Monday of the chosen week; "later" is two weeks ahead."""
    today = now.astimezone(tz).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=WEEKS_AHEAD[preferred_week])


def once_per_session(
    session: Session, model: type[Record], session_id: str, write: Callable[[], Record]
) -> Record:
    """Commit what `write` adds unless this session did already; a concurrent twin reads the first back."""
    existing = session.scalar(select(model).where(model.session_id == session_id))
    if existing is not None:
        return existing
    attempts_left = WRITE_ATTEMPTS
    while True:
        try:
            record = write()
            session.commit()
            return record
        except IntegrityError:
            session.rollback()
            existing = session.scalar(select(model).where(model.session_id == session_id))
            if existing is not None:
                log.info(
                    "Session %s finished twice at once: its first %s is kept", session_id, model.__name__
                )
                return existing
            attempts_left -= 1
            if attempts_left == 0:
                raise
            log.info("Session %s: the reference code was taken meanwhile, drawing another", session_id)


def village_in_area(session: Session, volunteer: Caller, place_id: int) -> Place:
    place = session.get(Place, place_id)
    if place is None or place.level != PlaceLevel.VILLAGE or place.parent_id != volunteer.area_id:
        raise RecordError("This village is not in your area.", field="place")
    return place


def create_referral(
    session: Session,
    settings: Settings,
    volunteer: Caller,
    report: CaseReport,
    session_id: str,
    now: datetime,
) -> Referral:
    """Record the case; an emergency alerts the district's on-call clinician in the same transaction."""

    def write() -> Referral:
        referral = Referral(
            reference=unique_reference(session, Referral, "R"),
            volunteer_id=volunteer.id,
            place=village_in_area(session, volunteer, report.place_id),
            category=report.category,
            sex=report.sex,
            age=report.age,
            red_flag=report.red_flag,
            urgency=urgency_for(report.category, report.red_flag),
            consent=report.consent,
            contact_phone=report.contact_phone if report.consent else None,
            phone_shared=report.phone_shared if report.consent else None,
            status=ReferralStatus.NEW,
            channel=CHANNEL,
            session_id=session_id,
            created_at=now,
            updated_at=now,
            training=volunteer.training,
        )
        session.add(referral)
        session.flush()
        if referral.urgency == Urgency.EMERGENCY and referral.training:
            raise_training_alert(session, settings, referral)
        elif referral.urgency == Urgency.EMERGENCY:
            raise_emergency_alert(
                session, referral, timedelta(minutes=settings.alert_escalate_minutes), settings.oncall_voice
            )
        return referral

    return once_per_session(session, Referral, session_id, write)


def create_visit_request(
    session: Session,
    settings: Settings,
    volunteer: Caller,
    place_id: int,
    people_waiting: int,
    preferred_week: str,
    session_id: str,
    now: datetime,
) -> VisitRequest:
    """Record a request for a mobile-unit visit to a village of the volunteer's area."""

    def write() -> VisitRequest:
        visit = VisitRequest(
            reference=unique_reference(session, VisitRequest, "V"),
            volunteer_id=volunteer.id,
            place=village_in_area(session, volunteer, place_id),
            people_waiting=people_waiting,
            preferred_week=preferred_week,
            week_start=week_start_for(preferred_week, now, settings.tz),
            status=VisitStatus.OPEN,
            channel=CHANNEL,
            session_id=session_id,
            created_at=now,
            training=volunteer.training,
        )
        session.add(visit)
        session.flush()
        return visit

    return once_per_session(session, VisitRequest, session_id, write)


def volunteer_referral(session: Session, volunteer: Caller, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None or referral.volunteer_id != volunteer.id:
        raise RecordError("This referral is not one of yours.", kind=ErrorKind.NOT_FOUND, field="referral")
    return referral


def record_followup(
    session: Session, volunteer: Caller, referral_id: int, outcome: str, session_id: str, now: datetime
) -> FollowUp:
    """Record a follow-up and its history event; "seen at a facility" marks the referral seen."""

    def write() -> FollowUp:
        referral = volunteer_referral(session, volunteer, referral_id)
        followup = FollowUp(
            referral_id=referral.id,
            volunteer_id=volunteer.id,
            outcome=outcome,
            channel=CHANNEL,
            session_id=session_id,
            created_at=now,
        )
        session.add(followup)
        session.flush()
        events = [ReferralEvent(kind="followup", detail=outcome)]
        if outcome == FollowupOutcome.SEEN_AT_FACILITY and may_become(referral, ReferralStatus.SEEN):
            referral.status = ReferralStatus.SEEN
            referral.updated_at = now
            events.append(ReferralEvent(kind="seen", detail="followup"))
        for event in events:
            event.referral_id, event.actor, event.created_at = referral.id, volunteer.phone, now
            session.add(event)
        return followup

    return once_per_session(session, FollowUp, session_id, write)
