"""The sweeper: claims due rows once, most urgent first, enqueues ids on priority queues, repairs losses."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import timedelta

import redis
from rq import Queue, SimpleWorker
from sms_fixtures import NOON, add_message, count_by_status, row
from sqlalchemy import select

from service import create_app
from service.logs import REQUEST_ID, new_request_id
from service.models import OutboundMessage, Place, Referral, Volunteer
from service.periodic import PassContext
from service.referrals.alerts import raise_emergency_alert
from service.sms.queues import QUEUES
from service.sms.sweeper import claim_due, sweep
from service.timeutil import utcnow
from service.worker.passes import LOCK_KEY, PASSES, run_locked
from service.worker.process import SendWorker

ALERT = {"reference": "R4M9", "village": "Bellafarandi", "volunteer_phone": "+22376123456"}
DOSE = {"reference": "P7K2", "dose_at": NOON.isoformat()}
VISIT = {"reference": "P7K2", "starts_at": NOON.isoformat(), "place": "CSCom"}


def queued_ids(connection: redis.Redis) -> dict[str, list[int]]:
    return {name: [job.args[0] for job in Queue(name, connection=connection).jobs] for name in QUEUES}


def test_due_rows_are_claimed_most_urgent_first_in_batches(db, settings):
    later = add_message(db, due_at=NOON - timedelta(minutes=1))
    earlier = add_message(db, due_at=NOON - timedelta(minutes=5))
    emergency = add_message(db, "emergency_alert", params=ALERT, due_at=NOON)
    add_message(db, due_at=NOON + timedelta(seconds=1))  # not yet due

    with db.session() as session:
        first = claim_due(session, 2, NOON)
    with db.session() as session:
        second = claim_due(session, 2, NOON)

    assert [message_id for message_id, _ in first] == [emergency, earlier]
    assert [message_id for message_id, _ in second] == [later]
    assert row(db, later).claimed_at == NOON
    assert count_by_status(db) == {"queued": 3, "scheduled": 1}


def test_concurrent_sweepers_never_claim_the_same_row(db, settings):
    ids = {add_message(db, recipient=f"+223760{n:05d}") for n in range(120)}
    claims: list[list[int]] = []
    start = threading.Barrier(4)

    def claimer() -> None:
        start.wait()
        won = []
        for _ in range(10):
            with db.session() as session:
                won += [message_id for message_id, _ in claim_due(session, 30, NOON)]
        claims.append(won)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    everything = [message_id for won in claims for message_id in won]
    assert len(claims) == 4
    assert sorted(everything) == sorted(ids)


def test_sweep_enqueues_ids_on_priority_queues(db, settings):
    connection = redis.Redis.from_url(settings.redis_url)
    emergency = add_message(db, "emergency_alert", params=ALERT)
    medication = add_message(db, "medication", params=DOSE)
    appointment = add_message(db, "appointment_same_day", params=VISIT)
    other = add_message(db, "referral_ack")

    report = sweep(db, connection, settings, NOON)

    assert report.claimed == 4
    assert queued_ids(connection) == {
        "emergency": [emergency],
        "medication": [medication],
        "appointment": [appointment],
        "default": [other],
    }


def test_worker_sends_in_priority_order(db, at_settings, at_server):
    at_settings = replace(at_settings, quiet_hours=None)  # the worker runs on the real clock
    connection = redis.Redis.from_url(at_settings.redis_url)
    add_message(db, "referral_ack", recipient="+22376000004")
    add_message(db, "appointment_same_day", recipient="+22376000003", params=VISIT)
    add_message(db, "medication", recipient="+22376000002", params=DOSE)
    add_message(db, "emergency_alert", recipient="+22366000001", params=ALERT)
    sweep(db, connection, at_settings, NOON)
    app = create_app(at_settings)

    with app.app_context():
        SimpleWorker([Queue(name, connection=connection) for name in QUEUES], connection=connection).work(
            burst=True
        )

    assert [entry.to for entry in at_server.received()] == [
        "+22366000001",
        "+22376000002",
        "+22376000003",
        "+22376000004",
    ]
    assert count_by_status(db) == {"sent": 4}


def test_a_send_job_logs_under_the_request_id_of_the_pass_that_enqueued_it(db, settings, caplog):
    settings = replace(settings, quiet_hours=None)
    connection = redis.Redis.from_url(settings.redis_url)
    add_message(db, "referral_ack", recipient="+22376000004")
    pass_id = new_request_id("pass-")
    sweep(db, connection, settings, NOON)
    REQUEST_ID.set("-")  # the worker runs elsewhere, later
    app = create_app(settings)

    with app.app_context(), caplog.at_level(logging.INFO, logger="service.sms.jobs"):
        SendWorker(
            [Queue(name, connection=connection) for name in QUEUES],
            connection=connection,
            stopping=threading.Event(),
        ).work(burst=True)

    jobs = [record for record in caplog.records if record.name == "service.sms.jobs"]
    assert [record.getMessage() for record in jobs] == ["send job: sent 1"]
    assert jobs[0].request_id == pass_id


def test_lost_jobs_are_enqueued_again_after_the_claim_timeout(db, settings):
    connection = redis.Redis.from_url(settings.redis_url)
    ids = [add_message(db, recipient=f"+2237600000{n}") for n in range(3)]
    sweep(db, connection, settings, NOON)
    connection.flushdb()  # Redis lost its queues

    soon = sweep(db, connection, settings, NOON + timedelta(seconds=settings.claim_timeout_seconds - 1))
    late = sweep(db, connection, settings, NOON + timedelta(seconds=settings.claim_timeout_seconds + 1))

    assert (soon.requeued, late.requeued) == (0, 3)
    assert queued_ids(connection)["default"] == ids


def test_rows_stuck_in_sending_become_unknown_and_are_not_resent(db, settings):
    connection = redis.Redis.from_url(settings.redis_url)
    message_id = add_message(db)
    with db.session() as session:
        claim_due(session, 10, NOON)
        session.get(OutboundMessage, message_id).status = "sending"
        session.get(OutboundMessage, message_id).sending_at = NOON

    report = sweep(db, connection, settings, NOON + timedelta(seconds=settings.send_timeout_seconds + 1))
    again = sweep(db, connection, settings, NOON + timedelta(days=1))

    assert (report.unknown, again.claimed, again.requeued) == (1, 0, 0)
    assert row(db, message_id).status == "unknown"


def test_only_one_process_sweeps_at_a_time(db, settings):
    connection = redis.Redis.from_url(settings.redis_url)
    add_message(db)
    connection.set(LOCK_KEY, "another-process")

    assert run_locked(PassContext(db, connection, settings, NOON)) is None
    connection.delete(LOCK_KEY)
    assert run_locked(PassContext(db, connection, settings, NOON))["claimed"] == 1
    assert connection.get(LOCK_KEY) is None


def test_periodic_passes_escalate_unacknowledged_alerts_and_send_them_at_once(app, db, demo, settings):
    connection = redis.Redis.from_url(settings.redis_url)
    with db.session() as session:
        referral = _emergency_referral(session)
        raise_emergency_alert(session, referral, timedelta(minutes=settings.alert_escalate_minutes))

    later = utcnow() + timedelta(minutes=settings.alert_escalate_minutes, seconds=1)
    counts = run_locked(PassContext(db, connection, settings, later))

    assert counts is not None and counts["escalated"] == 1
    with db.session() as session:
        rows = session.execute(
            select(OutboundMessage.kind, OutboundMessage.status).order_by(OutboundMessage.id)
        )
    # Escalation runs before sending: the escalation SMS is queued in the very same pass.
    assert [tuple(row) for row in rows] == [("emergency_alert", "queued"), ("alert_escalation", "queued")]


def _emergency_referral(session) -> Referral:
    volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == "+22376123456"))
    village = session.scalar(
        select(Place).where(Place.level == "village", Place.parent_id == volunteer.area_id)
    )
    referral = Referral(
        reference="R4M9",
        volunteer=volunteer,
        place=village,
        category="self_harm",
        sex="F",
        age=30,
        red_flag="self_harm",
        urgency="emergency",
        consent=True,
    )
    session.add(referral)
    session.flush()
    return referral


def test_cli_sweeps_once_and_shows_the_outbox(db, runner, settings):
    add_message(db, due_at=utcnow() - timedelta(minutes=1))
    add_message(db, due_at=utcnow() + timedelta(days=1))

    swept = runner.invoke(args=["sms", "sweep"])
    status = runner.invoke(args=["sms", "status"])

    assert swept.exit_code == 0, swept.output
    assert "claimed: 1" in swept.output
    assert status.output.splitlines() == ["queued\t1", "scheduled\t1"]


def test_emergency_escalation_is_the_first_pass_the_worker_runs():
    names = [name for name, _function in PASSES]
    assert names[0] == "escalation" and names.index("sending") < names.index("kept_reports")
    assert len(set(names)) == len(names)


def test_a_backlog_waits_in_the_database_while_emergencies_are_still_claimed(db, settings, monkeypatch):
    monkeypatch.setattr("service.sms.sweeper.MAX_WAITING_JOBS", 2)
    connection = redis.Redis.from_url(settings.redis_url)
    for n in range(2):
        add_message(db, "medication", recipient=f"+2237600000{n}", params=DOSE)
    sweep(db, connection, settings, NOON)  # two jobs of one row each wait: the bound
    later = add_message(db, "medication", recipient="+22376000009", params=DOSE)
    emergency = add_message(db, "emergency_alert", params=ALERT)

    held = sweep(db, connection, settings, NOON)
    status_while_held = row(db, later).status
    Queue("medication", connection=connection).empty()  # as if a worker had taken the waiting jobs
    resumed = sweep(db, connection, settings, NOON)

    assert (held.claimed, status_while_held) == (1, "scheduled")
    assert resumed.claimed == 1
    assert queued_ids(connection) == {
        "emergency": [emergency],
        "medication": [later],
        "appointment": [],
        "default": [],
    }
