"""Sending SMS: gateway adapters, the sweeper (the worker's `sending` pass), RQ workers, delivery reports."""

from __future__ import annotations

import click
import requests
from flask import Flask
from sqlalchemy import func, select

from service.cli import Commands, fail
from service.config import get_settings
from service.db import get_db
from service.models import OutboundMessage, SystemAlert
from service.periodic import PassContext, run_locked
from service.redis_conn import get_redis
from service.timeutil import utcnow

sms_cli = Commands("sms", help="Outbound SMS: sweep due messages, show the outbox.")
gateways_cli = Commands("gateways", help="SMS gateways: register Jigi's callback addresses with them.")


def init_app(app: Flask) -> None:
    from service.sms import fallback, sweeper  # noqa: F401  (register the sending and gateway passes)
    from service.sms.android_events import bp as android_bp
    from service.sms.callbacks import bp

    app.register_blueprint(bp)
    app.register_blueprint(android_bp)
    app.cli.add_command(sms_cli)
    app.cli.add_command(gateways_cli)


@sms_cli.command("sweep")
def sms_sweep() -> None:
    """Run the worker's periodic passes once now (workers do this every SWEEP_INTERVAL_SECONDS)."""
    counts = run_locked(PassContext(get_db(), get_redis(), get_settings(), utcnow()))
    if counts is None:
        click.echo("Another process is sweeping right now; nothing done.")
        return
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()) or "Nothing to do.")


@sms_cli.command("status")
def sms_status() -> None:
    """Count outbound SMS by status and list open alerts about sending."""
    with get_db().session() as session:
        counts = session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        ).all()
        alerts = session.scalars(
            select(SystemAlert).where(SystemAlert.resolved_at.is_(None)).order_by(SystemAlert.created_at)
        ).all()
        for status, count in sorted(counts):
            click.echo(f"{status}\t{count}")
        for alert in alerts:
            click.echo(f"ALERT {alert.kind} since {alert.created_at:%Y-%m-%d %H:%M}: {alert.message}")


@gateways_cli.command("subscribe")
def gateways_subscribe() -> None:
    """Ask Orange to post delivery receipts to PUBLIC_URL (SMS_GATEWAY=orange)."""
    from service.sms.orange_gateway import OrangeGateway

    settings = get_settings()
    if not settings.public_url:
        fail("set PUBLIC_URL to the https:// address at which Orange reaches Jigi")
    notify_url = f"{settings.public_url}/gateways/orange/delivery?token={settings.at_callback_token}"
    try:
        OrangeGateway(settings).subscribe(notify_url)
    except (RuntimeError, requests.RequestException) as error:
        fail(str(error))
    click.echo(f"Orange will post delivery receipts to {settings.public_url}/gateways/orange/delivery.")


@gateways_cli.command("register-webhooks")
def gateways_register_webhooks() -> None:
    """Register Jigi's address with the Android phone for sms:received, sent, delivered and failed."""
    from service.sms.android_gateway import AndroidGateway

    settings = get_settings()
    url = settings.public_url or ""
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        fail(
            "set PUBLIC_URL to the https:// address at which the phone reaches Jigi "
            "(the app accepts http:// only for 127.0.0.1, on the phone itself)"
        )
    try:
        events = AndroidGateway(settings).register_webhooks(
            f"{url}/gateways/android/events?token={settings.at_callback_token}"
        )
    except (RuntimeError, ValueError, requests.RequestException) as error:
        fail(f"cannot register the webhooks: {error}")
    click.echo(f"The phone will post {', '.join(events)} to {url}/gateways/android/events.")
