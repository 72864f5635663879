"""Delivery reports posted by the AT-compatible server to the real callback, over HTTP."""

from __future__ import annotations

import pytest
import requests
from sms_fixtures import NOON, add_message, row, send_due
from sqlalchemy import select

from service.models import MessageEvent


@pytest.fixture
def sent(db, at_settings, at_server, live_service) -> tuple[int, str]:
    """A row sent through the AT server: (row id, AT message id)."""
    message_id = add_message(db)
    assert send_due(db, at_settings, NOON) == {message_id: "sent"}
    return message_id, at_server.received()[0].message_id


def history(db, message_id: int) -> list[str]:
    with db.session() as session:
        query = (
            select(MessageEvent.status).where(MessageEvent.message_id == message_id).order_by(MessageEvent.id)
        )
        return list(session.scalars(query))


def test_reports_in_order_lead_to_delivered(db, at_server, sent):
    message_id, at_id = sent

    buffered = at_server.post_delivery_report(at_id, "Buffered")
    success = at_server.post_delivery_report(at_id, "Success")

    assert (buffered.status_code, success.status_code) == (200, 200)
    delivered = row(db, message_id)
    assert delivered.status == "delivered"
    assert delivered.delivered_at is not None
    assert history(db, message_id)[-3:] == ["report:Buffered", "report:Success", "delivered"]


def test_late_non_final_report_never_undoes_a_final_state(db, at_server, sent):
    message_id, at_id = sent

    at_server.post_delivery_report(at_id, "Success")
    at_server.post_delivery_report(at_id, "Submitted")

    assert row(db, message_id).status == "delivered"
    assert history(db, message_id)[-1] == "report:Submitted"


def test_failure_report_records_the_reason(db, at_server, sent):
    message_id, at_id = sent

    at_server.post_delivery_report(at_id, "Failed", "AbsentSubscriber")
    at_server.post_delivery_report(at_id, "Success")  # a contradicting late report: the first final wins

    failed = row(db, message_id)
    assert (failed.status, failed.last_error) == ("failed", "AbsentSubscriber")


def test_repeated_report_adds_no_second_change(db, at_server, sent):
    message_id, at_id = sent

    first = at_server.post_delivery_report(at_id, "Success")
    second = at_server.post_delivery_report(at_id, "Success")

    assert (first.status_code, second.status_code) == (200, 200)
    assert history(db, message_id).count("report:Success") == 1
    assert history(db, message_id).count("delivered") == 1


def test_unknown_id_is_acknowledged_and_changes_nothing(db, at_server, sent):
    message_id, _ = sent

    reply = at_server.post_delivery_report("ATXid_not-ours", "Success")

    assert reply.status_code == 200
    assert row(db, message_id).status == "sent"


@pytest.mark.parametrize(
    "form", [{"status": "Success"}, {"id": "ATXid_1"}, {"id": "ATXid_1", "status": "Delivered"}, {}]
)
def test_malformed_report_is_refused(live_service, form):
    reply = requests.post(
        f"{live_service}/at/sms/delivery", params={"token": "test-callback-token"}, data=form
    )

    assert reply.status_code == 400


def test_report_without_the_token_is_forbidden(db, live_service, sent):
    message_id, at_id = sent

    reply = requests.post(
        f"{live_service}/at/sms/delivery", data={"id": at_id, "status": "Failed"}, timeout=5
    )

    assert reply.status_code == 403
    assert row(db, message_id).status == "sent"
