"""`GET /metrics` for Prometheus, behind METRICS_TOKEN (a bearer token; unset, the route answers 404).

Counters and the USSD latency histogram are counted where things happen, in whichever process: with
`PROMETHEUS_MULTIPROC_DIR` set (an empty directory shared by the gunicorn workers and the RQ workers, as
docs/deploy.md shows), prometheus_client's multiprocess mode adds them up at each scrape. The state of
the service (the outbox backlog, unacknowledged emergencies, each gateway's health, the last DHIS2 push)
is read from the database and Redis at scrape time, so it is the same whichever process answers.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from service.config import Settings, get_settings
from service.db import Database, get_db
from service.gateways.chain import read_health
from service.models import Dhis2Push, EmergencyAlert, MessageStatus, OutboundMessage
from service.redis_conn import get_redis
from service.timeutil import as_utc, utcnow

bp = Blueprint("metrics", __name__)

USSD_REQUESTS = Counter("jigi_ussd_requests", "USSD requests answered, by outcome", ["outcome"])
USSD_SECONDS = Histogram(
    "jigi_ussd_request_seconds",
    "Time to answer a USSD request",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
MESSAGES = Counter(
    "jigi_messages",
    "SMS and calls handed to a gateway, by channel, gateway and the gateway's answer",
    ["channel", "gateway", "result"],
)
DHIS2_RESULT = {"SUCCESS": 1, "WARNING": 0, "ERROR": 0, "FAILED": 0}


def count_send(channel: str, gateway: str | None, outcome: str) -> None:
    """One SMS or call handed to `gateway`, and its answer (accepted, transient, permanent...)."""
    MESSAGES.labels(channel, gateway or "none", outcome).inc()


class StateCollector(Collector):
    """What the service's state is now, read at each scrape."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with self.database.session() as session:
            due, oldest = session.execute(
                select(func.count(), func.min(OutboundMessage.due_at)).where(
                    OutboundMessage.status.in_((MessageStatus.QUEUED, MessageStatus.SCHEDULED)),
                    OutboundMessage.due_at <= now,
                )
            ).one()
            waiting = session.scalar(
                select(func.count())
                .select_from(EmergencyAlert)
                .where(EmergencyAlert.acknowledged_at.is_(None))
            )
            last = session.scalars(
                select(Dhis2Push).where(Dhis2Push.dry_run.is_(False)).order_by(Dhis2Push.id.desc()).limit(1)
            ).first()
        yield _gauge("jigi_outbox_due", "Messages due now and not yet sent", due)
        yield _gauge(
            "jigi_outbox_oldest_due_age_seconds",
            "How long the oldest message due has waited (0 when none)",
            _age(oldest, now),
        )
        yield _gauge(
            "jigi_emergencies_unacknowledged", "Emergency alerts no clinician has acknowledged", waiting or 0
        )
        up = GaugeMetricFamily(
            "jigi_gateway_up", "1 when the SMS gateway's last answer was not a failure", labels=["gateway"]
        )
        for name, state in read_health(get_redis(), self.settings.gateways).items():
            up.add_metric([name], 0 if state.get("failing_since") else 1)
        yield up
        if last is not None:
            yield _gauge(
                "jigi_dhis2_last_push_success",
                "1 when the last DHIS2 push was wholly taken",
                DHIS2_RESULT.get(last.status, 0),
            )
            yield _gauge(
                "jigi_dhis2_last_push_timestamp_seconds",
                "When the last DHIS2 push ran (Unix time)",
                as_utc(last.created_at).timestamp(),
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(moment: datetime | None, now: datetime) -> float:
    return max(0.0, (now - as_utc(moment)).total_seconds()) if moment is not None else 0.0


def _registry(database: Database, settings: Settings) -> CollectorRegistry:
    """The counters of every process (multiprocess mode) or of this one, and the service's state."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (USSD_REQUESTS, USSD_SECONDS, MESSAGES):
            registry.register(metric)
    registry.register(StateCollector(database, settings))
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    settings = get_settings()
    if not settings.metrics_token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
        return Response("a bearer token (METRICS_TOKEN) is required\n", 401, mimetype="text/plain")
    body = generate_latest(_registry(get_db(), settings))
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
