"""Periodic passes that the worker runs: each area registers its own (escalation, sending).

The worker knows no area: it runs every registered pass in `order` (emergency work first) under one
cross-process Redis lock, so that passes never overlap; correctness rests on each pass's conditional
updates, not on the lock.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import redis

from service.config import Settings
from service.db import Database

log = logging.getLogger(__name__)

LOCK_KEY = "jigi:periodic-lock"


@dataclass(frozen=True)
class PassContext:
    """What a pass may use: the database, Redis, the settings and the moment of the pass."""

    database: Database
    redis: redis.Redis
    settings: Settings
    now: datetime


# A pass returns counts of what it did, for the worker's log and the `sms sweep` command.
Pass = Callable[[PassContext], dict[str, int]]
PASSES: dict[str, tuple[int, Pass]] = {}


def periodic_pass(name: str, order: int) -> Callable[[Pass], Pass]:
    """Register the decorated function as the pass `name`; lower `order` runs first."""

    def register(function: Pass) -> Pass:
        PASSES[name] = (order, function)
        return function

    return register


def run_passes(context: PassContext) -> dict[str, int]:
    """Run every registered pass in order; a failing pass is logged and the others still run."""
    counts: dict[str, int] = {}
    for name, (_order, function) in sorted(PASSES.items(), key=lambda item: item[1][0]):
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
