"""Bearer-token check for every API route: GET needs a read token, any change needs a write token."""

from __future__ import annotations

from flask import g

from service.api.errors import ApiError
from service.api.tokens import Caller, authenticate
from service.db import get_db

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def required_scope(method: str) -> str:
    return "read" if method in READ_METHODS else "write"


def check_bearer(authorization: str | None, method: str) -> Caller:
    """The caller behind an `Authorization: Bearer TOKEN` header, or ApiError 401/403 saying why not."""
    scheme, _, secret = (authorization or "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="jigi"'}
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "send the API token as 'Authorization: Bearer TOKEN'", challenge)
    with get_db().session() as session:
        token = authenticate(session, secret.strip())
        if token is None:
            rejected = {"WWW-Authenticate": 'Bearer realm="jigi", error="invalid_token"'}
            raise ApiError(401, "unauthorized", "the API token is not valid", rejected)
        if token.revoked_at is not None:
            raise ApiError(403, "token_revoked", f"the API token {token.name!r} has been revoked")
        caller = Caller(token.name, token.scope)
    scope = required_scope(method)
    if not caller.can(scope):
        raise ApiError(
            403, "insufficient_scope", f"this needs a {scope} token; {caller.name!r} is {caller.scope}"
        )
    g.api_caller = caller
    return caller
