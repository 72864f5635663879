"""`flask --app app users create|list|deactivate`: accounts of the coordinators' console."""

from __future__ import annotations

import os

import click
from flask import Flask

from service.accounts import (
    AuditAction,
    check_password,
    create_user,
    deactivate_user,
    list_users,
    record_audit,
)
from service.cli import Commands
from service.db import get_db
from service.models import USER_ROLES

users_cli = Commands("users", help="Accounts of the coordinators' web console.")
CLI_ACTOR = "cli"


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(USER_ROLES), default="coordinator", show_default=True)
@click.option("--name", default=None)
def users_create(email: str, role: str, name: str | None) -> None:
    """Create an account; the password is read from JIGI_PASSWORD, or asked twice (hidden)."""
    password = os.environ.get("JIGI_PASSWORD") or click.prompt(
        "Password (10 characters or more, not easy to guess)", hide_input=True, confirmation_prompt=True
    )
    check_password(password, email)
    with get_db().session() as session:
        user = create_user(session, email, password, role, name)
        record_audit(session, CLI_ACTOR, AuditAction.USER_CREATED, {"email": user.email, "role": user.role})
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
    with get_db().session() as session:
        user = deactivate_user(session, email)
        record_audit(session, CLI_ACTOR, AuditAction.USER_DEACTIVATED, {"email": user.email})
    click.echo(f"Account {user.email} deactivated.")
