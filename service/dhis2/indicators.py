"""What Jigi counts for the Ministry, per health area and period: the one registry of indicators.

Each indicator counts rows of the period by the health area they belong to (a village counts in its area);
training records count nowhere. A referral count can also be split by sex and age band (`F:25-49`), which
the mapping may send to DHIS2 category option combos.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.dhis2.periods import Period
from service.i18n import _
from service.models import (
    CATEGORIES,
    Consultation,
    ConsultStatus,
    MessageStatus,
    MobileUnitRound,
    OutboundMessage,
    Patient,
    Place,
    PlaceLevel,
    Referral,
    RoundStatus,
    Urgency,
    VisitRequest,
)
from service.outbox.kinds import Kind

AGE_BANDS = ((0, 14, "0-14"), (15, 24, "15-24"), (25, 49, "25-49"), (50, 200, "50+"))
REMINDER_KINDS = (
    Kind.APPOINTMENT_DAY_BEFORE,
    Kind.APPOINTMENT_SAME_DAY,
    Kind.MEDICATION,
    Kind.CONSULT_DAY_BEFORE,
    Kind.CONSULT_SAME_DAY,
)
SENT = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.UNKNOWN)

# (area id, breakdown key: "" for the total, else "sex:age band") -> count
Counts = Counter[tuple[int, str]]


@dataclass(frozen=True)
class Window:
    """What an indicator is computed over: the period's UTC bounds and each place's health area."""

    start: datetime
    end: datetime
    period: Period
    area_of: dict[int, int]


@dataclass(frozen=True)
class Indicator:
    """`description` is for the command line and DHIS2's team (English); `label` the console's French
    text, which names `category` (an mhGAP category) where the indicator has one."""

    name: str
    description: str
    label: str
    count: Callable[[Session, Window], Counts]
    category: str | None = None


def age_band(age: int | None) -> str:
    for low, high, label in AGE_BANDS:
        if age is not None and low <= age <= high:
            return label
    return "unknown"


def _referrals(session: Session, window: Window, *where: Any) -> Counts:
    counts: Counts = Counter()
    query = select(Referral.place_id, Referral.sex, Referral.age).where(
        Referral.training.is_(False),
        Referral.created_at >= window.start,
        Referral.created_at < window.end,
        *where,
    )
    for place_id, sex, age in session.execute(query):
        area = window.area_of.get(place_id)
        if area is not None:
            counts[(area, "")] += 1
            counts[(area, f"{sex}:{age_band(age)}")] += 1
    return counts


def _referrals_where(*where: Any) -> Callable[[Session, Window], Counts]:
    def count(session: Session, window: Window) -> Counts:
        return _referrals(session, window, *where)

    return count


def _by_area(window: Window, rows: Any) -> Counts:
    counts: Counts = Counter()
    for (place_id,) in rows:
        area = window.area_of.get(place_id)
        if area is not None:
            counts[(area, "")] += 1
    return counts


def _visits_requested(session: Session, window: Window) -> Counts:
    query = select(VisitRequest.place_id).where(
        VisitRequest.training.is_(False),
        VisitRequest.created_at >= window.start,
        VisitRequest.created_at < window.end,
    )
    return _by_area(window, session.execute(query))


def _visits_done(session: Session, window: Window) -> Counts:
    """Requests whose round visited on a day of the period (not cancelled)."""
    query = (
        select(VisitRequest.place_id)
        .join(MobileUnitRound, VisitRequest.round_id == MobileUnitRound.id)
        .where(
            VisitRequest.training.is_(False),
            MobileUnitRound.status != RoundStatus.CANCELLED,
            MobileUnitRound.visit_date >= window.period.first,
            MobileUnitRound.visit_date < window.period.after,
        )
    )
    return _by_area(window, session.execute(query))


def _consultations(status: ConsultStatus) -> Callable[[Session, Window], Counts]:
    def count(session: Session, window: Window) -> Counts:
        query = select(Consultation.area_id).where(
            Consultation.status == status,
            Consultation.starts_at >= window.start,
            Consultation.starts_at < window.end,
        )
        return _by_area(window, session.execute(query))

    return count


def _reminders(delivered: bool) -> Callable[[Session, Window], Counts]:
    def count(session: Session, window: Window) -> Counts:
        statuses = (MessageStatus.DELIVERED,) if delivered else SENT
        query = (
            select(Patient.place_id)
            .join(OutboundMessage, OutboundMessage.patient_id == Patient.id)
            .where(
                OutboundMessage.kind.in_(REMINDER_KINDS),
                OutboundMessage.status.in_(statuses),
                OutboundMessage.sent_at >= window.start,
                OutboundMessage.sent_at < window.end,
            )
        )
        return _by_area(window, session.execute(query))

    return count


INDICATORS: dict[str, Indicator] = {
    indicator.name: indicator
    for indicator in (
        Indicator("referrals", "cases reported by volunteers", _("Cas signalés"), _referrals_where()),
        Indicator(
            "emergencies",
            "cases reported as emergencies",
            _("Urgences signalées"),
            _referrals_where(Referral.urgency == Urgency.EMERGENCY),
        ),
        *(
            Indicator(
                f"referrals_{category}",
                f"cases reported as {category} (mhGAP)",
                _("Cas signalés : %(category)s"),
                _referrals_where(Referral.category == category),
                category,
            )
            for category in CATEGORIES
        ),
        Indicator(
            "visits_requested", "mobile-unit visits requested", _("Visites demandées"), _visits_requested
        ),
        Indicator(
            "visits_done",
            "requested visits made by a mobile-unit round",
            _("Visites faites par une tournée"),
            _visits_done,
        ),
        Indicator(
            "consultations_done",
            "remote consultations attended",
            _("Consultations à distance faites"),
            _consultations(ConsultStatus.ATTENDED),
        ),
        Indicator(
            "consultations_missed",
            "remote consultations missed",
            _("Consultations à distance manquées"),
            _consultations(ConsultStatus.MISSED),
        ),
        Indicator(
            "reminders_sent",
            "reminders taken by a gateway (SMS and calls)",
            _("Rappels envoyés"),
            _reminders(False),
        ),
        Indicator("reminders_delivered", "reminders delivered", _("Rappels reçus"), _reminders(True)),
    )
}


def areas_of(session: Session) -> dict[int, int]:
    """place id -> the id of its health area (an area is its own; a village its parent's)."""
    places = {
        pid: (level, parent)
        for pid, level, parent in session.execute(select(Place.id, Place.level, Place.parent_id))
    }
    found = {}
    for pid, (level, parent) in places.items():
        if level == PlaceLevel.AREA:
            found[pid] = pid
        elif level == PlaceLevel.VILLAGE and parent is not None:
            found[pid] = parent
    return found


def compute(session: Session, period: Period, tz: ZoneInfo) -> dict[str, Counts]:
    """indicator name -> its counts for `period`."""
    start, end = period.bounds(tz)
    window = Window(start, end, period, areas_of(session))
    return {name: indicator.count(session, window) for name, indicator in INDICATORS.items()}
