"""`Idempotency-Key` on the partner API's POST routes: a retry with the same key and body gets the first
answer again and creates nothing; the same key with another request gets 422.

The key is claimed (a row without answer) in its own transaction before the route runs, so two copies
of a request sent at once cannot both create: the second gets 409 and retries. An answer other than
2xx frees the key, so a corrected request may use it again.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from service.api.errors import ApiError
from service.db import get_db
from service.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def register(blueprint: Blueprint) -> None:
    """Claim the key before POST routes of `blueprint` run and keep (or free) it after."""
    blueprint.before_request(_claim)
    blueprint.after_request(_keep)
    blueprint.teardown_request(_free_unanswered)


def _claim() -> Response | None:
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or not hasattr(g, "api_caller"):
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ApiError(
            400, "bad_request", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
        )
    caller = g.api_caller.name
    request_print = fingerprint(request.path, request.get_data())
    with get_db().session() as session:
        found = session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        )
        if found is None:
            session.add(IdempotencyKey(caller=caller, key=key, fingerprint=request_print))
            try:
                session.flush()
            except IntegrityError:
                raise _in_progress() from None
            g.idempotency_key = key
            return None
        if found.fingerprint != request_print:
            raise ApiError(422, "invalid", f"{HEADER} {key!r} was used for another request", field=HEADER)
        if found.status is None:
            raise _in_progress()
        replay = Response(found.body, status=found.status, mimetype="application/json")
        if found.location:
            replay.headers["Location"] = found.location
        replay.headers["Idempotent-Replayed"] = "true"
        return replay


def fingerprint(path: str, body: bytes) -> str:
    """What makes two requests the same request: the path and the body, byte for byte."""
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()


def _in_progress() -> ApiError:
    return ApiError(409, "conflict", f"a request with this {HEADER} is still running; retry in a moment")


def _keep(response: Response) -> Response:
    """Store a 2xx answer under the claimed key; free the key otherwise."""
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    with get_db().session() as session:
        row = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.caller == g.api_caller.name, IdempotencyKey.key == key
            )
        )
        if row is None:
            return response
        if 200 <= response.status_code < 300:
            row.status, row.body = response.status_code, response.get_data(as_text=True)
            row.location = response.headers.get("Location")
        else:
            session.delete(row)
    return response


def _free_unanswered(_error: BaseException | None) -> None:
    """A route that failed without an answer (an unexpected error) leaves its key free for a retry."""
    key = g.pop("idempotency_key", None)
    if key is not None:
        with get_db().session() as session:
            session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.caller == g.api_caller.name,
                    IdempotencyKey.key == key,
                    IdempotencyKey.status.is_(None),
                )
            )
