"""`flask --app app export referrals|visits [--since DAY] [--until DAY]`: CSV on standard output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

import click
from flask.cli import AppGroup

from service import get_settings
from service.accounts import record_audit
from service.db import get_db
from service.exports import export_referrals, export_visits

export_cli = AppGroup("export", help="CSV exports for a date range.")
CLI_ACTOR = "cli"

_since = click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First local day (YYYY-MM-DD).")
_until = click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last local day, included.")
_output = click.option(
    "-o", "--output", type=click.File("w", encoding="utf-8"), default="-", show_default=True
)


def _export(what: str, export: Callable, since: datetime | None, until: datetime | None, output) -> None:
    """Write the rows of local days `since`..`until` and audit the export."""
    tz = get_settings().tz
    start = datetime.combine(since.date(), time(0), tz) if since else None
    end = datetime.combine(until.date() + timedelta(days=1), time(0), tz) if until else None
    with get_db().session() as session:
        rows = export(session, output, since=start, until=end)
        detail = {
            "what": what,
            "since": since and since.date(),
            "until": until and until.date(),
            "rows": rows,
        }
        record_audit(session, CLI_ACTOR, "export", detail)
    click.echo(f"{rows} {what} exported.", err=True)


@export_cli.command("referrals")
@_since
@_until
@_output
def export_referrals_command(since, until, output) -> None:
    """Referrals reported in the date range (no names, no contact phones)."""
    _export("referrals", export_referrals, since, until, output)


@export_cli.command("visits")
@_since
@_until
@_output
def export_visits_command(since, until, output) -> None:
    """Mobile-unit visit requests made in the date range."""
    _export("visits", export_visits, since, until, output)
