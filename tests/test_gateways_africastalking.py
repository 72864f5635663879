"""Gateway adapters: the real Africa's Talking SDK against the local AT-compatible server, and the console."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from conftest import free_port
from sms_fixtures import API_KEY, outgoing

from service.devtools.at_server import Answer
from service.gateways import port as gw
from service.gateways.registry import make_gateway


def test_accepted_message_carries_id_and_cost(at_settings, at_server):
    result = make_gateway(at_settings).send(outgoing("+22376123456", "Jigi: rappel."))

    assert result.outcome == gw.Outcome.ACCEPTED
    assert result.message_id.startswith("ATXid_")
    assert result.cost == "XOF 25"
    [received] = at_server.received()
    assert (received.to, received.message, received.username) == ("+22376123456", "Jigi: rappel.", "sandbox")


def test_sender_id_is_sent_when_configured(at_settings, at_server):
    make_gateway(replace(at_settings, at_sender_id="JIGI")).send(outgoing("+22376123456", "x"))

    assert at_server.received()[0].sender_id == "JIGI"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (Answer.code(100), gw.Outcome.ACCEPTED),
        (Answer.code(102), gw.Outcome.ACCEPTED),
        (Answer.code(401), gw.Outcome.PERMANENT),
        (Answer.code(402), gw.Outcome.PERMANENT),
        (Answer.code(403), gw.Outcome.PERMANENT),
        (Answer.code(404), gw.Outcome.PERMANENT),
        (Answer.code(406), gw.Outcome.PERMANENT),
        (Answer.code(407), gw.Outcome.PERMANENT),
        (Answer.code(409), gw.Outcome.PERMANENT),
        (Answer.code(405), gw.Outcome.INSUFFICIENT_BALANCE),
        (Answer.code(500), gw.Outcome.TRANSIENT),
        (Answer.code(501), gw.Outcome.TRANSIENT),
        (Answer.code(502), gw.Outcome.TRANSIENT),
        (Answer.http(500), gw.Outcome.TRANSIENT),
        (Answer.http(503, "Service Unavailable"), gw.Outcome.TRANSIENT),
        (Answer.empty("InvalidSenderId"), gw.Outcome.CONFIG_ERROR),
    ],
)
def test_answers_are_classified(at_settings, at_server, answer, outcome):
    at_server.script(answer)

    result = make_gateway(at_settings).send(outgoing("+22376123456", "x"))

    assert result.outcome == outcome
    assert (result.message_id is not None) == (outcome == gw.Outcome.ACCEPTED)


def test_empty_recipients_reason_names_the_problem(at_settings, at_server):
    at_server.script(Answer.empty("InvalidSenderId"))

    result = make_gateway(at_settings).send(outgoing("+22376123456", "x"))

    assert "InvalidSenderId" in result.reason


def test_bad_api_key_is_a_configuration_error(at_settings, at_server):
    result = make_gateway(replace(at_settings, at_api_key="wrong")).send(outgoing("+22376123456", "x"))

    assert result.outcome == gw.Outcome.CONFIG_ERROR
    assert "credentials" in result.reason
    assert at_server.accepted() == []


def test_invalid_number_is_permanent_without_a_request(at_settings, at_server):
    result = make_gateway(at_settings).send(outgoing("76 12 34 56", "x"))

    assert result.outcome == gw.Outcome.PERMANENT
    assert at_server.received() == []


def test_timeout_after_sending_is_unknown_never_transient(at_settings, at_server):
    at_server.script(Answer.slow(1.5))

    result = make_gateway(replace(at_settings, at_timeout_seconds=0.3)).send(outgoing("+22376123456", "x"))

    assert result.outcome == gw.Outcome.UNKNOWN
    assert len(at_server.received()) == 1


@contextmanager
def keep_alive_front(target: str) -> Iterator[tuple[str, list[int]]]:
    """An HTTP/1.1 server on loopback that keeps its clients' connections open (as AT's API does; the local
    AT server closes each one) and relays every request to `target`; yields its URL and, per request, the
    number of the connection it came on."""
    numbers = itertools.count()
    requests_seen: list[int] = []

    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection_number = next(numbers)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            relayed = requests.post(target + self.path, data=body, headers=dict(self.headers), timeout=5)
            requests_seen.append(self.connection_number)
            self.send_response(relayed.status_code)
            self.send_header("Content-Type", relayed.headers["Content-Type"])
            self.send_header("Content-Length", str(len(relayed.content)))
            self.end_headers()
            self.wfile.write(relayed.content)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", requests_seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_messages_to_africas_talking_share_one_kept_alive_connection(at_settings, at_server):
    with keep_alive_front(at_server.url) as (url, connection_of_each):
        gateway = make_gateway(replace(at_settings, at_api_url=url))
        results = [gateway.send(outgoing(f"+2237612345{n}", "Jigi: rappel.")) for n in range(3)]

    assert [result.outcome for result in results] == [gw.Outcome.ACCEPTED] * 3
    assert [received.to for received in at_server.received()] == [f"+2237612345{n}" for n in range(3)]
    assert connection_of_each == [0, 0, 0]


def test_refused_connection_is_transient(at_settings):
    closed_port = free_port()

    result = make_gateway(replace(at_settings, at_api_url=f"http://127.0.0.1:{closed_port}")).send(
        outgoing("+22376123456", "x")
    )

    assert result.outcome == gw.Outcome.TRANSIENT


def test_server_control_api_scripts_answers_and_lists_received(at_settings, at_server):
    control = f"{at_server.url}/_control"
    requests.post(f"{control}/script", json={"answers": [{"status_code": 403}]}, timeout=5)

    first = make_gateway(at_settings).send(outgoing("+22376123456", "x"))
    second = make_gateway(at_settings).send(outgoing("+22376123456", "y"))
    received = requests.get(f"{control}/received", timeout=5).json()

    assert (first.outcome, second.outcome) == (gw.Outcome.PERMANENT, gw.Outcome.ACCEPTED)
    assert [entry["status_code"] for entry in received] == [403, 101]


def test_server_refuses_a_wrong_key_like_africas_talking(at_server):
    reply = requests.post(
        f"{at_server.url}/version1/messaging",
        data={"username": "sandbox", "to": "+22376123456", "message": "x"},
        headers={"apiKey": "nope", "Accept": "application/json"},
        timeout=5,
    )

    assert reply.status_code == 401
    assert reply.text == "The supplied authentication is invalid"
    assert API_KEY != "nope"


def test_console_gateway_prints_the_message(settings, capsys):
    result = make_gateway(replace(settings, sms_gateway="console")).send(
        outgoing("+22376123456", "Jigi: bonjour")
    )

    assert result.outcome == gw.Outcome.ACCEPTED
    assert "SMS to +22376123456" in capsys.readouterr().out
