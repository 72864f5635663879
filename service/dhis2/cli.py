"""`flask --app app dhis2 indicators|preview|push`: the month's counts to the Ministry's DHIS2."""

from __future__ import annotations

import sys

import click

from service.cli import CLI_ACTOR, Commands
from service.config import get_settings
from service.db import get_db
from service.dhis2.indicators import INDICATORS
from service.dhis2.push import complete, preview, push
from service.timeutil import utcnow

dhis2_cli = Commands("dhis2", help="The month's counts to the Ministry's DHIS2 (only counts, by org unit).")


@dhis2_cli.command("indicators")
def dhis2_indicators() -> None:
    """Print what Jigi counts per health area and period: name, what it counts."""
    for indicator in INDICATORS.values():
        click.echo(f"{indicator.name}\t{indicator.description}")


@dhis2_cli.command("preview")
@click.option("--period", required=True, help="YYYYMM (a month) or YYYYWn (an ISO week).")
def dhis2_preview(period: str) -> None:
    """Print every value a push would send, by area and indicator, with what DHIS2 holds now (old -> new).
    Writes nothing."""
    with get_db().session() as session:
        view = preview(session, get_settings(), period)
    changed = 0
    for value in view.values:
        new = str(value.value)
        where = f"{value.area}\t{value.indicator}" + (f" {value.breakdown}" if value.breakdown else "")
        if view.current is None:
            click.echo(f"{where}\t{new}")
            continue
        old = view.current.get(value.key())
        changed += old != new
        click.echo(f"{where}\t{old if old is not None else '-'} -> {new}")
    _report_left_out(view.unmapped_areas, view.unmapped_indicators)
    if view.current_error:
        click.echo(f"What DHIS2 holds now could not be read: {view.current_error.text('en')}", err=True)
    else:
        click.echo(f"{len(view.values)} values for {view.period.code}, {changed} different from DHIS2's.")


@dhis2_cli.command("push")
@click.option("--period", required=True, help="YYYYMM (a month) or YYYYWn (an ISO week).")
@click.option("--dry-run", is_flag=True, help="Ask DHIS2 what it would import, importing nothing.")
@click.option("--by", "by", default=CLI_ACTOR, show_default=True)
def dhis2_push(period: str, dry_run: bool, by: str) -> None:
    """Send the period's counts; exit 0 only when DHIS2 took every value."""
    with get_db().session() as session:
        record, view, error = push(session, get_settings(), period, by, utcnow(), dry_run=dry_run)
        ok = complete(record)
        if error is None:
            click.echo(
                f"DHIS2 {record.status}: {record.imported} imported, {record.updated} updated, "
                f"{record.ignored} unchanged, of {record.values} values for {record.period}"
                + (" (dry run: nothing imported)" if dry_run else "")
            )
            for conflict in record.conflicts:
                names = ", ".join(f"{item['area']} {item['indicator']}" for item in conflict["values"]) or "-"
                click.echo(f"Conflict {conflict['code']}: {conflict['message']} ({names})", err=True)
            _report_left_out(view.unmapped_areas, view.unmapped_indicators)
    if error is not None:
        raise error  # once the failed push is kept
    if not ok:
        sys.exit(1)


def _report_left_out(areas: list[str], indicators: list[str]) -> None:
    if areas:
        click.echo(f"Not sent, no DHIS2 org unit: {', '.join(areas)}", err=True)
    if indicators:
        click.echo(f"Not sent, not in the mapping: {', '.join(indicators)}", err=True)
