"""Mobile-unit rounds: open visit requests grouped by place and week; planning, moving and cancelling a
round, each told to the volunteers whose requests it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.errors import DomainError, ErrorKind
from service.models import MobileUnitRound, Place, RoundStatus, VisitRequest, VisitStatus
from service.outbox.kinds import Kind
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
        .where(VisitRequest.status == VisitStatus.OPEN, VisitRequest.training.is_(False))
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
    today: date | None = None,
) -> tuple[MobileUnitRound, list[VisitRequest]]:
    """Create the round for its places (with or without open requests: a coordinator plans ahead too),
    plan the open requests of those places and tell each requesting volunteer the date."""
    places = list(session.scalars(select(Place).where(Place.id.in_(place_ids)))) if place_ids else []
    if not places:
        raise PlanningError("Choose at least one place.", field="places")
    _check_ahead(visit_date, today)
    round_ = MobileUnitRound(
        unit=unit.strip(),
        visit_date=visit_date,
        note=(note or "").strip() or None,
        created_by=actor,
        places=places,
    )
    session.add(round_)
    session.flush()
    requests = list(
        session.scalars(
            select(VisitRequest)
            .where(
                VisitRequest.status == VisitStatus.OPEN,
                VisitRequest.place_id.in_(place_ids),
                VisitRequest.training.is_(False),
            )
            .order_by(VisitRequest.id)
        )
    )
    for request in requests:
        request.status = VisitStatus.PLANNED
        request.round_id = round_.id
    _tell(session, round_, requests, Kind.VISIT_CONFIRMATION)
    record_audit(
        session,
        actor,
        AuditAction.ROUND_PLANNED,
        {
            "round": round_.id,
            "unit": round_.unit,
            "date": visit_date,
            "requests": [r.reference for r in requests],
        },
    )
    return round_, requests


def move_round(
    session: Session, round_: MobileUnitRound, visit_date: date, actor: str, today: date | None = None
) -> list[VisitRequest]:
    """Move a planned round to another date; the volunteers whose requests it serves are told."""
    _check_planned(round_)
    _check_ahead(visit_date, today)
    if visit_date == round_.visit_date:
        return []
    round_.visit_date = visit_date
    requests = _requests_of(session, round_)
    _tell(session, round_, requests, Kind.VISIT_MOVED)
    record_audit(session, actor, AuditAction.ROUND_MOVED, {"round": round_.id, "date": visit_date})
    return requests


def cancel_round(session: Session, round_: MobileUnitRound, actor: str) -> list[VisitRequest]:
    """Cancel a planned round: its requests are open again, and their volunteers are told."""
    _check_planned(round_)
    round_.status = RoundStatus.CANCELLED
    requests = _requests_of(session, round_)
    for request in requests:
        request.status, request.round_id = VisitStatus.OPEN, None
    _tell(session, round_, requests, Kind.VISIT_CANCELLED)
    record_audit(session, actor, AuditAction.ROUND_CANCELLED, {"round": round_.id})
    return requests


def _requests_of(session: Session, round_: MobileUnitRound) -> list[VisitRequest]:
    query = select(VisitRequest).where(VisitRequest.round_id == round_.id).order_by(VisitRequest.id)
    return list(session.scalars(query))


def _tell(session: Session, round_: MobileUnitRound, requests: list[VisitRequest], kind: Kind) -> None:
    """One SMS to the volunteer of each request: the date planned, moved, or the visit cancelled."""
    for request in requests:
        volunteer = request.volunteer
        params = {"reference": request.reference, "village": request.place.name_in_sms}
        if kind != Kind.VISIT_CANCELLED:
            params["visit_date"] = round_.visit_date.isoformat()
        schedule_message(
            session,
            kind=kind,
            recipient=volunteer.phone,
            language=volunteer.language,
            params=params,
            dedupe_key=f"{kind}:{request.id}:{round_.id}:{params.get('visit_date', '')}",
        )


def _check_planned(round_: MobileUnitRound) -> None:
    if round_.status != RoundStatus.PLANNED:
        raise PlanningError("This round is cancelled: plan a new one.", kind=ErrorKind.CONFLICT)


def _check_ahead(visit_date: date, today: date | None) -> None:
    if visit_date < (today or date.today()):
        raise PlanningError("This date has passed: choose today or a later day.", field="visit_date")


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
