"""Partner API tokens: created by admins, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import DomainError, ErrorKind
from service.models import API_SCOPES, ApiToken
from service.timeutil import utcnow

PREFIX = "jigi_"


class TokenError(DomainError):
    """A token command that cannot be done, with the reason."""


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: the name and scope of an accepted token."""

    name: str
    scope: str

    def can(self, scope: str) -> bool:
        """`write` implies `read`."""
        return self.scope == "write" or scope == "read"


def hash_token(token: str) -> str:
    """The stored form of a token; a token is 256 random bits, so a plain SHA-256 cannot be reversed."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, scope: str, created_by: str | None) -> str:
    """Add a token and return its secret, which is stored nowhere and cannot be shown again."""
    name = name.strip()
    if not name:
        raise TokenError("Give the token a name.", field="name")
    if scope not in API_SCOPES:
        raise TokenError("The scope must be read or write.", field="scope")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(
            "A token named %(name)s already exists (revoked tokens keep their name).",
            kind=ErrorKind.CONFLICT,
            field="name",
            name=name,
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, scope=scope, token_hash=hash_token(secret), created_by=created_by))
    session.flush()
    return secret


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, name: str, now: datetime | None = None) -> ApiToken:
    """Refuse the token from now on; revoking twice keeps the first time."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise TokenError("No token is named %(name)s.", kind=ErrorKind.NOT_FOUND, field="name", name=name)
    token.revoked_at = token.revoked_at or now or utcnow()
    return token


def authenticate(session: Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The token whose hash matches `secret`, marked as used; None when unknown.

    Looking up the hash, not the secret, keeps the comparison free of timing leaks about the secret.
    """
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is not None and token.revoked_at is None:
        token.last_used_at = now or utcnow()
    return token
