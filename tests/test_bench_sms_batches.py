"""The batched send path made for throughput (docs/benchmarks.md): jobs carrying several ids, lanes
with several sends in flight, one connection per lane and one commit per message, and the same
guarantees as one row at a time. The tests of the order of answers use one lane (SENDS_IN_FLIGHT=1)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

import pytest
import redis
from rq import Queue
from sms_fixtures import NOON, add_message, count_by_status, row
from sqlalchemy import select, update

from service.devtools.at_server import Answer
from service.gateways.registry import make_gateway
from service.models import MessageEvent, OutboundMessage, SystemAlert
from service.sms.queues import JOB_BATCH, SPREAD, batches
from service.sms.sender import deliver_batch
from service.sms.sweeper import claim_due, sweep


def claimed(db, count: int) -> list[int]:
    """`count` rows due at NOON, claimed by the sweeper as it would; returns their ids in claim order."""
    for n in range(count):
        add_message(db, recipient=f"+2237600{n:04d}")
    with db.session() as session:
        return [message_id for message_id, _ in claim_due(session, count, NOON)]


@pytest.fixture
def one_lane(at_settings):
    """One send in flight at a time, one number a request: the requests reach the gateway in the batch's
    order (tests/test_sms_groups.py sends several numbers a request)."""
    return replace(at_settings, sends_in_flight=1, sms_group_size=1)


def test_batches_keep_every_id_once_in_order_within_the_size_limit():
    for count in (0, 1, 3, SPREAD, 100, 1000, 1234):
        ids = list(range(count))
        jobs = list(batches(ids))
        assert [i for job in jobs for i in job] == ids
        assert all(0 < len(job) <= JOB_BATCH for job in jobs)
        assert len(jobs) == max(-(-count // JOB_BATCH), min(count, SPREAD))


def test_a_backlog_is_enqueued_as_few_jobs_each_id_once(db, settings):
    connection = redis.Redis.from_url(settings.redis_url)
    ids = [add_message(db, recipient=f"+2237610{n:04d}") for n in range(300)]

    report = sweep(db, connection, settings, NOON)

    jobs = Queue("default", connection=connection).jobs
    enqueued = Counter(i for job in jobs for i in job.args)
    assert report.claimed == 300
    assert enqueued == Counter(ids)
    assert len(jobs) <= 300 // 20


def test_a_batch_sends_each_queued_row_once_in_order(db, one_lane, at_server):
    ids = claimed(db, 5)
    gateway = make_gateway(one_lane)

    first = deliver_batch(db, gateway, one_lane, ids, NOON)
    again = deliver_batch(db, gateway, one_lane, ids, NOON)

    assert first == ["sent"] * 5
    assert again == ["skipped"] * 5
    assert [entry.to for entry in at_server.received()] == [row(db, i).recipient for i in ids]
    with db.session() as session:
        statuses = Counter(session.scalars(select(MessageEvent.status)))
    assert statuses == {"queued": 5, "sending": 5, "sent": 5}


def test_a_batchs_lanes_keep_several_sends_in_flight_and_send_each_row_once(db, at_settings, at_server):
    at_settings = replace(at_settings, sms_group_size=1)
    lanes = at_settings.sends_in_flight
    ids = claimed(db, 6 * lanes)
    all_open = threading.Event()
    held: list[bool] = []
    # The first request is answered only once the last lane's first request has arrived too (or 10 s).
    at_server.on_request(1, lambda: held.append(all_open.wait(10)))
    at_server.on_request(lanes, all_open.set)

    outcomes = deliver_batch(db, make_gateway(at_settings), at_settings, ids, NOON)

    assert lanes > 1 and held == [True], "the sends did not overlap"
    assert outcomes == ["sent"] * len(ids)
    assert Counter(entry.to for entry in at_server.received()) == Counter(row(db, i).recipient for i in ids)
    with db.session() as session:
        statuses = Counter(session.scalars(select(MessageEvent.status)))
    assert statuses == {"queued": len(ids), "sending": len(ids), "sent": len(ids)}


def test_a_row_cancelled_while_its_batch_is_sending_is_not_sent(db, one_lane, at_server):
    ids = claimed(db, 3)

    def cancel_the_last() -> None:
        with db.session() as session:
            session.execute(
                update(OutboundMessage).where(OutboundMessage.id == ids[2]).values(status="cancelled")
            )

    at_server.on_request(1, cancel_the_last)  # the batch has already read all three rows as queued
    outcomes = deliver_batch(db, make_gateway(one_lane), one_lane, ids, NOON)

    assert outcomes == ["sent", "sent", "skipped"]
    assert count_by_status(db) == {"sent": 2, "cancelled": 1}
    assert len(at_server.received()) == 2


def test_an_alert_raised_inside_a_batch_is_closed_by_a_later_success_in_it(db, one_lane, at_server):
    ids = claimed(db, 3)
    at_server.script(Answer(), Answer.code(405), Answer())

    outcomes = deliver_batch(db, make_gateway(one_lane), one_lane, ids, NOON)

    assert outcomes == ["sent", "scheduled", "sent"]
    with db.session() as session:
        [alert] = session.scalars(select(SystemAlert))
    assert alert.kind == "insufficient_balance"
    assert alert.resolved_at is not None


def test_the_answer_of_the_last_row_of_a_batch_is_recorded(db, one_lane, at_server):
    ids = claimed(db, 2)
    at_server.script(Answer(), Answer.code(403))

    outcomes = deliver_batch(db, make_gateway(one_lane), one_lane, ids, NOON)

    assert outcomes == ["sent", "failed"]
    assert row(db, ids[1]).last_error == "403 InvalidPhoneNumber"
