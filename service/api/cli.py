"""`flask --app app tokens create|list|revoke`: partner API tokens, shown once at creation."""

from __future__ import annotations

import click

from service.accounts import AuditAction, record_audit
from service.api.tokens import create_token, list_tokens, revoke_token
from service.cli import Commands
from service.db import get_db
from service.models import API_SCOPES
from service.timeutil import iso

tokens_cli = Commands("tokens", help="Bearer tokens of partner systems for the /api/v1 JSON API.")


@tokens_cli.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(API_SCOPES), required=True, help="write includes read.")
@click.option("--by", "created_by", default="cli", show_default=True, help="Who creates the token.")
def tokens_create(name: str, scope: str, created_by: str) -> None:
    """Create a token for a partner system and print it; it cannot be shown again."""
    with get_db().session() as session:
        secret = create_token(session, name, scope, created_by)
        record_audit(session, created_by, AuditAction.API_TOKEN_CREATE, {"name": name, "scope": scope})
    click.echo(f"Token {name!r} ({scope}) created. Give it to the partner now; it is not stored:")
    click.echo(secret)


@tokens_cli.command("list")
def tokens_list() -> None:
    """Print name, scope, creation, last use and revocation of every token (never the token)."""
    with get_db().session() as session:
        for token in list_tokens(session):
            state = f"revoked {iso(token.revoked_at)}" if token.revoked_at else "active"
            click.echo(
                f"{token.name}\t{token.scope}\tcreated {iso(token.created_at)} by {token.created_by or '-'}"
                f"\tlast used {iso(token.last_used_at) or 'never'}\t{state}"
            )


@tokens_cli.command("revoke")
@click.argument("name")
@click.option("--by", "revoked_by", default="cli", show_default=True, help="Who revokes the token.")
def tokens_revoke(name: str, revoked_by: str) -> None:
    """Refuse the token from now on."""
    with get_db().session() as session:
        revoke_token(session, name)
        record_audit(session, revoked_by, AuditAction.API_TOKEN_REVOKE, {"name": name})
    click.echo(f"Token {name!r} revoked.")
