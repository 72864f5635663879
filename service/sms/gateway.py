"""The SMS gateway port: one `send(Outgoing)` call and a classified answer.

Only the adapter modules know a provider; the sender sees a SendResult whose outcome decides what happens
to the row. A new provider is a new adapter module registered in ADAPTERS. SMS_GATEWAY names one adapter
or several in order; the sender always talks to a `GatewayChain` over them (service/sms/fallback.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from typing import Protocol

import redis
import requests
from flask import Flask
from urllib3.exceptions import MaxRetryError, NewConnectionError

from service.config import Settings, get_settings


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


# SMS_GATEWAY value -> "module:factory"; each factory takes the Settings.
ADAPTERS = {
    "console": "service.sms.console_gateway:ConsoleGateway",
    "africastalking": "service.sms.africastalking_gateway:AfricasTalkingGateway",
    "orange": "service.sms.orange_gateway:OrangeGateway",
    "android": "service.sms.android_gateway:AndroidGateway",
}


def make_adapter(name: str, settings: Settings) -> Gateway:
    """One adapter, imported only when chosen."""
    module_name, factory = ADAPTERS[name].split(":")
    return getattr(import_module(module_name), factory)(settings)


def make_gateway(settings: Settings, health: redis.Redis | None = None) -> Gateway:
    """The chain of the adapters SMS_GATEWAY names, in order; `health` keeps their state for the console."""
    from service.sms.fallback import GatewayChain, GatewayHealth

    adapters = [make_adapter(name, settings) for name in settings.gateways]
    return GatewayChain(adapters, GatewayHealth(health) if health is not None else None)


def get_gateway(app: Flask) -> Gateway:
    """The app's gateway chain, made on first use."""
    gateway = app.extensions.get("jigi.sms.gateway")
    if gateway is None:
        from service.redis_conn import get_redis

        gateway = make_gateway(get_settings(app), get_redis(app))
        app.extensions["jigi.sms.gateway"] = gateway
    return gateway
