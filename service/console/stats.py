"""The dashboard's numbers: referrals per week and district, time to first contact, reminder delivery,
opt-outs. Weeks start on Monday in the configured zone; rows are bucketed in Python (one query each)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import (
    CATEGORIES,
    URGENCIES,
    Channel,
    Consultation,
    ConsultStatus,
    MessageEvent,
    MessageStatus,
    OutboundMessage,
    Patient,
    Place,
    Referral,
)
from service.outbox.kinds import Kind

REMINDER_KINDS = (Kind.APPOINTMENT_DAY_BEFORE, Kind.APPOINTMENT_SAME_DAY, Kind.MEDICATION)
# Statuses of a message the gateway accepted: the denominator of the delivery rate.
ACCEPTED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.UNKNOWN)


@dataclass
class Dashboard:
    weeks: list[date]
    by_category: dict[str, list[int]]
    by_urgency: dict[str, list[int]]
    by_district: list[tuple[str, int]]
    referrals: int
    contacted: int
    median_contact_hours: float | None
    reminders_sent: list[int]
    reminders_delivered: list[int]
    opt_outs: list[int]
    # Reminders by channel, per week: SMS the gateways took; calls placed, answered, and their minutes.
    sms_reminders: list[int]
    calls: list[int]
    calls_answered: list[int]
    call_minutes: list[float]
    by_sms: list[int]  # reminder calls that went by SMS instead (no recording in the language, not reached)
    call_cost: float = 0.0
    call_currency: str = ""

    @property
    def delivery_rate(self) -> float | None:
        sent = sum(self.reminders_sent)
        return sum(self.reminders_delivered) / sent if sent else None

    def weekly_rate(self) -> list[float | None]:
        return [
            round(100 * delivered / sent, 1) if sent else None
            for sent, delivered in zip(self.reminders_sent, self.reminders_delivered, strict=True)
        ]


def week_of(moment: datetime, tz: ZoneInfo) -> date:
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date) -> list[date]:
    start = first - timedelta(days=first.weekday())
    return [start + timedelta(weeks=n) for n in range((last - start).days // 7 + 1)]


def district_names(session: Session) -> dict[int, str]:
    """Every place id -> the name of its district (or its own name above the district level)."""
    places = {place.id: place for place in session.scalars(select(Place))}
    names = {}
    for place_id, place in places.items():
        current = place
        while current.level not in ("district", "region") and current.parent_id in places:
            current = places[current.parent_id]
        names[place_id] = current.name
    return names


def dashboard(session: Session, since: datetime, until: datetime, tz: ZoneInfo) -> Dashboard:
    """The dashboard for referrals and messages from `since` (inclusive) to `until` (exclusive)."""
    weeks = weeks_between(since.astimezone(tz).date(), (until - timedelta(seconds=1)).astimezone(tz).date())
    slot = {week: index for index, week in enumerate(weeks)}

    def per_week() -> list[int]:
        return [0] * len(weeks)

    by_category = {category: per_week() for category in CATEGORIES}
    by_urgency = {urgency: per_week() for urgency in URGENCIES}
    districts: Counter[str] = Counter()
    waits = []
    names = district_names(session)
    rows = session.execute(
        select(
            Referral.created_at,
            Referral.category,
            Referral.urgency,
            Referral.place_id,
            Referral.first_contact_at,
        ).where(Referral.created_at >= since, Referral.created_at < until, Referral.training.is_(False))
    ).all()
    for created_at, category, urgency, place_id, first_contact_at in rows:
        index = slot[week_of(created_at, tz)]
        by_category.setdefault(category, per_week())[index] += 1
        by_urgency.setdefault(urgency, per_week())[index] += 1
        districts[names.get(place_id, "?")] += 1
        if first_contact_at is not None:
            waits.append((first_contact_at - created_at).total_seconds() / 3600)

    sent, delivered = per_week(), per_week()
    sms, calls, answered, minutes = per_week(), per_week(), per_week(), [0.0] * len(weeks)
    cost, currency = 0.0, ""
    messages = session.execute(
        select(
            OutboundMessage.sent_at,
            OutboundMessage.status,
            OutboundMessage.channel,
            OutboundMessage.duration_seconds,
            OutboundMessage.cost,
            OutboundMessage.currency,
        ).where(
            OutboundMessage.kind.in_(REMINDER_KINDS),
            OutboundMessage.status.in_(ACCEPTED),
            OutboundMessage.sent_at >= since,
            OutboundMessage.sent_at < until,
        )
    ).all()
    for sent_at, status, channel, seconds, amount, unit in messages:
        if sent_at is None:
            continue
        index = slot[week_of(sent_at, tz)]
        sent[index] += 1
        delivered[index] += status == MessageStatus.DELIVERED
        if channel != Channel.VOICE:
            sms[index] += 1
            continue
        calls[index] += 1
        answered[index] += status == MessageStatus.DELIVERED
        minutes[index] = round(minutes[index] + (seconds or 0) / 60, 1)
        cost += _amount(amount)
        currency = unit or currency

    by_sms = per_week()
    instead = select(MessageEvent.created_at).where(
        MessageEvent.status == "by_sms", MessageEvent.created_at >= since, MessageEvent.created_at < until
    )
    for moment in session.scalars(instead):
        by_sms[slot[week_of(moment, tz)]] += 1

    opt_outs = per_week()
    for (opted_out_at,) in session.execute(
        select(Patient.opted_out_at).where(Patient.opted_out_at >= since, Patient.opted_out_at < until)
    ):
        if opted_out_at is not None:
            opt_outs[slot[week_of(opted_out_at, tz)]] += 1

    return Dashboard(
        weeks=weeks,
        by_category=by_category,
        by_urgency=by_urgency,
        by_district=districts.most_common(),
        referrals=len(rows),
        contacted=len(waits),
        median_contact_hours=round(statistics.median(waits), 1) if waits else None,
        reminders_sent=sent,
        reminders_delivered=delivered,
        opt_outs=opt_outs,
        sms_reminders=sms,
        calls=calls,
        calls_answered=answered,
        call_minutes=minutes,
        by_sms=by_sms,
        call_cost=round(cost, 2),
        call_currency=currency,
    )


@dataclass
class MonthOfMessages:
    """One month's outbound messages by channel: SMS sent, calls placed and answered, minutes, cost."""

    month: date
    sms: int = 0
    calls: int = 0
    answered: int = 0
    seconds: int = 0
    cost: float = 0.0
    currency: str = ""
    by_sms: int = 0  # reminder calls that went by SMS instead (no recording in the language, not reached)


def messages_by_month(session: Session, tz: ZoneInfo, today: date, months: int = 6) -> list[MonthOfMessages]:
    """SMS and calls the gateways took, per local month, newest first (the last `months` months)."""
    first = date(today.year, today.month, 1)
    for _month in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    since = datetime.combine(first, datetime.min.time(), tz)
    query = select(
        OutboundMessage.channel,
        OutboundMessage.status,
        OutboundMessage.sent_at,
        OutboundMessage.duration_seconds,
        OutboundMessage.cost,
        OutboundMessage.currency,
    ).where(OutboundMessage.sent_at >= since, OutboundMessage.status.in_(ACCEPTED))
    found: dict[date, MonthOfMessages] = {}
    for channel, status, sent_at, seconds, cost, currency in session.execute(query):
        if sent_at is None:
            continue
        local = sent_at.astimezone(tz).date()
        month = found.setdefault(local.replace(day=1), MonthOfMessages(local.replace(day=1)))
        if channel != "voice":
            month.sms += 1
            continue
        month.calls += 1
        month.answered += status == MessageStatus.DELIVERED
        month.seconds += seconds or 0
        month.cost += _amount(cost)
        month.currency = currency or month.currency
    instead = select(MessageEvent.created_at).where(
        MessageEvent.status == "by_sms", MessageEvent.created_at >= since
    )
    for moment in session.scalars(instead):
        local = moment.astimezone(tz).date().replace(day=1)
        found.setdefault(local, MonthOfMessages(local)).by_sms += 1
    return sorted(found.values(), key=lambda month: month.month, reverse=True)


def _amount(cost: str | None) -> float:
    """A gateway's cost as a number (`XOF 12.5` or `12.5`); 0 when unreadable."""
    try:
        return float((cost or "0").split()[-1])
    except ValueError:
        return 0.0


def consults_by_month(
    session: Session, tz: ZoneInfo, today: date, months: int = 6
) -> list[tuple[date, int, int]]:
    """Remote consultations done and missed per local month (the last `months` months), newest first."""
    first = date(today.year, today.month, 1)
    for _month in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    found: dict[date, list[int]] = {}
    query = select(Consultation.starts_at, Consultation.status).where(
        Consultation.status.in_((ConsultStatus.ATTENDED, ConsultStatus.MISSED)),
        Consultation.starts_at >= datetime.combine(first, datetime.min.time(), tz),
    )
    for starts_at, status in session.execute(query):
        month = starts_at.astimezone(tz).date().replace(day=1)
        counts = found.setdefault(month, [0, 0])
        counts[0 if status == ConsultStatus.ATTENDED else 1] += 1
    return [(month, done, missed) for month, (done, missed) in sorted(found.items(), reverse=True)]
