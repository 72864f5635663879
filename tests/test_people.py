"""`flask volunteers add|list|deactivate` and `flask oncall add|list`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.models import OnCallClinician, Volunteer


@pytest.fixture
def places(runner, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        "code,name,level,parent_code\nTBK,Tombouctou,region,\nTBK-D2,Gourma-Rharous,district,TBK\n"
        "TBK-A3,Gourma-Rharous Central,area,TBK-D2\n",
        encoding="utf-8",
    )
    assert runner.invoke(args=["places", "import", str(path)]).exit_code == 0


def test_volunteer_is_added_with_a_normalised_phone_and_listed(runner, db, places):
    result = runner.invoke(
        args=[
            "volunteers",
            "add",
            "76 12 34 56",
            "--name",
            "Awa Traoré",
            "--language",
            "bm",
            "--area",
            "TBK-A3",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Volunteer Awa Traoré (+22376123456) added to TBK-A3." in result.output
    listed = runner.invoke(args=["volunteers", "list"]).output
    assert listed == "+22376123456\tAwa Traoré\tbm\tTBK-A3\tactive\n"


def test_duplicate_phone_is_refused(runner, db, places):
    runner.invoke(args=["volunteers", "add", "+22376123456", "--name", "Awa", "--area", "TBK-A3"])
    result = runner.invoke(args=["volunteers", "add", "0022376123456", "--name", "Other", "--area", "TBK-A3"])
    assert result.exit_code == 1
    assert "+22376123456 is already a volunteer." in result.stderr
    with db.session() as session:
        assert len(session.scalars(select(Volunteer)).all()) == 1


@pytest.mark.parametrize(
    ("phone", "reason"),
    [("7612", "does not have the 8 digits of a Mali number"), ("bonjour", "is not a phone number")],
)
def test_invalid_phone_is_refused_with_the_reason(runner, db, places, phone, reason):
    result = runner.invoke(args=["volunteers", "add", phone, "--name", "Awa", "--area", "TBK-A3"])
    assert result.exit_code == 1 and reason in result.stderr


def test_volunteer_needs_a_health_area(runner, db, places):
    result = runner.invoke(args=["volunteers", "add", "+22376123456", "--name", "Awa", "--area", "TBK-D2"])
    assert result.exit_code == 1 and "TBK-D2 is not a health area." in result.stderr


def test_deactivated_volunteer_is_listed_inactive(runner, db, places):
    runner.invoke(args=["volunteers", "add", "+22376123456", "--name", "Awa", "--area", "TBK-A3"])
    result = runner.invoke(args=["volunteers", "deactivate", "76123456"])
    assert result.exit_code == 0 and "Volunteer +22376123456 deactivated." in result.output
    assert runner.invoke(args=["volunteers", "list"]).output.endswith("\tinactive\n")
    unknown = runner.invoke(args=["volunteers", "deactivate", "+22376999999"])
    assert unknown.exit_code == 1 and "No volunteer has the phone" in unknown.stderr


def test_oncall_clinicians_are_called_in_the_order_added(runner, db, places):
    first = runner.invoke(
        args=["oncall", "add", "+22366123456", "--name", "Dr Diallo", "--district", "TBK-D2"]
    )
    second = runner.invoke(
        args=["oncall", "add", "66 00 00 01", "--name", "Dr Touré", "--district", "TBK-D2"]
    )
    assert "Dr Diallo (+22366123456) is number 1 for TBK-D2." in first.output
    assert "Dr Touré (+22366000001) is number 2 for TBK-D2." in second.output
    assert runner.invoke(args=["oncall", "list"]).output == (
        "TBK-D2\t1\t+22366123456\tDr Diallo\nTBK-D2\t2\t+22366000001\tDr Touré\n"
    )
    again = runner.invoke(
        args=["oncall", "add", "+22366123456", "--name", "Dr Diallo", "--district", "TBK-D2"]
    )
    assert again.exit_code == 1 and "already on call for Gourma-Rharous" in again.stderr
    with db.session() as session:
        assert [c.rank for c in session.scalars(select(OnCallClinician).order_by(OnCallClinician.rank))] == [
            1,
            2,
        ]


def test_oncall_needs_a_district(runner, db, places):
    result = runner.invoke(
        args=["oncall", "add", "+22366123456", "--name", "Dr Diallo", "--district", "TBK-A3"]
    )
    assert result.exit_code == 1 and "TBK-A3 is not a health district." in result.stderr
