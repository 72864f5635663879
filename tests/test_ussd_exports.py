"""CSV exports of referrals and visit requests: `flask export referrals|visits` and the plain functions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from service.exports import (
    FULL_REFERRAL_COLUMNS,
    REFERRAL_COLUMNS,
    VISIT_COLUMNS,
    age_band,
    export_referrals,
    export_visits,
)
from service.models import AuditEntry, Place, Referral, VisitRequest, Volunteer


@pytest.fixture
def records(db, demo):
    """Two referrals and a visit request on different days (times in UTC, Bamako is UTC+0)."""
    with db.session() as session:
        volunteer = session.scalars(select(Volunteer).where(Volunteer.phone == "+22376000001")).one()
        village = session.scalars(select(Place).where(Place.code == "GAO-V02")).one()
        for reference, day, category in (("R3KA", 2, "depression"), ("R4KB", 5, "psychosis")):
            session.add(
                Referral(
                    reference=reference,
                    volunteer=volunteer,
                    place=village,
                    category=category,
                    sex="F",
                    age=30,
                    urgency="routine",
                    consent=True,
                    contact_phone="+22376543210",
                    phone_shared=False,
                    session_id=f"ATUid_{reference}",
                    created_at=datetime(2026, 3, day, 10, 0, tzinfo=UTC),
                )
            )
        session.add(
            VisitRequest(
                reference="V7KC",
                volunteer=volunteer,
                place=village,
                people_waiting=12,
                preferred_week="next_week",
                week_start=date(2026, 3, 9),
                created_at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
            )
        )


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_default_referrals_export_is_de_identified(db, records):
    out = io.StringIO()
    with db.session() as session:
        assert export_referrals(session, out) == 2
    assert out.getvalue().splitlines()[0] == ",".join(REFERRAL_COLUMNS)
    assert rows(out.getvalue())[0] == {
        "reference": "R3KA",
        "created_at": "2026-03-02T10:00:00+00:00",
        "category": "depression",
        "urgency": "routine",
        "sex": "F",
        "age_band": "25-34",
        "area_code": "GAO-A1",
        "consent": "1",
        "status": "new",
        "channel": "ussd",
    }
    assert "+223" not in out.getvalue() and "GAO-V02" not in out.getvalue()


@pytest.mark.parametrize(
    ("age", "band"), [(0, "0-4"), (4, "0-4"), (17, "15-17"), (18, "18-24"), (64, "55-64"), (90, "65+")]
)
def test_ages_fall_in_bands(age, band):
    assert age_band(age) == band


def test_a_full_referrals_export_has_the_identifying_columns_and_no_contact_phone(db, records):
    out = io.StringIO()
    with db.session() as session:
        assert export_referrals(session, out, full=True) == 2
    assert out.getvalue().splitlines()[0] == ",".join(FULL_REFERRAL_COLUMNS)
    first = rows(out.getvalue())[0]
    assert first == {
        "reference": "R3KA",
        "created_at": "2026-03-02T10:00:00+00:00",
        "category": "depression",
        "urgency": "routine",
        "red_flag": "",
        "sex": "F",
        "age": "30",
        "place_code": "GAO-V02",
        "consent": "1",
        "phone_shared": "0",
        "status": "new",
        "channel": "ussd",
        "volunteer_phone": "+22376000001",
    }
    assert "+22376543210" not in out.getvalue()


def test_export_visits_writes_the_columns(db, records):
    out = io.StringIO()
    with db.session() as session:
        assert export_visits(session, out) == 1
    assert out.getvalue().splitlines()[0] == ",".join(VISIT_COLUMNS)
    visit = rows(out.getvalue())[0]
    assert (visit["reference"], visit["place_code"], visit["people_waiting"]) == ("V7KC", "GAO-V02", "12")
    assert (visit["preferred_week"], visit["week_start"], visit["status"]) == (
        "next_week",
        "2026-03-09",
        "open",
    )


def test_export_command_filters_by_local_days_and_audits(runner, db, records):
    result = runner.invoke(args=["export", "referrals", "--since", "2026-03-05", "--until", "2026-03-05"])
    assert result.exit_code == 0, result.output
    assert [row["reference"] for row in rows(result.stdout)] == ["R4KB"]
    assert "1 referrals exported." in result.stderr
    everything = runner.invoke(args=["export", "referrals", "--until", "2026-03-04"])
    assert [row["reference"] for row in rows(everything.stdout)] == ["R3KA"]
    with db.session() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["export", "export"]


def test_export_visits_command_writes_csv(runner, records):
    result = runner.invoke(args=["export", "visits", "--since", "2026-03-01"])
    assert result.exit_code == 0
    assert [row["reference"] for row in rows(result.stdout)] == ["V7KC"]


def test_a_full_export_from_the_command_line_needs_a_reason_and_is_audited_with_it(runner, db, records):
    refused = runner.invoke(args=["export", "referrals", "--full"])
    assert refused.exit_code == 1 and "Say why" in refused.output

    result = runner.invoke(
        args=["export", "visits", "--full", "--reason", "Tournée de Bourem, liste des relais"]
    )

    assert result.exit_code == 0, result.output
    assert rows(result.stdout)[0]["volunteer_phone"] == "+22376000001"
    with db.session() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "export_full" and "Tournée de Bourem" in entry.detail


def test_export_command_refuses_a_malformed_date(runner, records):
    result = runner.invoke(args=["export", "visits", "--since", "03/2026"])
    assert result.exit_code == 2 and "--since" in result.output
