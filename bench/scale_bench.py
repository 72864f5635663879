"""Scale: scheduling a million future reminders, and what a sweeper pass costs beside them.

Reminders are scheduled through the real code path: patients registered with `add_patient`, each given a
medication plan of 1,000 doses by `add_medication_plan`, one transaction per patient as a coordinator
would. The sweeper pass that claims 10,000 due rows is timed first alone (baseline), then with the
million future rows in the same table; the claim query's plan is shown by the database (EXPLAIN).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import replace
from datetime import UTC, timedelta
from datetime import time as clock

import psutil
import redis
from sqlalchemy import delete, text, update

from bench.common import Environment, Figure, bench_environment
from service.care.medication import add_medication_plan
from service.care.patients import add_patient
from service.config import Settings
from service.models import MessageEvent, OutboundMessage
from service.outbox.rows import schedule_message
from service.sms.sweeper import MAX_BATCHES_PER_PASS, due_query, sweep
from service.timeutil import utcnow

REMINDERS = int(os.environ.get("BENCH_SCALE", "1000000"))
DOSES_PER_PLAN = 1000  # 4 doses a day for 250 days
DOSE_TIMES = [clock(8), clock(12), clock(16), clock(20)]
DUE = int(os.environ.get("BENCH_DUE", "10000"))
REPEATS = 5
# A pass that read the whole table would cost about as many times more as the table has rows more (×100);
# one that follows the due rows pays only for deeper indexes: allow up to twice the cost.
MAX_GROWTH = 2.0
SCHEDULE_TARGET_S = 60  # a million reminders, as a national scale-up plans them
TARGET_RATE = 1_000_000 / SCHEDULE_TARGET_S


def add_due_rows(environment: Environment, count: int, now) -> range:
    """`count` medication reminders due a minute ago, through the outbox; returns their id range."""
    with environment.database.session() as session:
        rows = [
            schedule_message(
                session,
                kind="medication",
                recipient=f"+2237{6_000_000 + n:07d}",
                language="fr",
                params={"reference": f"P{n:05d}", "dose_at": (now - timedelta(minutes=1)).isoformat()},
                due_at=now - timedelta(minutes=1),
                expires_at=now + timedelta(hours=2),
            )
            for n in range(count)
        ]
        session.flush()
        ids = [row.id for row in rows]
    return range(min(ids), max(ids) + 1)


def reset_due_rows(environment: Environment, ids: range) -> None:
    """Put the due rows back as the sweeper found them, empty the queues, and leave the tables as
    autovacuum would (on PostgreSQL every pass and reset leaves 10,000 dead row versions behind, which
    the next claim queries would otherwise step over)."""
    in_range = OutboundMessage.id.between(ids.start, ids.stop - 1)
    with environment.database.session() as session:
        session.execute(delete(MessageEvent).where(MessageEvent.message_id.between(ids.start, ids.stop - 1)))
        session.execute(
            update(OutboundMessage)
            .where(in_range)
            .values(status="scheduled", claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    redis.Redis.from_url(environment.redis_url).flushdb()
    engine = environment.database.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("VACUUM ANALYZE outbound_messages, message_events"))
        else:
            connection.execute(text("ANALYZE"))


def timed_passes(environment: Environment, settings: Settings, ids: range, now) -> float:
    """Median seconds of REPEATS sweeper passes, each claiming and enqueueing every due row."""
    connection = redis.Redis.from_url(environment.redis_url)
    durations = []
    for _ in range(REPEATS):
        reset_due_rows(environment, ids)
        start = time.perf_counter()
        report = sweep(environment.database, connection, settings, now)
        durations.append(time.perf_counter() - start)
        if report.claimed != len(ids):
            raise RuntimeError(f"the pass claimed {report.claimed} rows, not {len(ids)}")
    return statistics.median(durations)


def schedule_reminders(
    environment: Environment, settings: Settings, count: int
) -> tuple[float, float, float, int]:
    """Seconds, memory before and at peak (MB, resident) and rows, for `count` future reminders."""
    patients = max(1, count // DOSES_PER_PLAN)
    first_day = utcnow().astimezone(settings.tz).date() + timedelta(days=1)
    last_day = first_day + timedelta(days=DOSES_PER_PLAN // len(DOSE_TIMES) - 1)
    process = psutil.Process()
    before = peak = process.memory_info().rss
    start = time.perf_counter()
    for n in range(patients):
        with environment.database.session() as session:
            patient = add_patient(session, f"+2237{8_000_000 + n:07d}", ("fr", "bm")[n % 2])
            add_medication_plan(session, settings, patient, DOSE_TIMES, None, first_day, last_day)
        peak = max(peak, process.memory_info().rss)
        if (n + 1) % max(1, patients // 10) == 0:
            elapsed = time.perf_counter() - start
            done = (n + 1) * DOSES_PER_PLAN
            print(f"    scheduled {done:,} reminders in {elapsed:.0f} s ({done / elapsed:,.0f}/s)")
    return time.perf_counter() - start, before / 2**20, peak / 2**20, patients * DOSES_PER_PLAN


def explain_claim(environment: Environment, settings: Settings, now) -> str:
    """The database's plan for the sweeper's first claim query, run on the due rows as a pass finds them."""
    engine = environment.database.engine
    statement = due_query(settings.sweep_batch_size, now)
    compiled = statement.compile(dialect=engine.dialect)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            lines = connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {compiled}", compiled.params
            ).scalars()
            return "\n".join(lines)
        values = [compiled.params[name] for name in compiled.positiontup]
        values = [str(v.astimezone(UTC).replace(tzinfo=None)) if hasattr(v, "tzinfo") else v for v in values]
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(values)).all()
        return "\n".join(row[-1] for row in rows)


def uses_claim_index(plan: str) -> bool:
    """The claim query reads its rows in sending order from `ix_outbound_claim`: no table scan, no sort."""
    table_read = "Seq Scan" in plan or "SCAN outbound_messages" in plan
    sorted_after = "Sort" in plan or "TEMP B-TREE" in plan
    return "ix_outbound_claim" in plan and not table_read and not sorted_after


def run() -> tuple[list[Figure], str]:
    """The scale figures, and the claim query's plan."""
    print(f"Scale: {REMINDERS:,} future reminders, passes over {DUE:,} due rows", flush=True)
    with bench_environment() as environment:
        base = Settings.from_env(environment.env)
        # One pass claims every due row: SWEEP_BATCH_SIZE rows per batch, MAX_BATCHES_PER_PASS batches.
        settings = replace(base, sweep_batch_size=max(base.sweep_batch_size, -(-DUE // MAX_BATCHES_PER_PASS)))
        now = utcnow()
        due_ids = add_due_rows(environment, DUE, now)
        alone = timed_passes(environment, settings, due_ids, now)
        print(f"    sweeper pass, {DUE:,} due rows alone: {alone * 1000:.0f} ms")
        seconds, before, peak, scheduled = schedule_reminders(environment, settings, REMINDERS)
        memory = f"process memory {before:.0f} MB before, {peak:.0f} MB at most"
        print(f"    {scheduled:,} reminders scheduled in {seconds:.0f} s, {memory}")
        reset_due_rows(environment, due_ids)
        plan = explain_claim(environment, settings, now)
        beside = timed_passes(environment, settings, due_ids, now)
        print(f"    sweeper pass, {DUE:,} due beside {scheduled:,} future rows: {beside * 1000:.0f} ms")
        print("    claim query plan:\n" + "\n".join(f"      {line}" for line in plan.splitlines()))
        figures = [
            Figure(
                "Scale",
                f"schedule {scheduled:,} future reminders (medication plans of {DOSES_PER_PLAN:,} doses)",
                f"{seconds:.0f} s ({scheduled / seconds:,.0f} rows/s); {memory}",
                "",
                "",
                f"< {SCHEDULE_TARGET_S} s a million ({TARGET_RATE:,.0f} rows/s)",
                scheduled / seconds >= TARGET_RATE,
            ),
            Figure(
                "Scale",
                f"sweeper pass claiming {DUE:,} due rows beside {scheduled:,} future ones",
                f"{beside * 1000:.0f} ms",
                f"{alone * 1000:.0f} ms (the {DUE:,} due rows alone)",
                f"×{beside / alone:.2f}",
                f"depends on the due rows only (≤ ×{MAX_GROWTH:.0f} for ×{(scheduled + DUE) / DUE:.0f} rows)",
                beside <= MAX_GROWTH * alone and uses_claim_index(plan),
            ),
        ]
        for figure in figures:
            figure.show()
        return figures, plan


if __name__ == "__main__":
    run()
