"""The trainers' terminal phone: it dials like Africa's Talking and stops at END."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

import pytest
from conftest import CALLBACK_TOKEN
from sqlalchemy import select
from werkzeug.serving import make_server

from service.devtools.ussd_phone import dial, http_post, main
from service.models import Referral


def scripted(*answers: str):
    """Answers typed by the trainer, then the end of input."""
    remaining = list(answers)
    return lambda: remaining.pop(0) if remaining else None


def via_test_client(client, sent: list[dict]):
    def post(form: dict[str, str]) -> tuple[int, str]:
        sent.append(form)
        response = client.post(f"/at/ussd?token={CALLBACK_TOKEN}", data=form)
        return response.status_code, response.get_data(as_text=True)

    return post


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_phone_accumulates_text_in_one_session_and_stops_at_end(client, demo, db):
    sent: list[dict] = []
    shown: list[str] = []
    screens = dial(
        via_test_client(client, sent),
        "+22376000001",
        scripted("1", "2", "2", "34", "1", "4", "2", "1"),
        shown.append,
    )
    assert [form["text"] for form in sent] == [
        "",
        "1",
        "1*2",
        "1*2*2",
        "1*2*2*34",
        "1*2*2*34*1",
        "1*2*2*34*1*4",
        "1*2*2*34*1*4*2",
        "1*2*2*34*1*4*2*1",
    ]
    assert len({form["sessionId"] for form in sent}) == 1 and sent[0]["sessionId"].startswith("ATUid_")
    assert screens[-1].startswith("END Cas enregistré") and shown[-1] == screens[-1][4:]
    with db.session() as session:
        assert session.scalars(select(Referral.session_id)).one() == sent[0]["sessionId"]


def test_each_call_is_a_new_session(client, demo):
    sent: list[dict] = []
    for _ in range(2):
        dial(via_test_client(client, sent), "+22376000001", scripted("5"), lambda screen: None)
    assert sent[0]["sessionId"] != sent[-1]["sessionId"]


def test_empty_answer_abandons_the_session(client, demo):
    shown: list[str] = []
    screens = dial(via_test_client(client, []), "+22376000001", scripted("1", ""), shown.append)
    assert len(screens) == 2 and shown[-1] == "[session abandoned]"


def test_phone_posts_form_encoded_over_http_like_africas_talking(live_url, demo, db, app):
    received: list[bytes] = []

    @app.before_request
    def keep_body():
        from flask import request

        received.append(request.get_data())

    shown: list[str] = []
    dial(http_post(live_url, CALLBACK_TOKEN), "+22376123456", scripted("5"), shown.append)
    assert shown[0].startswith("Jigi: i ka sugandi") and shown[-1].startswith("Jigi dèmè:")
    assert b"phoneNumber=%2B22376123456" in received[0]
    assert parse_qs(received[-1].decode())["text"] == ["5"]


def test_wrong_token_shows_the_failure_and_stops(live_url, demo):
    shown: list[str] = []
    screens = dial(http_post(live_url, "wrong"), "+22376123456", scripted("1"), shown.append)
    assert len(screens) == 1 and shown[0].startswith("[session failed: HTTP 403]")


def test_command_line_dials_the_given_service(live_url, demo, monkeypatch, capsys):
    answers = iter(["5"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["--phone", "+22376000001", "--url", live_url, "--token", CALLBACK_TOKEN]) == 0
    assert "Aide Jigi : appelez le" in capsys.readouterr().out
