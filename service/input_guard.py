"""What the database cannot store is refused at the door: a NUL character in any query or form value
gets a 400, an id beyond the database's integer range a 404, instead of an error deep in a query.

The USSD callback is the exception: whatever a phone sends must get a screen back (an unreadable answer
is an invalid choice there), and what it stores has been validated first."""

from __future__ import annotations

from flask import Flask, abort, request

# Ids are PostgreSQL integers; a larger one names nothing.
MAX_ID = 2_147_483_647
NUL = "\x00"
ANSWERS_EVERY_TEXT = ("ussd.ussd_callback",)


def id_or_none(raw: str | None) -> int | None:
    """A query value as an id: None when empty, not a whole number, or beyond the database's range."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_ID)):
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_what_the_database_cannot_store() -> None:
        if any(isinstance(value, int) and value > MAX_ID for value in (request.view_args or {}).values()):
            abort(404)
        if request.endpoint in ANSWERS_EVERY_TEXT:
            return
        for values in (request.args, request.form):
            for name, value in values.items(multi=True):
                if NUL in name or NUL in value:
                    abort(400, description=f"{name.replace(NUL, '')}: NUL characters are not accepted")
