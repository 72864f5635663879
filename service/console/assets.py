"""The console's static files on a slow link: each URL carries a fingerprint of the file's content, so a
browser keeps the file for a year and fetches it again only once it has changed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Response, request

from service.console.blueprint import bp

YEAR_SECONDS = 365 * 24 * 3600
STATIC_DIR = Path(bp.static_folder or "")
_fingerprints: dict[tuple[str, float], str] = {}


def fingerprint(filename: str) -> str:
    """A short hash of the file's content (read again only when the file changes)."""
    path = STATIC_DIR / filename
    try:
        key = (filename, path.stat().st_mtime)
    except OSError:
        return ""
    if key not in _fingerprints:
        _fingerprints[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _fingerprints[key]


@bp.url_defaults
def _fingerprinted(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "console.static" and "filename" in values:
        values.setdefault("v", fingerprint(values["filename"]))


def _max_age(filename: str | None) -> int | None:
    """A year for the fingerprinted URL of the file as it is; otherwise the browser asks each time."""
    current = fingerprint(filename) if filename else ""
    return YEAR_SECONDS if current and request.args.get("v") == current else None


bp.get_send_file_max_age = _max_age  # type: ignore[method-assign]


@bp.after_app_request
def _immutable(response: Response) -> Response:
    if request.endpoint == "console.static" and response.cache_control.max_age == YEAR_SECONDS:
        response.cache_control.immutable = True
    return response
