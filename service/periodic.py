"""What a periodic pass is: a plain function of a `PassContext` that returns counts of what it did (for
the worker's log and the `sms sweep` command). The list of passes the worker runs is
`service/worker/passes.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis

from service.config import Settings
from service.db import Database


@dataclass(frozen=True)
class PassContext:
    """What a pass may use: the database, Redis, the settings and the moment of the pass."""

    database: Database
    redis: redis.Redis
    settings: Settings
    now: datetime


Pass = Callable[[PassContext], dict[str, int]]
