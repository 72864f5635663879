"""A local server compatible with Orange's SMS API, to run Jigi's Orange adapter
(`service/gateways/orange.py`) without an account.

It checks what Orange checks (HTTP Basic client credentials for a token, the Bearer token and its
expiry, the JSON shape, E.164 numbers in `tel:+…`, the sender address in the URL and the body), records
what it accepts, can be told to fail (expired tokens, policy and service errors, 5xx, slowness), and
posts delivery receipts and incoming SMS to Jigi in Orange's JSON. Tests drive it from Python;
developers run `make orange-server`.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import requests
from werkzeug.wrappers import Request, Response

from service import logs
from service.config import DEV_CALLBACK_TOKEN
from service.devtools.serving import LocalServer, json_response

log = logging.getLogger(__name__)

ADDRESS = re.compile(r"^tel:\+\d{4,15}$")
SUBSCRIBER = re.compile(r"^tel:\+\d{8,15}$")
REPORT_DELAY_SECONDS = 1.0
OUTBOUND = re.compile(r"^/smsmessaging/v1/outbound/(?P<sender>[^/]+)/(?P<what>requests|subscriptions)$")


@dataclass(frozen=True)
class Failure:
    """How to answer one send instead of accepting it."""

    status: int = 503
    exception: str | None = None  # "SVC0001", "POL0001", ... (a OneAPI requestError)
    text: str = "Service unavailable"
    delay: float = 0.0

    def body(self) -> dict[str, Any]:
        if self.exception is None:
            return {"code": 5, "message": self.text, "description": self.text}
        kind = "policyException" if self.exception.startswith("POL") else "serviceException"
        return {"requestError": {kind: {"messageId": self.exception, "text": self.text}}}


@dataclass(frozen=True)
class Sent:
    """One message Orange accepted."""

    resource_id: str
    address: str
    sender_address: str
    sender_name: str | None
    message: str


@dataclass
class _State:
    tokens: dict[str, bool] = field(default_factory=dict)  # token -> still valid
    token_requests: int = 0
    failures: list[Failure] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    refused: int = 0
    subscriptions: list[str] = field(default_factory=list)
    sends: int = 0
    hooks: dict[int, Callable[[], None]] = field(default_factory=dict)


class OrangeServer(LocalServer):
    """The server; `start()` runs it in a thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = "local-client",
        client_secret: str = "local-secret",
        sender_address: str = "tel:+2230000",
        service_url: str | None = None,
        token: str = DEV_CALLBACK_TOKEN,
        token_lifetime: int = 3600,
        auto_report: bool = False,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.sender_address = sender_address
        self.service_url = service_url.rstrip("/") if service_url else None
        self.token = token
        self.token_lifetime = token_lifetime
        self.auto_report = auto_report  # post DeliveredToTerminal a second after each accepted send
        self._lock = threading.Lock()
        self._state = _State()
        super().__init__(host, port)

    # Control, from Python.

    def fail_next(self, *failures: Failure) -> None:
        """Answer the next sends with `failures`, in order, then accept again."""
        with self._lock:
            self._state.failures.extend(failures)

    def on_send(self, number: int, hook: Callable[[], None]) -> None:
        """Run `hook` when send `number` (1-based) arrives, before it is answered."""
        with self._lock:
            self._state.hooks[number] = hook

    def expire_tokens(self) -> None:
        """Every token given so far expires now (the next send gets 401, code 42)."""
        with self._lock:
            self._state.tokens = dict.fromkeys(self._state.tokens, False)

    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._state.sent)

    @property
    def token_requests(self) -> int:
        with self._lock:
            return self._state.token_requests

    @property
    def subscriptions(self) -> list[str]:
        with self._lock:
            return list(self._state.subscriptions)

    def post_receipt(
        self, resource_id: str, status: str, address: str = "tel:+22376123456"
    ) -> requests.Response:
        """POST a delivery receipt to Jigi as Orange does."""
        body = {
            "deliveryInfoNotification": {
                "callbackData": resource_id,
                "deliveryInfo": {"address": address, "deliveryStatus": status},
            }
        }
        return self._post("/gateways/orange/delivery", body)

    def post_inbound(self, sender: str, text: str, message_id: str | None = None) -> requests.Response:
        """POST an incoming SMS to Jigi as Orange does."""
        body = {
            "inboundSMSMessageNotification": {
                "inboundSMSMessage": {
                    "dateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "destinationAddress": self.sender_address,
                    "messageId": message_id or uuid.uuid4().hex,
                    "message": text,
                    "senderAddress": f"tel:{sender}",
                }
            }
        }
        return self._post("/gateways/orange/inbound", body)

    def _post(self, path: str, body: dict[str, Any]) -> requests.Response:
        if not self.service_url:
            raise RuntimeError("no service URL: start the server with service_url=")
        return requests.post(f"{self.service_url}{path}", params={"token": self.token}, json=body, timeout=10)

    # HTTP.

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        route = OUTBOUND.match(request.path)
        if request.path == "/oauth/v3/token" and request.method == "POST":
            response = self._token(request)
        elif route and request.method == "POST":
            response = self._authorised(request) or self._outbound(request, route)
        else:
            response = json_response({"code": 404, "message": "Resource not found"}, 404)
        return response(environ, start_response)

    def _token(self, request: Request) -> Response:
        with self._lock:
            self._state.token_requests += 1
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return json_response(
                {"error": "invalid_client", "error_description": "The requested service needs credentials"},
                401,
            )
        if request.form.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        value = secrets.token_urlsafe(24)
        with self._lock:
            self._state.tokens[value] = True
        # Orange's pages show expires_in as a string.
        return json_response(
            {"token_type": "Bearer", "access_token": value, "expires_in": str(self.token_lifetime)}
        )

    def _authorised(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        value = header.removeprefix("Bearer ")
        with self._lock:
            valid = self._state.tokens.get(value)
        if not header.startswith("Bearer ") or valid is None:
            return json_response(
                {"code": 41, "message": "Invalid credentials", "description": "Invalid token"}, 401
            )
        if not valid:
            return json_response(
                {"code": 42, "message": "Expired credentials", "description": "Expired token"}, 401
            )
        return None

    def _outbound(self, request: Request, route: re.Match[str]) -> Response:
        sender = unquote(route["sender"])
        body = request.get_json(silent=True)
        if not ADDRESS.match(sender) or sender != self.sender_address:
            return _service_error(400, "SVC0002", f"Invalid input value for message part {sender}")
        if route["what"] == "subscriptions":
            return self._subscribe(body)
        message = body.get("outboundSMSMessageRequest") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            return _service_error(
                400, "SVC0002", "Invalid input value for message part outboundSMSMessageRequest"
            )
        address = message.get("address")
        text = (message.get("outboundSMSTextMessage") or {}).get("message")
        if message.get("senderAddress") != sender:
            return _service_error(400, "SVC0002", "Invalid input value for message part senderAddress")
        if not isinstance(address, str) or not SUBSCRIBER.match(address):
            return _service_error(400, "SVC0004", f"No valid addresses provided in message part {address}")
        if not isinstance(text, str) or not text:
            return _service_error(400, "SVC0002", "Invalid input value for message part message")
        with self._lock:
            failure = self._state.failures.pop(0) if self._state.failures else None
            self._state.sends += 1
            hook = self._state.hooks.pop(self._state.sends, None)
        if hook is not None:
            hook()
        if failure is not None:
            if failure.delay:
                self._stopping.wait(failure.delay)
            with self._lock:
                self._state.refused += 1
            return json_response(failure.body(), failure.status)
        resource_id = str(uuid.uuid4())
        sent = Sent(resource_id, address, sender, message.get("senderName"), text)
        with self._lock:
            self._state.sent.append(sent)
        log.info("SMS to %s: %s", address, text)
        if self.auto_report and self.service_url:
            _later(lambda: self.post_receipt(resource_id, "DeliveredToTerminal", address))
        answer = dict(message, address=[address])
        answer["resourceURL"] = (
            f"{self.url}/smsmessaging/v1/outbound/{route['sender']}/requests/{resource_id}"
        )
        return json_response({"outboundSMSMessageRequest": answer}, 201)

    def _subscribe(self, body: Any) -> Response:
        try:
            url = body["deliveryReceiptSubscription"]["callbackReference"]["notifyURL"]
        except (KeyError, TypeError):
            return _service_error(400, "SVC0002", "Invalid input value for message part notifyURL")
        with self._lock:
            self._state.subscriptions.append(url)
        reference = {"callbackReference": {"notifyURL": url}, "resourceURL": f"{self.url}/subscriptions/1"}
        return json_response({"deliveryReceiptSubscription": reference}, 201)


def _later(post: Callable[[], object], seconds: float = REPORT_DELAY_SECONDS) -> None:
    """Post a callback a little later, as the real service does once Jigi has recorded the id."""

    def run() -> None:
        try:
            post()
        except requests.RequestException as error:
            log.warning("could not post to Jigi: %s", error)

    timer = threading.Timer(seconds, run)
    timer.daemon = True
    timer.start()


def _service_error(status: int, exception: str, text: str) -> Response:
    return json_response(Failure(status, exception, text).body(), status)


def main() -> None:
    """`make orange-server`: run the server until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ORANGE_SERVER_PORT", "8091")))
    parser.add_argument(
        "--service-url",
        default=os.environ.get("JIGI_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"),
    )
    parser.add_argument("--token", default=os.environ.get("AT_CALLBACK_TOKEN", DEV_CALLBACK_TOKEN))
    args = parser.parse_args()
    logs.configure()
    server = OrangeServer(
        args.host, args.port, service_url=args.service_url, token=args.token, auto_report=True
    ).start()
    print(f"Orange-compatible SMS API at {server.url}, receipts to {args.service_url}; Ctrl-C stops it.")
    print(
        f"Run Jigi with: SMS_GATEWAY=orange ORANGE_API_URL={server.url} ORANGE_CLIENT_ID={server.client_id} "
        f"ORANGE_CLIENT_SECRET={server.client_secret} make run"
    )
    server.serve_until_stopped()


if __name__ == "__main__":
    main()
