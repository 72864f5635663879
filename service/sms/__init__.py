"""Sending SMS: the sweeper (the worker's `sending` pass), the sender, RQ jobs and their priority queues.

The providers themselves are the gateways' (`service/gateways/`)."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from service.cli import Commands
from service.db import get_db
from service.models import OutboundMessage, SystemAlert

sms_cli = Commands("sms", help="Outbound SMS: sweep due messages, show the outbox.")


def init_app(app: Flask) -> None:
    """Register the `sms` commands (`sweep` is the worker's, `service/worker/`)."""
    app.cli.add_command(sms_cli)


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
