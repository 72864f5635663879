"""Reminders of one text to different numbers leave in one Africa's Talking request (SMS_GROUP_SIZE
numbers at most), each number answered on its own row, with the guarantees of one row at a time."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from sms_fixtures import NOON, add_message, row, through_orange
from sqlalchemy import select

from service.devtools.at_server import Answer
from service.gateways.registry import make_gateway
from service.models import OutboundMessage
from service.sms.sender import deliver_batch
from service.sms.sweeper import claim_due


def claimed(db) -> list[int]:
    """The rows due at NOON, claimed by the sweeper as it would, in claim order."""
    with db.session() as session:
        return [message_id for message_id, _ in claim_due(session, 1000, NOON)]


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+2237620{n:04d}" for n in range(start, start + count)]


@pytest.fixture
def one_lane(at_settings):
    """One request in flight at a time, so that requests reach the server in the job's order."""
    return replace(at_settings, sends_in_flight=1)


def requests_of(at_server) -> list[list[str]]:
    """The numbers of each request the server received, in order."""
    by_request: dict[int, list[str]] = {}
    for entry in at_server.received():
        by_request.setdefault(entry.request, []).append(entry.to)
    return list(by_request.values())


def test_reminders_of_one_text_leave_ten_numbers_a_request_each_answer_on_its_own_row(
    db, one_lane, at_server
):
    for phone in numbers(12):
        add_message(db, recipient=phone)
    ids = claimed(db)

    outcomes = deliver_batch(db, make_gateway(one_lane), one_lane, ids, NOON)

    assert outcomes == ["sent"] * 12
    assert [len(request) for request in requests_of(at_server)] == [one_lane.sms_group_size, 2]
    server_ids = {entry.to: entry.message_id for entry in at_server.received()}
    rows = [row(db, message_id) for message_id in ids]
    assert {sent.recipient: sent.gateway_message_id for sent in rows} == server_ids
    assert len(set(server_ids.values())) == 12


def test_with_one_number_a_request_every_reminder_is_its_own_request(db, one_lane, at_server):
    for phone in numbers(3):
        add_message(db, recipient=phone)
    single = replace(one_lane, sms_group_size=1)

    outcomes = deliver_batch(db, make_gateway(single), single, claimed(db), NOON)

    assert outcomes == ["sent"] * 3
    assert requests_of(at_server) == [[phone] for phone in numbers(3)]


def test_a_number_refused_within_a_group_fails_alone(db, one_lane, at_server):
    phones = numbers(4)
    for phone in phones:
        add_message(db, recipient=phone)
    at_server.script(Answer(numbers={phones[2]: 406}))

    outcomes = deliver_batch(db, make_gateway(one_lane), one_lane, claimed(db), NOON)

    assert outcomes == ["sent", "sent", "failed", "sent"]
    assert requests_of(at_server) == [phones]
    with db.session() as session:
        refused = session.scalars(select(OutboundMessage).where(OutboundMessage.recipient == phones[2])).one()
    assert refused.last_error == "406 UserInBlacklist"


def test_different_texts_and_a_shared_phone_go_in_separate_requests(db, one_lane, at_server):
    french, bambara = numbers(3), numbers(2, start=10)
    for phone in french:
        add_message(db, recipient=phone)
    for phone in bambara:
        add_message(db, recipient=phone, language="bm")
    add_message(db, recipient=french[0])  # a second patient on the same phone: a second SMS, not a lost one

    outcomes = deliver_batch(db, make_gateway(one_lane), one_lane, claimed(db), NOON)

    assert outcomes == ["sent"] * 6
    assert sorted(requests_of(at_server)) == sorted([french, bambara, [french[0]]])
    texts_by_request = {entry.request: set() for entry in at_server.received()}
    for entry in at_server.received():
        texts_by_request[entry.request].add(entry.message)
    assert all(len(texts) == 1 for texts in texts_by_request.values())


def test_emergency_alerts_of_one_text_still_go_one_number_a_request(db, one_lane, at_server):
    params = {"reference": "R7K2", "village": "Moudakane", "volunteer_phone": "+22376000001"}
    for phone in numbers(3):
        add_message(db, kind="emergency_alert", recipient=phone, params=params)

    outcomes = deliver_batch(db, make_gateway(one_lane), one_lane, claimed(db), NOON)

    assert outcomes == ["sent"] * 3
    assert requests_of(at_server) == [[phone] for phone in numbers(3)]


def test_a_group_whose_request_gets_no_answer_is_unknown_row_by_row_and_never_resent(db, one_lane, at_server):
    for phone in numbers(3):
        add_message(db, recipient=phone)
    ids = claimed(db)
    at_server.script(Answer.slow(one_lane.at_timeout_seconds + 1))

    first = deliver_batch(db, make_gateway(one_lane), one_lane, ids, NOON)
    again = deliver_batch(db, make_gateway(one_lane), one_lane, ids, NOON)

    assert first == ["unknown"] * 3
    assert again == ["skipped"] * 3
    assert Counter(entry.to for entry in at_server.received()) == Counter(numbers(3))


def test_a_group_africas_talking_has_no_credit_for_goes_on_through_orange_each_once(
    db, one_lane, at_server, orange
):
    chain = through_orange(one_lane, orange, "africastalking,orange")
    for phone in numbers(3):
        add_message(db, recipient=phone)
    at_server.script(Answer.code(405))
    ids = claimed(db)

    outcomes = deliver_batch(db, make_gateway(chain), chain, ids, NOON)

    assert outcomes == ["sent"] * 3
    assert requests_of(at_server) == [numbers(3)]
    assert sorted(sent.address.removeprefix("tel:") for sent in orange.sent()) == numbers(3)
    assert {row(db, message_id).gateway for message_id in ids} == {"orange"}
