"""A job's sends on SENDS_IN_FLIGHT threads ("lanes"), so that one send's wait for the gateway and another's
database work overlap. Each lane takes the job's next turn (a position, or a group of them) as it
finishes one."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from service.db import Database

T = TypeVar("T")


class Turns(Generic[T]):
    """A job's turns in order, each handed to one lane only."""

    def __init__(self, turns: Iterable[T]) -> None:
        self._left = iter(turns)
        self._taking = threading.Lock()

    def take(self) -> T | None:
        """The next turn, or None when all were taken."""
        with self._taking:
            return next(self._left, None)


def in_lanes(lanes: int, lane: Callable[[], None]) -> None:
    """Run `lane` on `lanes` threads at once (in this thread when there is one), re-raising a lane's error."""
    if lanes <= 1:
        lane()
        return
    with ThreadPoolExecutor(lanes, thread_name_prefix="send-lane") as pool:
        # Each lane logs under the job's request id (service.logs), which threads do not inherit.
        running = [pool.submit(contextvars.copy_context().run, lane) for _ in range(lanes)]
        for future in running:
            future.result()


@contextmanager
def lane_session(database: Database) -> Iterator[Session]:
    """A session on one connection for a lane's whole run, its transactions begun by the lane: a session
    alone would check a connection out (and ping it) for every transaction."""
    with database.engine.connect() as connection, database.sessions(bind=connection) as session:
        yield session
