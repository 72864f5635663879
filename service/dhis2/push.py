"""The preview and the push of a period's counts: every value that would be sent, by area and indicator,
beside what DHIS2 holds now (old -> new); then the import, its summary kept, its conflicts named by area
and indicator. Pushing again is harmless: DHIS2 counts identical values as ignored.

Only counts leave, by organisation unit: no phone, no name, no reference, no village.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import system_alerts
from service.accounts import AuditAction, record_audit
from service.config import Settings
from service.dhis2.client import Dhis2Client, Dhis2Error, ImportSummary
from service.dhis2.indicators import compute
from service.dhis2.mapping import Mapping, load_mapping
from service.dhis2.periods import Period, month_before, parse_period
from service.errors import DomainError
from service.models import Dhis2Push, Place, PlaceLevel
from service.periodic import PassContext
from service.timeutil import as_utc, local_date

RETRY_AFTER = timedelta(hours=1)  # a monthly push that failed is tried again this long after


@dataclass(frozen=True)
class Value:
    """One value to send: the area and indicator it counts, and where it goes in DHIS2."""

    area: str  # the area's name, for people
    indicator: str
    breakdown: str  # "" or "F:25-49"
    data_element: str
    org_unit: str
    combo: str  # category option combo, "" for the default
    value: int

    def key(self) -> tuple[str, str, str]:
        return (self.data_element, self.org_unit, self.combo)

    def json(self, period: str) -> dict[str, str]:
        data = {
            "dataElement": self.data_element,
            "period": period,
            "orgUnit": self.org_unit,
            "value": str(self.value),
        }
        return data | ({"categoryOptionCombo": self.combo} if self.combo else {})


@dataclass(frozen=True)
class Preview:
    period: Period
    mapping: Mapping
    values: list[Value]
    unmapped_areas: list[str]  # areas with counts but no DHIS2 org unit
    current: dict[tuple, str] | None  # what DHIS2 holds now; None when it could not be read
    current_error: Dhis2Error | None = None

    @property
    def unmapped_indicators(self) -> list[str]:
        return self.mapping.unmapped()


def values_for(
    session: Session, settings: Settings, mapping: Mapping, period: Period
) -> tuple[list[Value], list[str]]:
    """The values of `period` for every mapped indicator and area, and the areas left out (no org unit)."""
    counts = compute(session, period, settings.tz)
    areas = session.scalars(select(Place).where(Place.level == PlaceLevel.AREA).order_by(Place.name)).all()
    values, unmapped = [], []
    for area in areas:
        if not area.dhis2_org_unit:
            if any(
                count
                for found in counts.values()
                for (area_id, _key), count in found.items()
                if area_id == area.id
            ):
                unmapped.append(area.name)
            continue
        for name, element in mapping.elements.items():
            found = counts[name]
            parts = element.combos.items() if element.combos else [("", "")]
            for breakdown, combo in parts:
                values.append(
                    Value(
                        area.name,
                        name,
                        breakdown,
                        element.data_element,
                        area.dhis2_org_unit,
                        combo,
                        found[(area.id, breakdown)],
                    )
                )
    return values, unmapped


def preview(session: Session, settings: Settings, period_text: str) -> Preview:
    """Every value `push` would send, and what DHIS2 holds now (read only; nothing is written)."""
    period = parse_period(period_text)
    mapping = load_mapping(settings.dhis2_mapping)
    values, unmapped = values_for(session, settings, mapping, period)
    current, error = None, None
    try:
        client = Dhis2Client(settings)
        units = sorted({value.org_unit for value in values})
        combos = {combo for element in mapping.elements.values() for combo in element.combos.values()}
        current = (
            client.current(mapping.data_set, period.code, units, mapping.id_scheme, combos) if units else {}
        )
    except Dhis2Error as failure:
        error = failure
    return Preview(period, mapping, values, unmapped, current, error)


def push(
    session: Session, settings: Settings, period_text: str, by: str, now: datetime, dry_run: bool = False
) -> tuple[Dhis2Push, Preview, Dhis2Error | None]:
    """Send the period's values; keep the push and DHIS2's summary, record it in the audit log. When DHIS2
    cannot be asked (no credentials, unreachable, refusing them) the push is kept as FAILED and the error
    returned, so that the caller's transaction keeps the record."""
    period = parse_period(period_text)
    mapping = load_mapping(settings.dhis2_mapping)
    values, unmapped = values_for(session, settings, mapping, period)
    view = Preview(period, mapping, values, unmapped, None)
    record = Dhis2Push(
        period=period.code, dry_run=dry_run, values=len(values), by=by, created_at=now, conflicts=[]
    )
    session.add(record)
    try:
        summary = Dhis2Client(settings).post(
            {"dataSet": mapping.data_set, "dataValues": [value.json(period.code) for value in values]},
            mapping.id_scheme,
            dry_run,
        )
    except Dhis2Error as error:
        record.status, record.message = "FAILED", error.text("en")
        session.flush()
        record_audit(session, by, AuditAction.DHIS2_PUSH, {"period": period.code, "status": "FAILED"})
        return record, view, error
    _keep(record, summary, values)
    session.flush()
    record_audit(
        session,
        by,
        AuditAction.DHIS2_PUSH,
        {"period": period.code, "status": record.status, "dry_run": dry_run},
    )
    return record, view, None


def complete(record: Dhis2Push) -> bool:
    """Whether every value was taken (imported, updated or identical)."""
    return record.status == "SUCCESS" and not record.conflicts


def _keep(record: Dhis2Push, summary: ImportSummary, values: list[Value]) -> None:
    record.status = summary.status
    record.imported, record.updated, record.ignored = summary.imported, summary.updated, summary.ignored
    record.conflicts = [
        {
            "code": conflict.code,
            "message": conflict.message,
            "values": [
                {
                    "area": values[index].area,
                    "indicator": values[index].indicator,
                    "breakdown": values[index].breakdown,
                }
                for index in conflict.indexes
                if 0 <= index < len(values)
            ],
        }
        for conflict in summary.conflicts
    ]


def monthly_pass(context: PassContext) -> dict[str, int]:
    """On DHIS2_PUSH_DAY, push the month before, once it has not been pushed completely; a failure raises a
    system alert for coordinators."""
    settings = context.settings
    today = local_date(context.now, settings.tz)
    if settings.dhis2_push_day is None or today.day != settings.dhis2_push_day:
        return {}
    period = month_before(today)
    with context.database.session() as session:
        done = session.scalars(
            select(Dhis2Push).where(Dhis2Push.period == period.code, Dhis2Push.dry_run.is_(False))
        ).all()
        last = max((as_utc(record.created_at) for record in done), default=None)
        if any(complete(record) for record in done) or (
            last is not None and context.now - last < RETRY_AFTER
        ):
            return {}
        try:
            record, _view, error = push(session, settings, period.code, "worker", context.now)
            problem = error.text("en") if error else f"{record.status}, {len(record.conflicts)} conflicts"
            pushed = complete(record)
        except DomainError as refused:  # no mapping, or one that cannot be read
            problem, pushed = refused.text("en"), False
        if not pushed:
            system_alerts.raise_alert(
                session, system_alerts.AlertKind.DHIS2_PUSH_FAILED, f"DHIS2 push of {period.code}: {problem}"
            )
    return {"dhis2_pushed": int(pushed)}
