from datetime import timedelta

import pytest
from conftest import CALLBACK_TOKEN
from sqlalchemy import select

from service.models import (
    AlertStep,
    EmergencyAlert,
    InboundMessage,
    OnCallClinician,
    OutboundMessage,
    Referral,
    Volunteer,
)
from service.places import by_code
from service.references import unique_reference
from service.referrals.alerts import escalate_due_alerts, raise_emergency_alert

FIRST, SECOND = "+22366123456", "+22366000001"  # the demo on-call clinicians of Gourma-Rharous, in order


def emergency(db, settings, call: bool = False) -> tuple[int, str]:
    """An emergency referral from the demo volunteer in Gourma-Rharous, with its alert raised (and, when
    `call`, the on-call clinician rung too)."""
    with db.session() as session:
        volunteer = session.scalars(select(Volunteer).where(Volunteer.phone == "+22376123456")).one()
        referral = Referral(
            reference=unique_reference(session, Referral, "R"),
            volunteer=volunteer,
            place=by_code(session, "TBK-V08"),
            category="self_harm",
            sex="F",
            age=24,
            red_flag="self_harm",
            urgency="emergency",
            consent=True,
        )
        session.add(referral)
        session.flush()
        alert = raise_emergency_alert(
            session, referral, timedelta(minutes=settings.alert_escalate_minutes), call
        )
        return alert.id, referral.reference


def escalate(db, settings, now) -> int:
    with db.session() as session:
        return escalate_due_alerts(session, settings, now)


def alert_rows(db, alert_id):
    with db.session() as session:
        query = (
            select(OutboundMessage).where(OutboundMessage.alert_id == alert_id).order_by(OutboundMessage.id)
        )
        return [(row.kind, row.recipient, row.status) for row in session.scalars(query)]


def alert_state(db, alert_id):
    with db.session() as session:
        alert = session.get(EmergencyAlert, alert_id)
        steps = session.scalars(
            select(AlertStep.kind).where(AlertStep.alert_id == alert_id).order_by(AlertStep.id)
        )
        return alert, list(steps)


def reply(client, text, sender, at_id):
    form = {"from": sender, "to": "36123", "text": text, "id": at_id, "date": "2026-11-30 10:00:00"}
    return client.post(f"/at/sms/inbound?token={CALLBACK_TOKEN}", data=form)


def test_unacknowledged_alert_goes_to_the_next_clinician_then_to_all(db, demo, settings):
    alert_id, reference = emergency(db, settings)
    due = alert_state(db, alert_id)[0].next_escalation_at
    period = timedelta(minutes=settings.alert_escalate_minutes)

    assert escalate(db, settings, due - timedelta(seconds=1)) == 0
    assert escalate(db, settings, due) == 1
    assert escalate(db, settings, due) == 0
    alert, steps = alert_state(db, alert_id)
    assert (alert.step, alert.next_escalation_at) == (1, due + period)
    assert alert_rows(db, alert_id) == [
        ("emergency_alert", FIRST, "scheduled"),
        ("alert_escalation", SECOND, "scheduled"),
    ]

    assert escalate(db, settings, due + period) == 1
    assert escalate(db, settings, due + period) == 0
    assert escalate(db, settings, due + 10 * period) == 0
    alert, steps = alert_state(db, alert_id)
    assert (alert.step, alert.next_escalation_at) == (2, None)
    assert alert_rows(db, alert_id)[2:] == [
        ("alert_escalation", FIRST, "scheduled"),
        ("alert_escalation", SECOND, "scheduled"),
    ]
    assert steps == ["alerted", "escalated", "escalated_all"]
    with db.session() as session:
        escalation = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "alert_escalation")
        ).first()
    assert escalation.params == {
        "reference": reference,
        "village": "Gourma-Rharous",
        "volunteer_phone": "+22376123456",
    }
    assert escalation.ignore_quiet_hours and escalation.priority == 0


def test_a_district_with_one_clinician_calls_that_clinician_again(db, demo, settings):
    alert_id, _ = emergency(db, settings)
    with db.session() as session:
        alert = session.get(EmergencyAlert, alert_id)
        alert.district_id = by_code(session, "MOP-D1").id  # one clinician on call: Dr Keïta
        due = alert.next_escalation_at
    assert escalate(db, settings, due) == 1
    assert alert_rows(db, alert_id)[1:] == [("alert_escalation", "+22366000003", "scheduled")]


def test_a_district_without_clinicians_records_the_gap(db, demo, settings):
    alert_id, _ = emergency(db, settings)
    with db.session() as session:
        alert = session.get(EmergencyAlert, alert_id)
        alert.district_id = by_code(session, "TBK-D1").id
        for clinician in session.scalars(
            select(OnCallClinician).where(OnCallClinician.district_id == alert.district_id)
        ):
            clinician.active = False
        due = alert.next_escalation_at
    assert escalate(db, settings, due) == 1
    assert alert_state(db, alert_id)[1] == ["alerted", "no_oncall"]
    assert len(alert_rows(db, alert_id)) == 1


@pytest.mark.parametrize("text", ["OK {ref}", "ok {ref}", "Ok, {ref}."])
def test_ok_reference_from_an_oncall_clinician_acknowledges_and_stops_escalation(
    client, db, demo, settings, text
):
    alert_id, reference = emergency(db, settings)
    due = alert_state(db, alert_id)[0].next_escalation_at
    assert escalate(db, settings, due) == 1

    assert reply(client, text.format(ref=reference.lower()), SECOND, "ack-1").status_code == 200

    alert, steps = alert_state(db, alert_id)
    assert (alert.acknowledged_by, alert.next_escalation_at) == (SECOND, None)
    assert alert.acknowledged_at is not None
    assert steps == ["alerted", "escalated", "acknowledged"]
    assert alert_rows(db, alert_id) == [
        ("emergency_alert", FIRST, "cancelled"),
        ("alert_escalation", SECOND, "cancelled"),
    ]
    assert escalate(db, settings, due + timedelta(hours=1)) == 0
    with db.session() as session:
        assert session.scalars(select(InboundMessage.kind)).all() == ["alert_ack"]


def test_ok_reference_from_another_number_does_not_acknowledge(client, db, demo, settings):
    alert_id, reference = emergency(db, settings)
    # A volunteer, and a clinician on call for another district.
    assert reply(client, f"OK {reference}", "+22376123456", "x1").status_code == 200
    assert reply(client, f"OK {reference}", "+22366000002", "x2").status_code == 200
    assert reply(client, "OK R999", FIRST, "x3").status_code == 200
    alert, steps = alert_state(db, alert_id)
    assert alert.acknowledged_at is None and steps == ["alerted"]
    with db.session() as session:
        kinds = session.scalars(select(InboundMessage.kind).order_by(InboundMessage.id)).all()
    assert kinds == ["other", "other", "other"]
    assert escalate(db, settings, alert.next_escalation_at) == 1


def test_emergency_escalates_until_ok_stops_it(client, db, demo, settings):
    """End to end: an emergency referral alerts the first clinician, escalates, and OK <ref> ends it."""
    alert_id, reference = emergency(db, settings)
    assert alert_rows(db, alert_id) == [("emergency_alert", FIRST, "scheduled")]
    due = alert_state(db, alert_id)[0].next_escalation_at
    assert escalate(db, settings, due) == 1
    assert reply(client, f"OK {reference}", FIRST, "e2e-1").status_code == 200
    assert reply(client, f"OK {reference}", SECOND, "e2e-2").status_code == 200
    alert, steps = alert_state(db, alert_id)
    assert alert.acknowledged_by == FIRST
    assert steps == ["alerted", "escalated", "acknowledged"]
    period = timedelta(minutes=settings.alert_escalate_minutes)
    assert escalate(db, settings, due + 5 * period) == 0
    assert [kind for kind, _, _ in alert_rows(db, alert_id)] == ["emergency_alert", "alert_escalation"]
