"""The local gateway servers find the Jigi they were started beside."""

from __future__ import annotations

import pytest

from service.devtools.serving import jigi_url


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        ({"PORT": "8123", "JIGI_URL": "http://192.0.2.5:9000"}, "http://192.0.2.5:9000"),
    ],
)
def test_callbacks_go_to_the_jigi_of_this_port_unless_jigi_url_says_otherwise(monkeypatch, environ, expected):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("JIGI_URL", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    assert jigi_url() == expected
