"""`GET /healthz`: whether this process reaches its database and Redis (for load balancers)."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from service.db import get_db
from service.redis_conn import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks = {}
    try:
        with get_db().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # a health check reports every failure instead of raising it
        checks["database"] = f"error: {type(error).__name__}"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
