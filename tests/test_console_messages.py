"""SMS pages: the outbound log with filters, delivery history, incoming SMS, and system alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_support import sign_in
from sqlalchemy import select

from service.models import AuditEntry, InboundMessage, MessageEvent, OutboundMessage, SystemAlert
from service.outbox.rows import schedule_message
from service.timeutil import utcnow


@pytest.fixture
def coordinator(app, client, db):
    return sign_in(app, client, db, "coordinator")


def add_message(db, kind: str, status: str, error: str | None = None, due_days: int = 0) -> OutboundMessage:
    with db.session() as session:
        message = schedule_message(
            session,
            kind=kind,
            recipient="+22376555555",
            language="fr",
            params={"reference": "P7K2"},
            due_at=utcnow() - timedelta(days=due_days),
        )
        message.status, message.last_error = status, error
        session.flush()
        session.add(MessageEvent(message_id=message.id, status="Failed", detail="AbsentSubscriber"))
    return message


def listed(client, url: str) -> str:
    """The rows of the log's table (not the filter form)."""
    return client.get(url).get_data(as_text=True).split("<tbody>")[1]


def test_outbound_log_filters_by_status_kind_and_date(client, db, coordinator):
    failed = add_message(db, "medication", "failed", "AbsentSubscriber")
    add_message(db, "referral_ack", "delivered")
    old = add_message(db, "medication", "delivered", due_days=40)
    rows = listed(client, "/console/messages?status=failed")
    assert f">{failed.id}</a>" in rows and "AbsentSubscriber" in rows and "Suivi du signalement" not in rows
    rows = listed(client, "/console/messages?kind=referral_ack")
    assert "Suivi du signalement" in rows and f">{failed.id}</a>" not in rows
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    rows = listed(client, f"/console/messages?since={since}")
    assert f">{old.id}</a>" not in rows and f">{failed.id}</a>" in rows


def test_message_page_shows_its_delivery_history(client, db, coordinator):
    message = add_message(db, "medication", "failed", "AbsentSubscriber")
    page = client.get(f"/console/messages/{message.id}").get_data(as_text=True)
    assert "Historique de remise" in page and "AbsentSubscriber" in page and "Failed" in page


def test_incoming_message_is_marked_handled(client, db, coordinator):
    with db.session() as session:
        inbound = InboundMessage(
            at_id="at-1", sender="+22376555555", text="Merci, je viendrai", normalized="MERCI"
        )
        session.add(inbound)
    assert "Merci, je viendrai" in client.get("/console/inbox").get_data(as_text=True)
    client.post(f"/console/inbox/{inbound.id}/handled")
    with db.session() as session:
        row = session.get(InboundMessage, inbound.id)
        assert row.handled and row.handled_by == "coordinator@jigi.ml"
    assert "Merci, je viendrai" not in client.get("/console/inbox").get_data(as_text=True)
    assert "Merci, je viendrai" in client.get("/console/inbox?show=all").get_data(as_text=True)


def test_open_system_alerts_show_on_every_page_until_resolved(client, db, coordinator):
    with db.session() as session:
        alert = SystemAlert(kind="insufficient_balance", message="Crédit SMS épuisé chez Africa's Talking.")
        session.add(alert)
    for url in ("/console/", "/console/referrals", "/console/templates"):
        assert "Crédit SMS épuisé" in client.get(url).get_data(as_text=True), url
    client.post(f"/console/alerts/{alert.id}/resolve")
    assert "Crédit SMS épuisé" not in client.get("/console/").get_data(as_text=True)
    with db.session() as session:
        assert session.get(SystemAlert, alert.id).resolved_at is not None
        assert session.scalar(select(AuditEntry.action)) == "system_alert_resolved"


def test_viewer_does_not_see_system_alerts(app, client, db):
    sign_in(app, client, db, "viewer")
    with db.session() as session:
        session.add(SystemAlert(kind="gateway_config", message="Identifiant d'expéditeur refusé."))
    assert "Identifiant d'expéditeur refusé." not in client.get("/console/").get_data(as_text=True)
