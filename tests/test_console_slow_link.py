"""The console on a slow link: pages leave compressed, static files carry a fingerprint and are kept for a
year, and a changed file gets a new URL."""

from __future__ import annotations

import gzip
import os
import re

import pytest
from console_support import sign_in

from service.console import assets


@pytest.fixture
def coordinator(app, client, db, demo):
    return sign_in(app, client, db, "coordinator")


def test_pages_leave_gzipped_when_the_browser_accepts_it(client, coordinator):
    plain = client.get("/console/")
    packed = client.get("/console/", headers={"Accept-Encoding": "gzip"})

    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    page = gzip.decompress(packed.data)
    assert page.startswith(b"<!doctype html>") and page.endswith(b"</html>")
    assert abs(len(page) - len(plain.data)) < 50  # the same page (its CSRF token and times may differ)
    assert len(packed.data) * 3 < len(plain.data)


def test_static_files_are_fingerprinted_and_kept_for_a_year(client, coordinator):
    page = client.get("/console/").get_data(as_text=True)
    url = re.search(r'href="(/console/static/console\.css\?v=[0-9a-f]{12})"', page).group(1)

    kept = client.get(url)
    stale = client.get(url.split("?")[0] + "?v=000000000000")

    assert kept.status_code == 200 and "max-age=31536000" in kept.headers["Cache-Control"]
    assert "immutable" in kept.headers["Cache-Control"]
    assert "max-age=31536000" not in stale.headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_url(tmp_path, monkeypatch):
    (tmp_path / "x.css").write_text("a{}")
    monkeypatch.setattr(assets, "STATIC_DIR", tmp_path)
    before = assets.fingerprint("x.css")
    (tmp_path / "x.css").write_text("a{color:red}")
    os.utime(tmp_path / "x.css", (1, 1))

    assert assets.fingerprint("x.css") != before and len(before) == 12
