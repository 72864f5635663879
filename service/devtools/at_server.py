"""A local Africa's Talking-compatible SMS server, to run the whole pipeline without an account: the
compatible server of `service/gateways/africastalking.py`, answering from that module's status codes.

It takes the SDK's form POST to `/version1/messaging` and answers as AT does; it can be told to answer
with chosen status codes, HTTP errors or slowness, run a hook when request N arrives, and post delivery
reports and incoming SMS to Jigi's callbacks. Tests drive it through Python methods; developers through
`make at-server` and the JSON control API under `/_control/` (see docs/sms.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Self

import requests
from werkzeug.wrappers import Request, Response

from service import logs
from service.config import DEV_CALLBACK_TOKEN
from service.devtools.serving import LocalServer, jigi_url, json_response
from service.gateways.africastalking import ACCEPTED_STATUS, STATUS_CODES
from service.gateways.port import Outcome
from service.gsm7 import measure

log = logging.getLogger(__name__)

ACCEPTED_CODES = tuple(code for code, (_name, outcome) in STATUS_CODES.items() if outcome is Outcome.ACCEPTED)
BAD_CREDENTIALS = "The supplied authentication is invalid"
PHONE = re.compile(r"^\+\d{6,15}$")
PRICE_PER_PART = 25  # XOF
REPORT_DELAY_SECONDS = 1.0  # like AT, reports come after the answer, once Jigi has recorded the id


@dataclass(frozen=True)
class Answer:
    """How to answer one messaging request."""

    status_code: int = 101  # per-recipient statusCode
    numbers: dict[str, int] = field(default_factory=dict)  # another statusCode for these recipients
    http_status: int = 201
    delay: float = 0.0  # seconds before answering
    no_recipients: str | None = None  # answer an empty Recipients list with this Message
    body: str = ""  # text body of an HTTP error

    @classmethod
    def code(cls, status_code: int) -> Answer:
        return cls(status_code=status_code)

    @classmethod
    def http(cls, status: int, body: str = "Internal Server Error") -> Answer:
        return cls(http_status=status, body=body)

    @classmethod
    def slow(cls, seconds: float) -> Answer:
        return cls(delay=seconds)

    @classmethod
    def empty(cls, message: str = "InvalidSenderId") -> Answer:
        return cls(no_recipients=message)


@dataclass(frozen=True)
class Received:
    """One recipient of one messaging request, and what the server answered for it."""

    request: int  # 1-based number of the request
    to: str
    message: str
    sender_id: str | None
    username: str
    http_status: int
    status_code: int | None = None
    message_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status_code in ACCEPTED_CODES


@dataclass
class _State:
    answers: list[Answer] = field(default_factory=list)
    default: Answer = field(default_factory=Answer)
    hooks: dict[int, Callable[[], None]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    requests: int = 0


class ATServer(LocalServer):
    """The server; `start()` runs it in a thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "local",
        username: str | None = None,
        service_url: str | None = None,
        token: str = DEV_CALLBACK_TOKEN,
        auto_report: bool = False,
    ) -> None:
        self.api_key = api_key
        self.username = username
        self.service_url = service_url.rstrip("/") if service_url else None
        self.token = token
        self.auto_report = auto_report
        self._lock = threading.Lock()
        self._state = _State()
        self._reports: queue.Queue[tuple[float, str] | None] = queue.Queue()
        self._reporter = threading.Thread(target=self._post_reports, name="at-server-reports", daemon=True)
        super().__init__(host, port)

    def start(self) -> Self:
        super().start()
        self._reporter.start()
        return self

    def stop(self) -> None:
        self._reports.put(None)
        super().stop()
        if self._reporter.is_alive():
            self._reporter.join(timeout=10)

    # Control, from Python (tests) or through /_control/ (developers).

    def script(self, *answers: Answer) -> None:
        """Answer the next requests with `answers`, in order, then with the default answer again."""
        with self._lock:
            self._state.answers.extend(answers)

    def set_default(self, answer: Answer) -> None:
        with self._lock:
            self._state.default = answer

    def on_request(self, number: int, hook: Callable[[], None]) -> None:
        """Run `hook` when request `number` (1-based) has been received, before it is answered."""
        with self._lock:
            self._state.hooks[number] = hook

    def received(self) -> list[Received]:
        """Every recipient of every messaging request, in arrival order."""
        with self._lock:
            return list(self._state.received)

    def accepted(self) -> list[Received]:
        return [entry for entry in self.received() if entry.accepted]

    def reset(self) -> None:
        with self._lock:
            self._state = _State()

    def post_delivery_report(
        self, message_id: str, status: str, failure_reason: str | None = None, phone: str = ""
    ) -> requests.Response:
        """POST a delivery report to Jigi as AT does (form fields id, status, phoneNumber, ...)."""
        form = {"id": message_id, "status": status, "phoneNumber": phone, "networkCode": "61002"}
        if failure_reason:
            form["failureReason"] = failure_reason
            form["retryCount"] = "0"
        return self._post_callback("/at/sms/delivery", form)

    def post_incoming_sms(
        self, sender: str, text: str, to: str = "36200", at_id: str | None = None
    ) -> requests.Response:
        """POST an incoming SMS to Jigi as AT does (from, to, text, date, id, linkId, networkCode)."""
        form = {
            "from": sender,
            "to": to,
            "text": text,
            "date": "",
            "id": at_id or str(uuid.uuid4()),
            "linkId": str(uuid.uuid4()),
            "networkCode": "61002",
        }
        return self._post_callback("/at/sms/inbound", form)

    def _post_callback(self, path: str, form: dict[str, str]) -> requests.Response:
        if not self.service_url:
            raise RuntimeError("no service URL: start the server with service_url=")
        return requests.post(f"{self.service_url}{path}", params={"token": self.token}, data=form, timeout=10)

    def _post_reports(self) -> None:
        """Background delivery reports (auto_report): each accepted message is reported `Success`."""
        while (item := self._reports.get()) is not None:
            due, message_id = item
            if self._stopping.wait(max(0.0, due - time.monotonic())):
                return
            try:
                self.post_delivery_report(message_id, "Success")
            except requests.RequestException as error:
                log.warning("could not post a delivery report: %s", error)

    # HTTP.

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path == "/version1/messaging" and request.method == "POST":
            response = self._messaging(request)
        elif request.path.startswith("/_control/"):
            response = self._control(request)
        else:
            response = Response("Not found\n", 404, content_type="text/plain")
        return response(environ, start_response)

    def _messaging(self, request: Request) -> Response:
        form = request.form
        with self._lock:
            self._state.requests += 1
            number = self._state.requests
            answer = self._state.answers.pop(0) if self._state.answers else self._state.default
            hook = self._state.hooks.pop(number, None)
        if request.headers.get("apiKey") != self.api_key or (
            self.username is not None and form.get("username") != self.username
        ):
            return Response(BAD_CREDENTIALS, 401, content_type="text/plain")
        missing = [name for name in ("username", "to", "message") if not form.get(name)]
        if missing:
            return Response(f"Request is missing required form field '{missing[0]}'", 400)
        entries = self._answer(number, form, answer)
        with self._lock:
            self._state.received.extend(entries)
        for entry in entries:
            log.info("SMS to %s (%s): %s", entry.to, entry.status_code or entry.http_status, entry.message)
        if hook is not None:
            hook()
        if answer.delay:
            self._stopping.wait(answer.delay)
        if answer.http_status >= 300:
            return Response(answer.body, answer.http_status, content_type="text/plain")
        return Response(
            json.dumps(_reply(entries, answer)), answer.http_status, content_type="application/json"
        )

    def _answer(self, number: int, form: Any, answer: Answer) -> list[Received]:
        entries = []
        for to in form["to"].split(","):
            to = to.strip()
            code = None
            message_id = None
            if answer.http_status < 300 and answer.no_recipients is None:
                code = answer.numbers.get(to, answer.status_code) if PHONE.match(to) else 403
                if code in ACCEPTED_CODES:
                    message_id = f"ATXid_{uuid.uuid4().hex}"
                    if self.auto_report and self.service_url:
                        self._reports.put((time.monotonic() + REPORT_DELAY_SECONDS, message_id))
            entries.append(
                Received(
                    request=number,
                    to=to,
                    message=form["message"],
                    sender_id=form.get("from"),
                    username=form["username"],
                    http_status=answer.http_status,
                    status_code=code,
                    message_id=message_id,
                )
            )
        return entries

    def _control(self, request: Request) -> Response:
        """JSON control API: script, default, received, reset, report, inbound."""
        action = request.path.removeprefix("/_control/")
        body = request.get_json(silent=True) or {}
        if action == "received" and request.method == "GET":
            return json_response([asdict(entry) for entry in self.received()])
        if request.method != "POST":
            return Response("Method not allowed\n", 405)
        if action == "script":
            self.script(*(Answer(**item) for item in body.get("answers", [])))
        elif action == "default":
            self.set_default(Answer(**body))
        elif action == "reset":
            self.reset()
        elif action == "report":
            reply = self.post_delivery_report(body["id"], body["status"], body.get("failureReason"))
            return json_response({"service_status": reply.status_code})
        elif action == "inbound":
            reply = self.post_incoming_sms(body["from"], body["text"], body.get("to", "36200"))
            return json_response({"service_status": reply.status_code})
        else:
            return Response("Unknown control action\n", 404)
        return json_response({"ok": True})


def _reply(entries: list[Received], answer: Answer) -> dict[str, Any]:
    """AT's JSON answer to a messaging request."""
    if answer.no_recipients is not None:
        return {"SMSMessageData": {"Message": answer.no_recipients, "Recipients": []}}
    recipients = []
    total = 0
    for entry in entries:
        parts = measure(entry.message).segments
        accepted = entry.accepted
        cost = PRICE_PER_PART * parts if accepted else 0
        total += cost
        recipients.append(
            {
                "statusCode": entry.status_code,
                "number": entry.to,
                "status": ACCEPTED_STATUS
                if accepted
                else STATUS_CODES.get(entry.status_code or 0, ("Failed",))[0],
                "cost": f"XOF {cost}" if accepted else "0",
                "messageId": entry.message_id or "None",
                "messageParts": parts,
            }
        )
    sent = sum(1 for entry in entries if entry.accepted)
    message = f"Sent to {sent}/{len(entries)} Total Cost: XOF {total}"
    return {"SMSMessageData": {"Message": message, "Recipients": recipients}}


def main() -> None:
    """`make at-server`: run the server until Ctrl-C, posting delivery reports to a local Jigi."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("AT_SERVER_PORT", "8090")))
    parser.add_argument("--api-key", default=os.environ.get("AT_API_KEY", "local"))
    parser.add_argument(
        "--service-url",
        default=jigi_url(),
    )
    parser.add_argument("--token", default=os.environ.get("AT_CALLBACK_TOKEN", DEV_CALLBACK_TOKEN))
    parser.add_argument("--no-reports", action="store_true", help="do not post delivery reports")
    args = parser.parse_args()
    logs.configure()
    server = ATServer(
        args.host,
        args.port,
        api_key=args.api_key,
        service_url=args.service_url,
        token=args.token,
        auto_report=not args.no_reports,
    )
    server.start()
    print(f"Africa's Talking-compatible server at {server.url} (API key {args.api_key!r}); Ctrl-C stops it.")
    print(
        f"Run Jigi with: SMS_GATEWAY=africastalking AT_API_KEY={args.api_key} AT_API_URL={server.url} "
        "make run"
    )
    server.serve_until_stopped()


if __name__ == "__main__":
    main()
