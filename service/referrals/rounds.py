"""Mobile-unit rounds: open visit requests grouped by place and week, and planning a round."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import record_audit
from service.errors import DomainError
from service.models import MobileUnitRound, Place, VisitRequest
from service.outbox.rows import schedule_message


@dataclass
class RequestGroup:
    """The open requests of one place for one week."""

    place: Place
    week_start: date
    requests: list[VisitRequest] = field(default_factory=list)

    @property
    def people_waiting(self) -> int:
        return sum(request.people_waiting for request in self.requests)


def open_request_groups(session: Session) -> list[RequestGroup]:
    """Open requests by place and week, the earliest week first."""
    groups: dict[tuple[int, date], RequestGroup] = {}
    query = (
        select(VisitRequest)
        .where(VisitRequest.status == "open", VisitRequest.training.is_(False))
        .order_by(VisitRequest.week_start)
    )
    for request in session.scalars(query):
        key = (request.place_id, request.week_start)
        groups.setdefault(key, RequestGroup(request.place, request.week_start)).requests.append(request)
    return sorted(groups.values(), key=lambda group: (group.week_start, group.place.name))


class PlanningError(DomainError):
    """A round that cannot be planned, with the reason."""


def plan_round(
    session: Session,
    *,
    unit: str,
    visit_date: date,
    place_ids: list[int],
    actor: str,
    note: str | None = None,
) -> tuple[MobileUnitRound, list[VisitRequest]]:
    """Create the round, plan the open requests of its places and tell each requesting volunteer the date."""
    requests = list(
        session.scalars(
            select(VisitRequest)
            .where(
                VisitRequest.status == "open",
                VisitRequest.place_id.in_(place_ids),
                VisitRequest.training.is_(False),
            )
            .order_by(VisitRequest.id)
        )
    )
    if not requests:
        raise PlanningError("No open visit request for these places.", field="places")
    round_ = MobileUnitRound(
        unit=unit.strip(), visit_date=visit_date, note=(note or "").strip() or None, created_by=actor
    )
    session.add(round_)
    session.flush()
    for request in requests:
        request.status = "planned"
        request.round_id = round_.id
        volunteer = request.volunteer
        schedule_message(
            session,
            kind="visit_confirmation",
            recipient=volunteer.phone,
            language=volunteer.language,
            params={
                "reference": request.reference,
                "visit_date": visit_date.isoformat(),
                "village": request.place.name_in_sms,
            },
            dedupe_key=f"visit:{request.id}:{round_.id}",
        )
    record_audit(
        session,
        actor,
        "round_planned",
        {
            "round": round_.id,
            "unit": round_.unit,
            "date": visit_date,
            "requests": [r.reference for r in requests],
        },
    )
    return round_, requests


def recent_rounds(session: Session, limit: int = 20) -> list[tuple[MobileUnitRound, list[VisitRequest]]]:
    rounds = list(
        session.scalars(select(MobileUnitRound).order_by(MobileUnitRound.visit_date.desc()).limit(limit))
    )
    planned: dict[int, list[VisitRequest]] = {round_.id: [] for round_ in rounds}
    if rounds:
        query = select(VisitRequest).where(VisitRequest.round_id.in_(planned)).order_by(VisitRequest.id)
        for request in session.scalars(query):
            if request.round_id is not None:
                planned[request.round_id].append(request)
    return [(round_, planned[round_.id]) for round_ in rounds]
