"""Every form of the console, posted with any values (dates of year 1 or 9999, huge numbers, megabytes
of digits, control characters, the right names and others), answers without a 5xx."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from conftest import examples
from console_support import make_referral, make_visit_request, sign_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.care.appointments import schedule_appointment
from service.care.medication import add_medication_plan
from service.care.patients import add_patient
from service.models import (
    EmergencyAlert,
    InboundMessage,
    MessageTemplate,
    OnCallClinician,
    OutboundMessage,
    User,
    Volunteer,
)
from service.outbox.templates import save_template
from service.referrals.alerts import raise_emergency_alert
from service.referrals.rounds import plan_round
from service.timeutil import utcnow

FIELDS = (
    "reason", "confirm", "text", "m", "in", "reviewed", "email", "password", "role", "active", "name",
    "body_fr", "body_bm", "starts_at", "visit_date", "places", "unit", "note", "times", "days",
    "start_date", "end_date", "phone", "language", "area", "district", "outcome", "place", "mobile_unit",
    "quiet_hours", "sms_consent", "shared_phone", "training", "q", "next",
)  # fmt: skip
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
VALUE = st.one_of(
    TEXT,
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    st.datetimes(min_value=datetime(1, 1, 2)).map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet="9", min_size=1_000, max_size=20_000),
    st.sampled_from(
        ["fr", "bm", "y", "yes", "1", "08:00,20:00", "0123456", "TBK-V09", "+22376123456", "better"]
    ),
)


@pytest.fixture
def records(app, db, demo, settings) -> dict[str, int]:
    """One record of each kind a console form is about, in the states forms act on."""
    referral = make_referral(db, reference="R7F1", urgency="emergency", contact_phone="+22376555111")
    make_visit_request(db, reference="V7F1", village="TBK-V09")
    with db.session() as session:
        raise_emergency_alert(session, session.get(type(referral), referral.id), timedelta(minutes=5))
        patient = add_patient(session, "+22376555112", "fr")
        appointment = schedule_appointment(
            session, settings, patient, utcnow() + timedelta(days=3), mobile_unit=True
        )
        plan = add_medication_plan(
            session,
            settings,
            patient,
            [datetime(2026, 1, 1, 8).time()],
            "0123456",
            utcnow().date(),
            utcnow().date() + timedelta(days=5),
        )
        village = session.scalar(select(Volunteer.area_id))
        round_, _planned = plan_round(
            session,
            unit="Équipe F",
            visit_date=utcnow().date() + timedelta(days=2),
            place_ids=[village],
            actor="x@jigi.ml",
        )
        save_template(session, "referral_ack", "fr", "Merci, code {reference}.", "x@jigi.ml", settings)
        session.add(
            InboundMessage(
                at_id="ATXid_F1",
                sender="+22376555113",
                to="36123",
                text="bonjour",
                normalized="BONJOUR",
                kind="other",
                received_at=utcnow(),
            )
        )
        session.flush()
        first = {
            model: session.scalar(select(model.id).limit(1))
            for model in (
                Volunteer,
                OnCallClinician,
                OutboundMessage,
                InboundMessage,
                EmergencyAlert,
                User,
                MessageTemplate,
            )
        }
        return {
            "referral_id": referral.id, "patient_id": patient.id, "appointment_id": appointment.id,
            "plan_id": plan.id, "round_id": round_.id, "volunteer_id": first[Volunteer],
            "clinician_id": first[OnCallClinician], "message_id": first[OutboundMessage],
            "inbound_id": first[InboundMessage], "alert_id": first[EmergencyAlert] or 1,
            "user_id": first[User] or 1, "template_id": first[MessageTemplate],
        }  # fmt: skip


@pytest.fixture
def admin(app, client, db):
    return sign_in(app, client, db, "admin")


def console_posts(app, ids: dict[str, int]) -> list[str]:
    """The URL of every console POST, its arguments filled with the records' ids."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "POST" not in rule.methods:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            items = getattr(converter, "items", None)
            values[name] = (
                sorted(items)[0] if items else ids.get(name, "referral_ack" if name == "kind" else 1)
            )
        urls.append(rule.build(values, append_unknown=False)[1])
    return sorted(urls)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_no_console_form_makes_a_server_error(app, client, admin, records, data):
    urls = console_posts(app, records)
    url = data.draw(st.sampled_from(urls))
    form = data.draw(st.dictionaries(st.sampled_from(FIELDS) | TEXT, VALUE, max_size=8))

    response = client.post(url, data=form)

    assert len(urls) > 25
    assert response.status_code < 500, (url, {k: v[:80] for k, v in form.items()}, response.status_code)
