"""CSV exports of referrals and visit requests for a date range (the `export` command and the console).

Times are ISO-8601 UTC; `since` is inclusive, `until` exclusive. Each function writes a header and returns
the number of rows written. No contact phone of a person is exported.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Place, Referral, VisitRequest, Volunteer

REFERRAL_COLUMNS = [
    "reference",
    "created_at",
    "category",
    "urgency",
    "red_flag",
    "sex",
    "age",
    "place_code",
    "consent",
    "phone_shared",
    "status",
    "channel",
    "volunteer_phone",
]
VISIT_COLUMNS = [
    "reference",
    "created_at",
    "place_code",
    "people_waiting",
    "preferred_week",
    "week_start",
    "status",
    "channel",
    "volunteer_phone",
]


def _flag(value: bool | None) -> str:
    return "" if value is None else str(int(value))


def export_referrals(
    session: Session, out: TextIO, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Referrals created from `since` to `until`, oldest first."""
    query = (
        select(Referral, Place.code, Volunteer.phone)
        .join(Place, Referral.place_id == Place.id)
        .join(Volunteer, Referral.volunteer_id == Volunteer.id)
        .order_by(Referral.created_at, Referral.id)
    )
    if since:
        query = query.where(Referral.created_at >= since)
    if until:
        query = query.where(Referral.created_at < until)
    writer = csv.writer(out)
    writer.writerow(REFERRAL_COLUMNS)
    count = 0
    for referral, place_code, volunteer_phone in session.execute(query):
        writer.writerow(
            [
                referral.reference,
                referral.created_at.isoformat(),
                referral.category,
                referral.urgency,
                referral.red_flag or "",
                referral.sex,
                referral.age,
                place_code,
                _flag(referral.consent),
                _flag(referral.phone_shared),
                referral.status,
                referral.channel,
                volunteer_phone,
            ]
        )
        count += 1
    return count


def export_visits(
    session: Session, out: TextIO, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Visit requests created from `since` to `until`, oldest first."""
    query = (
        select(VisitRequest, Place.code, Volunteer.phone)
        .join(Place, VisitRequest.place_id == Place.id)
        .join(Volunteer, VisitRequest.volunteer_id == Volunteer.id)
        .order_by(VisitRequest.created_at, VisitRequest.id)
    )
    if since:
        query = query.where(VisitRequest.created_at >= since)
    if until:
        query = query.where(VisitRequest.created_at < until)
    writer = csv.writer(out)
    writer.writerow(VISIT_COLUMNS)
    count = 0
    for visit, place_code, volunteer_phone in session.execute(query):
        writer.writerow(
            [
                visit.reference,
                visit.created_at.isoformat(),
                place_code,
                visit.people_waiting,
                visit.preferred_week,
                visit.week_start.isoformat(),
                visit.status,
                visit.channel,
                volunteer_phone,
            ]
        )
        count += 1
    return count
