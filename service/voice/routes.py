"""`GET /voice/recordings/<token>`: a recording as the gateway fetches it to play it in a call, without a
login (the token is unguessable, and a replaced recording gets a new one)."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from service.db import get_db
from service.voice.recordings import by_token

bp = Blueprint("voice", __name__)


@bp.get("/voice/recordings/<token>")
def recording(token: str) -> Response:
    with get_db().session() as session:
        found = by_token(session, token[:64]) or abort(404)
        response = Response(found.audio, 200, mimetype=found.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
