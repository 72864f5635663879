"""Several gateways in order (`SMS_GATEWAY=orange,android`) behind the one port, and what coordinators
see of their health.

While the first gateway works, everything goes through it. A message moves on to the next gateway only
when the first surely did not send it:
- the first is paused (it refused its credentials or has no credit): for `PAUSE_SECONDS`, every message
  goes straight to the next (the last gateway is always tried);
- it failed transiently on the message's last attempt, or on an emergency alert (which does not wait for
  the backoff).
An `unknown` answer (the gateway may have taken the message) ends the send there: a row is in doubt on
at most one gateway, and is never sent on another.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from sqlalchemy import select

from service import system_alerts
from service.gateways.port import Gateway, GroupGateway, Outcome, Outgoing, SendResult, groups
from service.models import SystemAlert
from service.periodic import PassContext
from service.system_alerts import AlertKind

log = logging.getLogger(__name__)

# How long a gateway that refused its credentials or has no credit is left aside (as long as a row
# waits after such an answer when no other gateway is there).
PAUSE_SECONDS = 15 * 60
PAUSING = (Outcome.CONFIG_ERROR, Outcome.INSUFFICIENT_BALANCE)
HEALTH_KEY = "jigi:gateway-health:{name}"
# A success is written at most this often per gateway and process (it is the common case, on a hot path).
SUCCESS_WRITE_SECONDS = 10.0
# A gateway failing this long without a success in between (a phone offline, Orange down) alerts coordinators.
DOWN_AFTER = timedelta(minutes=10)


class GatewayHealth:
    """Each gateway's last success, last error and pause, kept in Redis for the console and the alert
    pass. Writing never fails a send: Redis being down only leaves the console without news."""

    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._last_success_write: dict[str, float] = {}

    def record(self, name: str, result: SendResult, paused_until: datetime | None = None) -> None:
        now = datetime.now(UTC).isoformat()
        if result.outcome is Outcome.ACCEPTED:
            last = self._last_success_write.get(name)
            if last is not None and self.clock() - last < SUCCESS_WRITE_SECONDS:
                return
            self._last_success_write[name] = self.clock()
            fields = {"last_success_at": now}
            self._write(name, fields, clear=("failing_since", "paused_until", "paused_reason"))
            return
        if result.outcome is Outcome.PERMANENT:
            return  # about the message (a bad number), not the gateway
        fields = {"last_error_at": now, "last_error": (result.reason or result.outcome)[:300]}
        if paused_until is not None:
            fields |= {"paused_until": paused_until.isoformat(), "paused_reason": fields["last_error"]}
        self._last_success_write.pop(name, None)
        self._write(name, fields, failing_since=now)

    def _write(
        self, name: str, fields: dict[str, str], clear: tuple[str, ...] = (), failing_since: str | None = None
    ) -> None:
        key = HEALTH_KEY.format(name=name)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hset(key, mapping=dict[Any, Any](fields))
            if failing_since is not None:
                pipe.hsetnx(key, "failing_since", failing_since)
            if clear:
                pipe.hdel(key, *clear)
            pipe.execute()
        except redis.RedisError as error:
            log.warning("could not record the health of gateway %s: %s", name, error)


def read_health(client: redis.Redis, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """What is known of each gateway in `names` (empty when nothing was recorded or Redis is down)."""
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(HEALTH_KEY.format(name=name))
    try:
        states = pipe.execute()
    except redis.RedisError:
        states = [{} for _name in names]
    return {
        name: {_text(key): _text(value) for key, value in raw.items()}
        for name, raw in zip(names, states, strict=True)
    }


def down_message(name: str) -> str:
    return (
        f"The {name} SMS gateway has failed for more than {DOWN_AFTER.seconds // 60} minutes: its messages "
        "go through the next gateway or wait. See the gateway's last error on the SMS page."
    )


def alert_on_gateways_down(context: PassContext) -> dict[str, int]:
    """Open an alert for each gateway failing for DOWN_AFTER, close it once the gateway sends again.
    Usually nothing changes: one read of the open alerts, no write."""
    down, kind = 0, AlertKind.GATEWAY_DOWN
    health = read_health(context.redis, context.settings.gateways)
    with context.database.session() as session:
        query = select(SystemAlert.message).where(SystemAlert.kind == kind, SystemAlert.resolved_at.is_(None))
        open_alerts = set(session.scalars(query))
        for name, state in health.items():
            since, message = state.get("failing_since"), down_message(name)
            if since and context.now - datetime.fromisoformat(since) >= DOWN_AFTER:
                down += 1
                if message not in open_alerts:
                    system_alerts.raise_alert(session, kind, message)
            elif not since and message in open_alerts:
                system_alerts.resolve_alerts(session, (AlertKind.GATEWAY_DOWN,), context.now, message=message)
    return {"gateways_down": down} if down else {}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class GatewayChain:
    """The gateways of SMS_GATEWAY, in order, behind the one Gateway interface the sender uses."""

    def __init__(
        self,
        adapters: Sequence[Gateway],
        health: GatewayHealth | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adapters = list(adapters)
        self.name = ",".join(adapter.name for adapter in self.adapters)
        self.health = health
        self.clock = clock
        self._paused: dict[str, tuple[float, SendResult]] = {}

    def send(self, message: Outgoing) -> SendResult:
        return self._send_from(0, message)

    def groups(self) -> bool:
        position = self._first_usable()
        return groups(self.adapters[position]) if position is not None else False

    def send_group(self, messages: Sequence[Outgoing]) -> list[SendResult]:
        """One text to several numbers: in one request when the gateway it goes to can, each message going
        on to the next gateway by the rules above if its answer says it surely was not sent."""
        position = self._first_usable()
        adapter = self.adapters[position] if position is not None else None
        if not isinstance(adapter, GroupGateway) or any(m.urgent or m.last_attempt for m in messages):
            return [self.send(message) for message in messages]
        assert position is not None
        results = [replace(result, gateway=adapter.name) for result in adapter.send_group(messages)]
        for result in {result.outcome: result for result in results}.values():
            self._settle(adapter, result)
        return [
            self._send_from(position + 1, message, result) if result.outcome in PAUSING else result
            for message, result in zip(messages, results, strict=True)
        ]

    def _send_from(self, start: int, message: Outgoing, answer: SendResult | None = None) -> SendResult:
        """Try the gateways from position `start`; `answer` is an earlier gateway's, kept if none takes it."""
        for position, adapter in enumerate(self.adapters[start:], start=start + 1):
            pause = self._paused.get(adapter.name)
            if pause is not None and self._is_paused(adapter, position):
                answer = answer or pause[1]
                continue  # the last gateway is always tried: its answer decides how long the row waits
            result = replace(adapter.send(message), gateway=adapter.name)
            self._settle(adapter, result)
            if result.outcome in PAUSING or (
                result.outcome is Outcome.TRANSIENT and (message.urgent or message.last_attempt)
            ):
                answer = result  # surely not sent here: the next gateway may try
                continue
            return result
        assert answer is not None  # the last adapter was tried and refused too
        return answer

    def _first_usable(self) -> int | None:
        """The index of the gateway a message would go to first (None: the chain is empty)."""
        return next(
            (n for n, adapter in enumerate(self.adapters) if not self._is_paused(adapter, n + 1)), None
        )

    def _is_paused(self, adapter: Gateway, position: int) -> bool:
        """Whether `adapter`, at 1-based `position`, is left aside now (the last one never is)."""
        pause = self._paused.get(adapter.name)
        return pause is not None and self.clock() < pause[0] and position < len(self.adapters)

    def _settle(self, adapter: Gateway, result: SendResult) -> None:
        """Pause a gateway that refused its credentials or has no credit, and record its health."""
        paused_until = None
        if result.outcome in PAUSING:
            self._paused[adapter.name] = (self.clock() + PAUSE_SECONDS, result)
            paused_until = datetime.fromtimestamp(time.time() + PAUSE_SECONDS, UTC)
        else:
            self._paused.pop(adapter.name, None)
        if self.health is not None:
            self.health.record(adapter.name, result, paused_until)
