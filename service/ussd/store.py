"""Short-lived USSD state in Redis: each session's screens by `text`, and each phone's unfinished flow.

Redis holds nothing that cannot be lost: without it (flushed, or not answering) a session is replayed from
its `text`, and only the offer to continue a dropped session is lost.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import cast

import redis

from service.people import Caller
from service.ussd.engine import Reply, State, Turn

SESSION_TTL_SECONDS = 15 * 60  # longer than any USSD session; repeats of a request are answered from it
RESUME_TTL_SECONDS = 10 * 60  # dialling again within this time offers to continue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Seen:
    """What the session already answered for one `text`, the state it left, and who calls (kept so that
    the next step need not read the caller from the database; None in values kept before it was)."""

    state: State
    reply: Reply
    caller: Caller | None


class UssdStore:
    """Redis keys of the USSD service, for one request: after a Redis error it stops asking Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self.available = True
        self.resume_read: list[bytes | None] = []  # [the unfinished flow] once read with the session

    def _failed(self, doing: str, error: redis.RedisError) -> None:
        self.available = False
        log.warning("Redis did not answer (%s): the session goes on by replaying its text. %s", doing, error)

    @staticmethod
    def _session_key(phone: str, session_id: str) -> str:
        return f"jigi:ussd:session:{phone}:{session_id}"

    @staticmethod
    def _resume_key(phone: str) -> str:
        return f"jigi:ussd:resume:{phone}"

    def lookup(
        self, phone: str, session_id: str, text: str, parent: str | None
    ) -> tuple[Seen | None, Seen | None]:
        """The turn already taken for `text` (a repeated request), and for `parent` (the step before)."""
        fields = [text] if parent is None else [text, parent]
        try:
            found = self._read_session(phone, session_id, fields, first=parent is None)
        except redis.RedisError as error:
            self._failed("reading the session", error)
            return None, None
        seen = [_seen(raw) if raw is not None else None for raw in found]
        return seen[0], (seen[1] if parent is not None else None)

    def _read_session(
        self, phone: str, session_id: str, fields: list[str], first: bool
    ) -> list[bytes | None]:
        """The session's `fields`; a first request also reads the unfinished flow, in the same round trip."""
        key = self._session_key(phone, session_id)
        if not first:
            return cast(list[bytes | None], self.redis.hmget(key, fields))
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(key, fields)
            pipe.get(self._resume_key(phone))
            found, *self.resume_read = pipe.execute()
        return found

    def save(self, phone: str, session_id: str, text: str, turn: Turn, caller: Caller, start: str) -> None:
        """Keep the turn for repeats; keep or forget the phone's unfinished flow."""
        if not self.available:
            return
        key = self._session_key(phone, session_id)
        state = _json(turn.state.to_dict())  # serialised once, spliced into both values
        reply = f'"text": {_json(turn.reply.text)}, "end": {_json(turn.reply.end)}'
        value = f'{{"state": {state}, {reply}, "caller": {_json(vars(caller))}}}'
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, text, value)
            pipe.expire(key, SESSION_TTL_SECONDS)
            if turn.reply.end or (turn.state.screen == start and turn.state.saved is None):
                pipe.delete(self._resume_key(phone))
            elif turn.state.screen != start:  # on the main menu still offering it, the flow stays as it was
                flow = f'{{"session_id": {_json(session_id)}, "state": {state}}}'
                pipe.set(self._resume_key(phone), flow, ex=RESUME_TTL_SECONDS)
            try:
                pipe.execute()
            except redis.RedisError as error:
                self._failed("keeping the session", error)

    def unfinished(self, phone: str, session_id: str) -> State | None:
        """The flow another session of this phone left unfinished less than 10 minutes ago."""
        if not self.available:
            return None
        try:
            raw = self.resume_read[0] if self.resume_read else self.redis.get(self._resume_key(phone))
        except redis.RedisError as error:
            self._failed("reading the unfinished flow", error)
            return None
        if raw is None:
            return None
        flow = json.loads(raw)
        return None if flow["session_id"] == session_id else State.from_dict(flow["state"])


def _json(value: object) -> str:
    """JSON text as the values in Redis always were (UTF-8, not escaped)."""
    return json.dumps(value, ensure_ascii=False)


def _seen(raw: bytes) -> Seen:
    value = json.loads(raw)
    caller = value.get("caller")
    return Seen(
        State.from_dict(value["state"]),
        Reply(value["text"], value["end"]),
        Caller(**caller) if caller is not None else None,
    )
