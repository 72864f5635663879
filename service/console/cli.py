"""`flask --app app users create|list|deactivate` (console accounts) and `export appointments|messages`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, time, timedelta

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from service import get_settings
from service.accounts import (
    AccountError,
    check_password,
    create_user,
    deactivate_user,
    list_users,
    record_audit,
)
from service.cli import fail
from service.db import get_db
from service.exports import export_appointments, export_messages
from service.models import USER_ROLES

users_cli = AppGroup("users", help="Accounts of the coordinators' web console.")
CLI_ACTOR = "cli"


def init_app(app: Flask) -> None:
    """Add `users`; add the two exports to the `export` group (the USSD area's, when it registered one)."""
    app.cli.add_command(users_cli)
    export_cli = app.cli.commands.get("export")
    if export_cli is None:
        export_cli = AppGroup("export", help="CSV exports for a date range.")
        app.cli.add_command(export_cli)
    export_cli.add_command(export_appointments_command)
    export_cli.add_command(export_messages_command)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(USER_ROLES), default="coordinator", show_default=True)
@click.option("--name", default=None)
def users_create(email: str, role: str, name: str | None) -> None:
    """Create an account; the password is read from JIGI_PASSWORD, or asked twice (hidden)."""
    password = os.environ.get("JIGI_PASSWORD") or click.prompt(
        "Password (10 characters or more)", hide_input=True, confirmation_prompt=True
    )
    try:
        check_password(password)
        with get_db().session() as session:
            user = create_user(session, email, password, role, name)
            record_audit(session, CLI_ACTOR, "user_created", {"email": user.email, "role": user.role})
    except AccountError as error:
        fail(str(error))
    click.echo(f"Account {user.email} created with role {user.role}.")


@users_cli.command("list")
def users_list() -> None:
    """Print every account: email, role, active, last login."""
    with get_db().session() as session:
        for user in list_users(session):
            state = "active" if user.active else "inactive"
            last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
            click.echo(f"{user.email}\t{user.role}\t{state}\t{last}")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Stop an account from logging in (its history stays)."""
    try:
        with get_db().session() as session:
            user = deactivate_user(session, email)
            record_audit(session, CLI_ACTOR, "user_deactivated", {"email": user.email})
    except AccountError as error:
        fail(str(error))
    click.echo(f"Account {user.email} deactivated.")


def _export(what: str, export: Callable, since, until, output) -> None:
    """Write one CSV for local days `since`..`until` (inclusive) and audit it."""
    tz = get_settings().tz
    start = datetime.combine(since, time(0), tz) if since else None
    end = datetime.combine(until + timedelta(days=1), time(0), tz) if until else None
    with get_db().session() as session:
        rows = export(session, output, since=start, until=end)
        record_audit(
            session, CLI_ACTOR, "export", {"what": what, "since": since, "until": until, "rows": rows}
        )
    click.echo(f"{rows} {what} exported.", err=True)


_since = click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First local day (YYYY-MM-DD).")
_until = click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last local day, included.")
_output = click.option(
    "-o", "--output", type=click.File("w", encoding="utf-8"), default="-", show_default=True
)


@click.command("appointments")
@_since
@_until
@_output
@with_appcontext
def export_appointments_command(since, until, output) -> None:
    """Appointments starting in the date range, as CSV (patient references, no phone numbers)."""
    _export("appointments", export_appointments, since and since.date(), until and until.date(), output)


@click.command("messages")
@_since
@_until
@_output
@with_appcontext
def export_messages_command(since, until, output) -> None:
    """Outbound SMS due in the date range, as CSV (statuses and costs, no phone numbers or text)."""
    _export("messages", export_messages, since and since.date(), until and until.date(), output)
