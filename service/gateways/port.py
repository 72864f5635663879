"""The gateway port: one `send(Outgoing)` (an SMS) or `call(OutgoingCall)` (a voice call) and a classified
answer, whatever the provider.

Only a gateway's own module (`service/gateways/<name>.py`) knows its provider; the sender sees a
SendResult whose outcome decides what happens to the row.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

# HTTP answers that mean "not now": the provider (or the phone) is busy or down, and did not take the
# message, so sending again later is safe.
RETRY_LATER_STATUSES = frozenset({429, 500, 502, 503, 504})


class Outcome(StrEnum):
    """What one send came to, whatever the gateway."""

    ACCEPTED = "accepted"  # the gateway took the message: the row is sent
    PERMANENT = "permanent"  # this message will never go (bad number, blacklist): failed, never retried
    TRANSIENT = "transient"  # the gateway did not take it this time (5xx, refused connection): retried
    CONFIG_ERROR = "config_error"  # bad credentials or sender id: coordinators are alerted, the row waits
    INSUFFICIENT_BALANCE = "insufficient_balance"  # no SMS credit: coordinators are alerted, the row waits
    UNKNOWN = "unknown"  # the request may have been taken (timeout after sending): never resent


@dataclass(frozen=True)
class SendResult:
    """What a gateway said about one message, and which gateway said it."""

    outcome: Outcome
    message_id: str | None = None
    cost: str | None = None
    reason: str | None = None
    gateway: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One SMS to send. `reference` is Jigi's own id for it, which gateways that take one (the Android
    app) use to make a repeated send harmless; `urgent` and `last_attempt` tell a chain of gateways to
    move on to the next one after a transient failure."""

    reference: str
    recipient: str
    text: str
    urgent: bool = False
    last_attempt: bool = False


class Gateway(Protocol):
    """Sends one SMS; never raises for a gateway answer, only classifies it."""

    name: str

    def send(self, message: Outgoing) -> SendResult: ...


@runtime_checkable
class GroupGateway(Gateway, Protocol):
    """A gateway that also sends one text to several numbers in one request (Africa's Talking's `to`
    takes a list), each number getting its own answer."""

    def groups(self) -> bool:
        """Whether `send_group` sends one request now (a chain: whether the gateway it would use can)."""
        ...

    def send_group(self, messages: Sequence[Outgoing]) -> list[SendResult]: ...


def groups(gateway: Gateway) -> bool:
    """Whether messages of one text to several numbers would leave in one request through `gateway`."""
    return isinstance(gateway, GroupGateway) and gateway.groups()


def send_all(gateway: Gateway, messages: Sequence[Outgoing]) -> list[SendResult]:
    """Each message's answer, in order. Messages of one text to different numbers (the sender groups them
    so) go in one request where the gateway can, else one request each."""
    if len(messages) > 1 and isinstance(gateway, GroupGateway):
        return gateway.send_group(messages)
    return [gateway.send(message) for message in messages]


def http_session(url: str) -> requests.Session:
    """A keep-alive HTTP session for a provider's API at `url`, with the proxy and CA bundle the
    environment names read once: requests would read them again on every call (about 0.5 ms each)."""
    http = requests.Session()
    http.trust_env = False
    http.proxies = requests.utils.get_environ_proxies(url)
    http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return http


def transport_failure(error: requests.RequestException, timeout: float) -> SendResult:
    """An HTTP call that got no answer: TRANSIENT when it never reached the gateway (resending is safe),
    UNKNOWN when the request may have left (the gateway may have taken the message)."""
    if isinstance(error, requests.ConnectTimeout):
        return SendResult(Outcome.TRANSIENT, reason=f"connection timeout: {error}")
    if isinstance(error, requests.ConnectionError):
        cause = error.args[0] if error.args else None
        if isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError):
            return SendResult(Outcome.TRANSIENT, reason=f"cannot connect: {error}")
        return SendResult(Outcome.UNKNOWN, reason=f"connection lost after sending: {error}")
    if isinstance(error, requests.Timeout):
        return SendResult(Outcome.UNKNOWN, reason=f"no answer within {timeout} s: {error}")
    return SendResult(Outcome.UNKNOWN, reason=f"request failed after sending: {error}")


@dataclass(frozen=True)
class OutgoingCall:
    """One call to place. `reference` is Jigi's id for it (`jigi-<row id>`), which the gateway passes
    back on every step of the call."""

    reference: str
    recipient: str
    urgent: bool = False


class VoiceGateway(Protocol):
    """Places one call; never raises for a gateway answer, only classifies it (ACCEPTED: the call is
    queued, its session id in `message_id`; what the person does comes later, in the gateway's callbacks)."""

    name: str

    def call(self, call: OutgoingCall) -> SendResult: ...
