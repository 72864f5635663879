"""The worker's periodic passes: the one list of them, in the order they run, and how they run.

Every worker runs the whole list every SWEEP_INTERVAL_SECONDS (`sms sweep` runs it once) under one
cross-process Redis lock, so that passes never overlap; correctness rests on each pass's conditional
updates, not on the lock. Emergency work comes first. A pass is a plain function of a `PassContext`
(`service/periodic.py`) that lives with its area and returns counts of what it did.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from service.consults.booking import unconfirmed_pass
from service.dhis2.push import monthly_pass
from service.gateways.chain import alert_on_gateways_down
from service.gateways.reports import store_kept_reports
from service.periodic import Pass, PassContext
from service.referrals.alerts import escalation_pass
from service.sms.sweeper import sending_pass

log = logging.getLogger(__name__)

# name -> pass, in the order they run.
PASSES: tuple[tuple[str, Pass], ...] = (
    ("escalation", escalation_pass),  # unacknowledged emergency alerts go to the next clinician
    ("sending", sending_pass),  # due SMS are queued for the workers (escalations of this pass included)
    ("kept_reports", store_kept_reports),  # delivery reports kept in Redis during a database outage
    ("gateway_health", alert_on_gateways_down),  # a gateway failing for 10 minutes alerts coordinators
    ("consults_unconfirmed", unconfirmed_pass),  # a remote consultation its specialist has not confirmed
    ("dhis2_monthly", monthly_pass),  # on DHIS2_PUSH_DAY, the month before to the Ministry's DHIS2
)
LOCK_KEY = "jigi:periodic-lock"


def run_passes(context: PassContext) -> dict[str, int]:
    """Run every pass in order; a failing pass is logged and the others still run."""
    counts: dict[str, int] = {}
    for name, function in PASSES:
        try:
            counts.update(function(context))
        except Exception:
            log.exception("periodic pass %s failed; it runs again next time", name)
    return counts


@contextmanager
def pass_lock(connection: redis.Redis, ttl_seconds: float) -> Iterator[bool]:
    """Hold the cross-process lock if free; yields whether this process got it."""
    token = uuid.uuid4().hex
    acquired = bool(connection.set(LOCK_KEY, token, nx=True, px=max(1, int(ttl_seconds * 1000))))
    try:
        yield acquired
    finally:
        if acquired and connection.get(LOCK_KEY) == token.encode():
            connection.delete(LOCK_KEY)


def run_locked(context: PassContext) -> dict[str, int] | None:
    """Every pass under the lock; None when another process is running them."""
    ttl = max(30.0, context.settings.sweep_interval_seconds * 10)
    with pass_lock(context.redis, ttl) as acquired:
        return run_passes(context) if acquired else None
