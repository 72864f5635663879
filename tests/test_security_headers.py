"""Every answer carries the security headers; HSTS only in production, where Jigi is behind HTTPS."""

from __future__ import annotations

from dataclasses import replace

import pytest

from service import create_app
from service.headers import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/console/login", "/healthz", "/api/v1/openapi.json", "/console/nowhere"])
def test_every_answer_carries_the_security_headers(client, path):
    headers = client.get(path).headers

    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert (
        "default-src 'self'" in CONTENT_SECURITY_POLICY
        and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


def test_production_asks_browsers_to_keep_to_https(settings, db):
    production = create_app(replace(settings, env="production"))

    headers = production.test_client().get("/console/login").headers

    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    production.extensions["jigi.db"].engine.dispose()
