"""A local server compatible with the "SMS Gateway for Android" app's API, to run Jigi's Android adapter
(`service/gateways/android.py`) without a phone.

It checks what the app checks (HTTP Basic credentials, the JSON of a message, E.164 numbers, a known
message id answered 409, webhook URLs that are https:// or on 127.0.0.1), records what it accepts, can be
taken offline (503), and posts the app's signed webhook events (sent, delivered per part, failed,
received) to the URLs registered with it. Tests drive it from Python; developers run `make android-server`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from service import logs
from service.devtools.serving import LocalServer, json_response
from service.gsm7 import measure

log = logging.getLogger(__name__)

PHONE = re.compile(r"^\+\d{8,15}$")
EVENTS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping")
DEVICE_ID = "jigi-local-phone"


@dataclass(frozen=True)
class Accepted:
    """One message the phone took."""

    id: str
    phone_numbers: tuple[str, ...]
    text: str


@dataclass
class _State:
    messages: dict[str, Accepted] = field(default_factory=dict)
    webhooks: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: int = 0
    hooks: dict[int, Callable[[], None]] = field(default_factory=dict)


class AndroidServer(LocalServer):
    """The server; `start()` runs it in a thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "jigi",
        password: str = "local-password",
        signing_key: str = "",
        auto_report: bool = False,
    ) -> None:
        self.username, self.password = username, password
        self.signing_key = signing_key
        self.auto_report = auto_report  # sms:sent and sms:delivered a second after each accepted send
        self.offline = False  # answer 503 to every send, as a phone without network does
        self._lock = threading.Lock()
        self._state = _State()
        super().__init__(host, port)

    # Control and events, from Python.

    def on_send(self, number: int, hook: Callable[[], None]) -> None:
        """Run `hook` when send request `number` (1-based) arrives, before it is answered."""
        with self._lock:
            self._state.hooks[number] = hook

    def accepted(self) -> list[Accepted]:
        with self._lock:
            return list(self._state.messages.values())

    @property
    def send_requests(self) -> int:
        """How many sends were asked, taken or not."""
        with self._lock:
            return self._state.requests

    def webhooks(self) -> list[dict[str, str]]:
        with self._lock:
            return list(self._state.webhooks.values())

    def emit(
        self, event: str, payload: dict[str, Any], event_id: str | None = None
    ) -> list[requests.Response]:
        """POST one event, as the app does, to every webhook registered for it; return the answers."""
        body = {
            "deviceId": DEVICE_ID,
            "event": event,
            "id": event_id or uuid.uuid4().hex,
            "payload": payload,
        }
        answers = []
        for hook in self.webhooks():
            if hook["event"] != event:
                continue
            raw = json.dumps(dict(body, webhookId=hook["id"])).encode()
            answers.append(requests.post(hook["url"], data=raw, headers=self.signed(raw), timeout=10))
        return answers

    def signed(self, raw: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The app's headers: X-Signature is hex HMAC-SHA256 of the body followed by X-Timestamp."""
        headers = {"Content-Type": "application/json"}
        if self.signing_key:
            stamp = str(timestamp if timestamp is not None else int(time.time()))
            signature = hmac.new(self.signing_key.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()
            headers |= {"X-Timestamp": stamp, "X-Signature": signature}
        return headers

    def report_delivered(self, message_id: str) -> list[requests.Response]:
        """`sms:sent`, then `sms:delivered` once per part of the message, as the app reports them."""
        message = self._state.messages[message_id]
        phone = message.phone_numbers[0]
        answers = self.emit("sms:sent", {"messageId": message_id, "phoneNumber": phone, "sentAt": _now()})
        for _part in range(measure(message.text).segments):
            answers += self.emit(
                "sms:delivered", {"messageId": message_id, "phoneNumber": phone, "deliveredAt": _now()}
            )
        return answers

    def report_failed(
        self, message_id: str, reason: str = "RESULT_ERROR_GENERIC_FAILURE"
    ) -> list[requests.Response]:
        phone = self._state.messages[message_id].phone_numbers[0]
        payload = {"messageId": message_id, "phoneNumber": phone, "failedAt": _now(), "reason": reason}
        return self.emit("sms:failed", payload)

    def receive(self, sender: str, text: str, event_id: str | None = None) -> list[requests.Response]:
        """An SMS arrives on the phone: `sms:received` (its messageId is a hash of the content)."""
        payload = {
            "messageId": hashlib.sha1(text.encode()).hexdigest()[:16],
            "message": text,
            "phoneNumber": sender,
            "simNumber": 1,
            "receivedAt": _now(),
        }
        return self.emit("sms:received", payload, event_id)

    # HTTP.

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if not self._authorised(request):
            response = json_response({"message": "Unauthorized"}, 401)
        elif request.path == "/messages" and request.method == "POST":
            response = self._message(request)
        elif request.path == "/webhooks" and request.method == "GET":
            response = json_response(self.webhooks())
        elif request.path == "/webhooks" and request.method == "POST":
            response = self._register(request)
        elif request.path.startswith("/webhooks/") and request.method == "DELETE":
            with self._lock:
                self._state.webhooks.pop(request.path.removeprefix("/webhooks/"), None)
            response = Response(status=204)
        else:
            response = json_response({"message": "Not found"}, 404)
        return response(environ, start_response)

    def _report_quietly(self, message_id: str) -> None:
        try:
            self.report_delivered(message_id)
        except requests.RequestException as error:
            log.warning("could not post an event to Jigi: %s", error)

    def _authorised(self, request: Request) -> bool:
        auth = request.authorization
        return auth is not None and (auth.username, auth.password) == (self.username, self.password)

    def _message(self, request: Request) -> Response:
        body = request.get_json(silent=True)  # read whole first: a hook runs once the send has arrived
        with self._lock:
            self._state.requests += 1
            hook = self._state.hooks.pop(self._state.requests, None)
        if hook is not None:
            hook()
        if self.offline:
            return json_response({"message": "Service unavailable"}, 503)
        if not isinstance(body, dict):
            return json_response({"message": "Invalid JSON"}, 400)
        text = (
            (body.get("textMessage") or {}).get("text") if isinstance(body.get("textMessage"), dict) else None
        )
        numbers = body.get("phoneNumbers")
        message_id = body.get("id") or uuid.uuid4().hex
        if not isinstance(text, str) or not text:
            return json_response({"message": "textMessage.text is required"}, 400)
        if (
            not isinstance(numbers, list)
            or not numbers
            or not all(isinstance(number, str) and PHONE.match(number) for number in numbers)
        ):
            return json_response({"message": "phoneNumbers must be E.164 numbers"}, 400)
        if not isinstance(message_id, str) or len(message_id) > 36:
            return json_response({"message": "id must be text of at most 36 characters"}, 400)
        with self._lock:
            if message_id in self._state.messages:
                return json_response({"message": f"message with id {message_id} already exists"}, 409)
            self._state.messages[message_id] = Accepted(message_id, tuple(numbers), text)
        log.info("SMS to %s: %s", ", ".join(numbers), text)
        if self.auto_report:
            timer = threading.Timer(1.0, self._report_quietly, args=(message_id,))
            timer.daemon = True
            timer.start()
        recipients = [{"phoneNumber": number, "state": "Pending"} for number in numbers]
        return json_response({"id": message_id, "state": "Pending", "recipients": recipients}, 202)

    def _register(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if (
            not isinstance(body, dict)
            or body.get("event") not in EVENTS
            or not isinstance(body.get("url"), str)
        ):
            return json_response({"message": "event and url are required"}, 400)
        url = body["url"]
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            return json_response({"message": "url must be https:// (or http://127.0.0.1 on the phone)"}, 400)
        hook = {"id": str(body.get("id") or uuid.uuid4().hex), "url": url, "event": body["event"]}
        with self._lock:
            self._state.webhooks[hook["id"]] = hook
        return json_response(hook, 201)


def _now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")


def main() -> None:
    """`make android-server`: run the server until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANDROID_SERVER_PORT", "8092")))
    parser.add_argument("--signing-key", default=os.environ.get("ANDROID_GATEWAY_SIGNING_KEY", ""))
    args = parser.parse_args()
    logs.configure()
    server = AndroidServer(args.host, args.port, signing_key=args.signing_key, auto_report=True).start()
    print(f"Android gateway-compatible server at {server.url}; Ctrl-C stops it.")
    print("Events go to the webhooks registered with `flask --app app gateways register-webhooks`.")
    print(
        f"Run Jigi with: SMS_GATEWAY=android ANDROID_GATEWAY_URL={server.url} "
        f"ANDROID_GATEWAY_USERNAME={server.username} ANDROID_GATEWAY_PASSWORD={server.password} make run"
    )
    server.serve_until_stopped()


if __name__ == "__main__":
    main()
