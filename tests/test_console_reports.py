"""The dashboard: weekly numbers, time to first contact, reminder delivery, opt-outs, and the SVG charts."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from console_support import make_referral, sign_in
from sqlalchemy import select

from service.console.charts import Series, bar_chart, line_chart
from service.console.stats import dashboard
from service.models import MessageEvent, OutboundMessage, Patient

MONDAY = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
BAMAKO = ZoneInfo("Africa/Bamako")


@pytest.fixture
def data(db, demo):
    make_referral(
        db,
        reference="R1",
        category="psychosis",
        urgency="emergency",
        created_at=MONDAY,
        first_contact_at=MONDAY + timedelta(hours=2),
    )
    make_referral(
        db,
        reference="R2",
        category="depression",
        urgency="routine",
        created_at=MONDAY + timedelta(days=1),
        first_contact_at=MONDAY + timedelta(days=1, hours=10),
    )
    make_referral(
        db,
        reference="R3",
        category="depression",
        urgency="urgent",
        village="GAO-V01",
        volunteer_phone="+22376000001",
        created_at=MONDAY + timedelta(days=8),
        first_contact_at=MONDAY + timedelta(days=8, hours=4),
    )
    with db.session() as session:
        for status in ("delivered", "delivered", "delivered", "failed"):
            session.add(
                OutboundMessage(
                    kind="medication",
                    recipient="+22376555555",
                    language="fr",
                    params={},
                    due_at=MONDAY,
                    sent_at=MONDAY,
                    status=status,
                )
            )
        session.add(
            Patient(
                reference="P1", phone="+22376555555", opted_out=True, opted_out_at=MONDAY + timedelta(days=9)
            )
        )


def test_dashboard_counts_per_week_district_and_contact_time(db, data):
    with db.session() as session:
        result = dashboard(session, MONDAY - timedelta(hours=10), MONDAY + timedelta(days=14), BAMAKO)
    assert result.weeks[:2] == [MONDAY.date(), MONDAY.date() + timedelta(days=7)]
    assert result.by_category["depression"][:2] == [1, 1] and result.by_category["psychosis"][:2] == [1, 0]
    assert result.by_urgency["emergency"][:2] == [1, 0]
    assert dict(result.by_district) == {"Gourma-Rharous": 2, "Bourem": 1}
    assert result.median_contact_hours == 4.0
    assert result.delivery_rate == 0.75 and result.weekly_rate()[0] == 75.0
    assert result.opt_outs[:2] == [0, 1]


def test_dashboard_page_shows_charts_and_their_numbers(app, client, db, data):
    sign_in(app, client, db, "viewer")
    page = client.get("/console/?since=2030-03-01&until=2030-03-17").get_data(as_text=True)
    assert page.count("<svg") == 6 and "<title" in page
    assert (
        "Délai médian jusqu&#39;au premier contact" in page or "Délai médian jusqu'au premier contact" in page
    )
    assert (
        "4,0 h" in page and "75,0 %" in page
    )  # French number formats and "<td>Bourem</td><td>1</td>" in page


def test_bar_chart_has_a_title_axis_labels_and_one_bar_per_value():
    svg = str(
        bar_chart(
            "Signalements", ["4 mars", "11 mars"], [Series("A", [2, 0]), Series("B", [1, 3])], stacked=True
        )
    )
    assert (
        svg.startswith('<div class="chart-box"><svg')
        and 'role="img"' in svg
        and ">Signalements</title>" in svg
    )
    assert svg.count("<rect x=") - 2 == 4  # two legend squares, then four bars
    assert ">4 mars</text>" in svg and ">4</text>" in svg  # an x label and the top of the y axis


def test_line_chart_skips_missing_values():
    svg = str(line_chart("Taux", ["a", "b", "c"], [Series("%", [50, None, 100])], y_max=100))
    assert svg.count("<circle") == 2 and "<polyline" in svg


def y_axis(svg: str) -> dict[int, float]:
    """The y axis's labels and the height of their grid lines."""
    found = re.findall(r'<text x="40" y="([\d.]+)" text-anchor="end">(-?[\d.]+)</text>', svg)
    return {int(label): float(y) - 4 for y, label in found}


@pytest.mark.parametrize("peak", [0, 1, 3, 5, 7, 12, 37, 100, 1234])
def test_the_y_axis_counts_in_whole_even_steps_up_to_at_least_the_peak(peak):
    axis = y_axis(str(bar_chart("n", ["a", "b"], [Series("A", [peak, 1])])))

    labels = sorted(axis)
    steps = {b - a for a, b in itertools.pairwise(labels)}
    assert labels[0] == 0 and labels[-1] >= peak and len(steps) == 1 and len(labels) <= 6
    assert next(iter(steps)) in {1, 2, 5, 10, 20, 50, 100, 200, 500}


def test_a_bar_of_one_reaches_the_line_labelled_one():
    svg = str(bar_chart("n", ["a", "b"], [Series("A", [1, 5])]))

    first_bar = re.search(r'<rect x="[\d.]+" y="([\d.]+)"', svg)
    assert first_bar is not None and float(first_bar.group(1)) == pytest.approx(y_axis(svg)[1], abs=0.1)


def test_the_dashboard_counts_reminder_calls_answered_and_their_minutes_beside_sms(app, client, db, data):
    with db.session() as session:
        for status, seconds in (("delivered", 90), ("failed", 0)):
            session.add(
                OutboundMessage(
                    kind="appointment_day_before",
                    recipient="+22376555555",
                    language="fr",
                    params={},
                    due_at=MONDAY,
                    sent_at=MONDAY + timedelta(days=7),
                    status=status,
                    channel="voice",
                    duration_seconds=seconds,
                    cost="75.0000",
                    currency="XOF",
                )
            )
    with db.session() as session:
        call = session.scalars(select(OutboundMessage).where(OutboundMessage.channel == "voice")).first()
        session.add(MessageEvent(message_id=call.id, status="by_sms", created_at=MONDAY + timedelta(days=8)))
    with db.session() as session:
        result = dashboard(session, MONDAY - timedelta(hours=10), MONDAY + timedelta(days=14), BAMAKO)
    assert result.sms_reminders[:2] == [4, 0] and result.calls[:2] == [0, 2] and result.by_sms[:2] == [0, 1]
    assert result.calls_answered[:2] == [0, 1] and result.call_minutes[:2] == [0.0, 1.5]
    assert (result.call_cost, result.call_currency) == (150.0, "XOF")

    sign_in(app, client, db, "viewer")
    page = client.get("/console/?since=2030-03-01&until=2030-03-17").get_data(as_text=True)
    assert "Rappels par semaine : SMS et appels" in page and "1,5 minutes, coût 150,00 XOF" in page
