"""The benchmarks' own helpers: the load generator's wire format, figures and the results document."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from bench.common import Figure, percentile
from bench.load import Plan, form, parse_response, request_bytes, run_load, steps
from bench.report import table, write_block
from bench.scale_bench import uses_claim_index


def test_session_steps_accumulate_the_inputs_like_africas_talking():
    assert steps(("1", "1", "2")) == ["", "1", "1*1", "1*1*2"]


def test_form_carries_the_phone_as_africas_talking_encodes_it():
    body = form("ATUid_1", "+22376123456", "1*2")

    assert b"phoneNumber=%2B22376123456" in body
    assert parse_qs(body.decode(), keep_blank_values=True)["text"] == ["1*2"]
    request = request_bytes("127.0.0.1", 8000, "/at/ussd?token=t", body)
    assert request.startswith(b"POST /at/ussd?token=t HTTP/1.1\r\n")
    assert request.endswith(b"\r\n\r\n" + body)
    assert f"Content-Length: {len(body)}\r\n".encode() in request


def test_response_status_and_body_are_read_from_the_raw_answer():
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nEND Cas R7K2"

    assert parse_response(raw) == (200, "END Cas R7K2")
    assert parse_response(b"") == (0, "")


@contextmanager
def answering_server(delay_s: float) -> Iterator[int]:
    """A loopback server that answers every POST `END ok` after `delay_s` (a slow server); its port."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay_s)  # the server's own slowness, not a wait for anything
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"END ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def open_plan(port: int, rate: float) -> Plan:
    """One-request sessions from a single phone, started `rate` a second for half a second."""
    return Plan("127.0.0.1", port, "/", (), ("+22376000001",), 1, 0.5, 1, rate=rate)


def test_an_open_loop_starts_sessions_on_its_schedule():
    with answering_server(0.0) as port:
        outcome = run_load(open_plan(port, 20), lambda screen: screen == "END ok")

    assert (outcome.sessions, outcome.failed) == (10, 0)


def test_an_open_loop_counts_the_wait_behind_a_slow_server_as_latency():
    with answering_server(0.1) as port:
        outcome = run_load(open_plan(port, 20), lambda screen: screen == "END ok")

    # Ten sessions due every 50 ms on one phone, each answered in 100 ms or more: the tenth leaves at
    # least 1 s after the first, 0.55 s after it was due. A closed loop would report about 0.1 s for all.
    assert outcome.sessions == 10
    assert max(outcome.latencies) >= 0.55


def test_percentile_picks_the_nearest_rank():
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0


def test_claim_plan_must_read_the_claim_index_in_order_without_a_sort():
    assert uses_claim_index(
        "SEARCH outbound_messages USING INDEX ix_outbound_claim (ANY(priority) AND due_at<?)"
    )
    assert uses_claim_index("Limit\n  ->  Index Scan using ix_outbound_claim on outbound_messages")
    assert not uses_claim_index(
        "Limit\n  ->  Sort\n        ->  Index Scan using ix_outbound_due on outbound_messages"
    )
    assert not uses_claim_index(
        "Limit\n  ->  Sort\n        ->  Index Scan using ix_outbound_claim on outbound_messages"
    )
    assert not uses_claim_index("SCAN outbound_messages\nUSE TEMP B-TREE FOR ORDER BY")


def test_a_run_replaces_only_its_own_block_of_the_document(tmp_path):
    document = tmp_path / "benchmarks.md"
    document.write_text("# Benchmarks\n\nWritten by hand.\n\n## Fixes\n\nAlso by hand.\n", encoding="utf-8")
    first = [Figure("SMS", "1 worker", "200 msg/s", "400 msg/s", "50%", "≥ 50%", True)]
    second = [Figure("SMS", "1 worker", "150 msg/s", "400 msg/s", "38%", "≥ 50%", False)]

    write_block(document, "sqlite", "<!-- results:sqlite -->\n" + table(first) + "\n<!-- /results:sqlite -->")
    write_block(document, "postgresql", "<!-- results:postgresql -->\nPG\n<!-- /results:postgresql -->")
    write_block(
        document, "sqlite", "<!-- results:sqlite -->\n" + table(second) + "\n<!-- /results:sqlite -->"
    )

    text = document.read_text(encoding="utf-8")
    assert "Written by hand." in text and "Also by hand." in text
    assert "| SMS | 1 worker | 150 msg/s | 400 msg/s | 38% | ≥ 50% | **missed** |" in text
    assert "200 msg/s" not in text
    assert text.count("<!-- results:sqlite -->") == 1
    assert "\nPG\n" in text
