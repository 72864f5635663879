"""The month's counts to DHIS2, against the local DHIS2-compatible server: indicators per area and period,
the preview (old -> new), the push and its import summary (imported, updated, ignored, 409 WARNING with
conflicts named by area and indicator), idempotence, the monthly push, and refusals without a traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
import redis
from console_support import make_referral, sign_in
from sqlalchemy import select, update

from service.devtools.dhis2_server import Dhis2Server, demo_metadata
from service.dhis2.indicators import INDICATORS, compute
from service.dhis2.periods import PeriodError, month_before, parse_period
from service.dhis2.push import monthly_pass
from service.models import AuditEntry, Dhis2Push, Place, Referral, SystemAlert
from service.periodic import PassContext

EXAMPLE_MAPPING = Path(__file__).resolve().parent.parent / "docs" / "dhis2-mapping.example.toml"
TOKEN = "dhis2-test-token"
NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
ORG_UNITS = {"TBK-A3": "TbkGrmCntrl", "GAO-A1": "GaoBrmCntrl", "MOP-A1": "MopSevare01"}  # the demo's


@pytest.fixture
def dhis2(db, demo) -> Iterator[Dhis2Server]:
    """The local server knowing the org units of the demo areas (its places CSV maps three)."""
    with Dhis2Server(token=TOKEN, metadata=demo_metadata(list(ORG_UNITS.values()))) as server:
        yield server


@pytest.fixture
def dhis2_settings(settings, dhis2):
    return replace(settings, dhis2_url=dhis2.url, dhis2_token=TOKEN, dhis2_mapping=str(EXAMPLE_MAPPING))


def november_referrals(db) -> None:
    """Two referrals in Gourma-Rharous (one an emergency), one in Bourem, one a trainee's, one in October."""
    make_referral(db, reference="R1", urgency="emergency", category="psychosis", created_at=NOVEMBER)
    make_referral(db, reference="R2", category="depression", created_at=NOVEMBER + timedelta(days=1))
    make_referral(db, reference="R3", village="GAO-V01", volunteer_phone="+22376000001", created_at=NOVEMBER)
    make_referral(db, reference="R4", created_at=NOVEMBER - timedelta(days=30))
    make_referral(db, reference="R5", created_at=NOVEMBER)
    with db.session() as session:
        session.execute(update(Referral).where(Referral.reference == "R5").values(training=True))


def sent_values(server: Dhis2Server) -> dict[tuple[str, str], str]:
    """(data element code, org unit) -> value, for the values DHIS2 holds."""
    codes = {uid: code for code, uid in server.metadata.data_elements.items()}
    return {(codes[de], ou): value for (de, _pe, ou, _coc), value in server.values.items()}


def test_periods_are_dhis2_months_and_iso_weeks():
    november = parse_period("202611")
    assert (november.first.isoformat(), november.after.isoformat()) == ("2026-11-01", "2026-12-01")
    assert parse_period("202612").after.isoformat() == "2027-01-01"
    week = parse_period("2026W1")
    assert (week.code, week.first.isoformat()) == ("2026W1", "2025-12-29")
    assert month_before(datetime(2027, 1, 5).date()).code == "202612"
    for bad in ("202613", "2026-11", "2026W54", "", "abc"):
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_indicators_count_per_area_without_training_or_other_months(db, demo, settings):
    november_referrals(db)
    with db.session() as session:
        counts = compute(session, parse_period("202611"), settings.tz)
        area = {place.code: place.id for place in session.scalars(select(Place))}
    tbk, gao = area["TBK-A3"], area["GAO-A1"]
    assert counts["referrals"][(tbk, "")] == 2 and counts["referrals"][(gao, "")] == 1
    assert counts["emergencies"][(tbk, "")] == 1 and counts["referrals_depression"][(tbk, "")] == 1
    assert set(counts) == set(INDICATORS)


def test_the_preview_shows_old_and_new_and_writes_nothing(runner, db, dhis2, dhis2_settings):
    november_referrals(db)
    runner.app.extensions["jigi.settings"] = dhis2_settings

    shown = runner.invoke(args=["dhis2", "preview", "--period", "202611"])

    assert shown.exit_code == 0, shown.output
    assert "Gourma-Rharous Central\treferrals\t- -> 2" in shown.output
    assert "Bourem Central\temergencies\t- -> 0" in shown.output
    assert "Not sent, no DHIS2 org unit" not in shown.output  # the other areas have nothing this month
    assert dhis2.values == {} and dhis2.posts == []


def test_a_push_imports_then_a_second_is_ignored_and_a_change_updates(runner, db, dhis2, dhis2_settings):
    november_referrals(db)
    runner.app.extensions["jigi.settings"] = dhis2_settings

    first = runner.invoke(args=["dhis2", "push", "--period", "202611"])
    again = runner.invoke(args=["dhis2", "push", "--period", "202611"])
    make_referral(db, reference="R6", created_at=NOVEMBER)
    third = runner.invoke(args=["dhis2", "push", "--period", "202611"])

    values = len(INDICATORS) * len(ORG_UNITS)
    assert (
        first.exit_code == 0 and f"DHIS2 SUCCESS: {values} imported, 0 updated, 0 unchanged" in first.output
    )
    assert again.exit_code == 0 and f"0 imported, 0 updated, {values} unchanged" in again.output
    # one more referral: its area's referrals and its category's referrals change, nothing else
    assert third.exit_code == 0 and "0 imported, 2 updated" in third.output
    assert sent_values(dhis2)[("MHPSS_REFERRALS", "TbkGrmCntrl")] == "3"
    with db.session() as session:
        pushes = session.scalars(select(Dhis2Push).order_by(Dhis2Push.id)).all()
        audited = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "dhis2_push")).all()
    assert [(push.status, push.imported, push.ignored) for push in pushes][:2] == [
        ("SUCCESS", values, 0),
        ("SUCCESS", 0, values),
    ]
    assert len(audited) == 3
    body = str(dhis2.posts[0])
    assert "+223" not in body and "R1" not in body and "Traoré" not in body  # only counts by org unit


def test_conflicts_are_named_by_area_and_indicator_and_the_push_exits_1(runner, db, dhis2, dhis2_settings):
    november_referrals(db)
    dhis2.metadata.org_units.discard("GaoBrmCntrl")  # DHIS2 does not know Bourem's org unit
    runner.app.extensions["jigi.settings"] = dhis2_settings

    pushed = runner.invoke(args=["dhis2", "push", "--period", "202611"])

    assert pushed.exit_code == 1
    assert "DHIS2 WARNING" in pushed.output and "Conflict E7612" in pushed.output
    assert "Bourem Central referrals" in pushed.output
    assert ("MHPSS_REFERRALS", "TbkGrmCntrl") in sent_values(dhis2)  # the rest was imported


def test_wrong_credentials_dhis2_down_or_a_bad_period_say_so_without_a_traceback(
    runner, db, dhis2, dhis2_settings
):
    runner.app.extensions["jigi.settings"] = replace(dhis2_settings, dhis2_token="wrong")
    refused = runner.invoke(args=["dhis2", "push", "--period", "202611"])
    assert refused.exit_code == 1 and "Error: DHIS2 refused the credentials" in refused.output
    assert "Traceback" not in refused.output
    runner.app.extensions["jigi.settings"] = replace(dhis2_settings, dhis2_url="http://127.0.0.1:9")
    down = runner.invoke(args=["dhis2", "push", "--period", "202611"])
    assert down.exit_code == 1 and "Error: DHIS2 does not answer" in down.output
    runner.app.extensions["jigi.settings"] = dhis2_settings
    bad = runner.invoke(args=["dhis2", "push", "--period", "2026-11"])
    assert bad.exit_code == 1 and "is not a DHIS2 period" in bad.output
    with db.session() as session:
        assert [push.status for push in session.scalars(select(Dhis2Push))] == ["FAILED", "FAILED"]


def test_the_monthly_push_runs_once_on_its_day_and_a_failure_alerts(db, dhis2, dhis2_settings):
    november_referrals(db)
    settings = replace(dhis2_settings, dhis2_push_day=3)
    client = redis.Redis.from_url(settings.redis_url)
    on_the_day = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)

    assert monthly_pass(PassContext(db, client, settings, on_the_day - timedelta(days=1))) == {}
    assert monthly_pass(PassContext(db, client, settings, on_the_day)) == {"dhis2_pushed": 1}
    assert monthly_pass(PassContext(db, client, settings, on_the_day + timedelta(hours=2))) == {}
    assert ("MHPSS_REFERRALS", "TbkGrmCntrl") in sent_values(dhis2)

    failing = replace(settings, dhis2_url="http://127.0.0.1:9")
    with db.session() as session:
        session.execute(update(Dhis2Push).values(status="FAILED"))
    assert monthly_pass(PassContext(db, client, failing, on_the_day + timedelta(hours=3))) == {
        "dhis2_pushed": 0
    }
    with db.session() as session:
        assert session.scalars(select(SystemAlert.kind)).all() == ["dhis2_push_failed"]


def test_the_places_csv_takes_an_org_unit_column_by_name(runner, db, tmp_path):
    places = tmp_path / "places.csv"
    places.write_text(
        "code,name,level,parent_code,dhis2_org_unit\nR,Région,region,,\nD,District,district,R,\n"
        "A,Aire,area,D,AbcDefGhi01\n",
        encoding="utf-8",
    )
    assert runner.invoke(args=["places", "import", str(places)]).exit_code == 0
    with db.session() as session:
        assert session.scalar(select(Place.dhis2_org_unit).where(Place.code == "A")) == "AbcDefGhi01"
    places.write_text(
        "code,name,level,parent_code,dhis2_org_unit\nA,Aire,area,D,not-a-uid\n", encoding="utf-8"
    )
    refused = runner.invoke(args=["places", "import", str(places)])
    assert refused.exit_code == 1 and "is not a DHIS2 uid" in refused.output
    places.write_text("code,name,level,parent_code,colour\n", encoding="utf-8")
    assert (
        "may add sms_name and dhis2_org_unit" in runner.invoke(args=["places", "import", str(places)]).output
    )


def test_the_indicators_are_listed(runner):
    listed = runner.invoke(args=["dhis2", "indicators"]).output.splitlines()
    assert [line.split("\t")[0] for line in listed] == list(INDICATORS)
    assert "referrals_depression" in INDICATORS and "consultations_missed" in INDICATORS


def test_the_console_page_previews_pushes_and_keeps_the_history(app, client, db, dhis2, dhis2_settings):
    november_referrals(db)
    app.extensions["jigi.settings"] = dhis2_settings
    sign_in(app, client, db, "admin")

    before = unescape(client.get("/console/dhis2?period=202611").get_data(as_text=True))
    pushed = client.post("/console/dhis2?period=202611", data={"push-period": "202611"})
    after = unescape(client.get("/console/dhis2?period=202611").get_data(as_text=True))

    assert "Ce qui serait envoyé pour 202611" in before and "Cas signalés : Psychose" in before
    assert re.search(
        r"<td>Gourma-Rharous Central</td><td>Cas signalés</td><td>–</td><td><strong>2</strong>", before
    )
    assert pushed.status_code == 302
    assert "DHIS2 a tout accepté (202611)." in after and "tout accepté" in after
    assert re.search(r"<td>Gourma-Rharous Central</td><td>Cas signalés</td><td>2</td>", after)
    assert 'class="changed"' not in after  # DHIS2 now holds every value
    assert sent_values(dhis2)[("MHPSS_REFERRALS", "TbkGrmCntrl")] == "2"


def test_the_console_sets_an_areas_org_unit_and_refuses_a_malformed_one(app, client, db, demo):
    sign_in(app, client, db, "admin")

    bad = client.post("/console/dhis2", data={"unit-area": "GAO-A2", "unit-org_unit": "not a uid"})
    good = client.post("/console/dhis2", data={"unit-area": "GAO-A2", "unit-org_unit": "GaoBamba001"})
    bambara = client.get("/console/dhis2?period=2026-11", headers={"Accept-Language": "bm"})

    assert bad.status_code == 400
    assert "Un uid DHIS2 compte 11 lettres et chiffres" in unescape(bad.get_data(as_text=True))
    assert good.status_code == 302
    with db.session() as session:
        assert session.scalar(select(Place.dhis2_org_unit).where(Place.code == "GAO-A2")) == "GaoBamba001"
        assert session.scalars(select(AuditEntry.action)).all()[-1] == "place_org_unit"
    assert bambara.status_code == 200  # a malformed period is said on the page, not a 5xx
