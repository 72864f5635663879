"""A local server compatible with Africa's Talking's voice API, to run Jigi's voice calls
(`service/gateways/africastalking.py`) without an account or a phone.

It takes `POST /call` as AT does (the `apiKey` header, `username`, `from`, `to`, `clientRequestId`),
answers with the call's `entries`, then plays the phone at the other end: it posts each step of the call
to Jigi's voice callback as AT does, reads Jigi's XML, fetches every recording it is told to play, presses
the keys it was given at each `GetDigits` (or stays silent and follows the `Redirect`), and ends with the
last post (`isActive=0`, duration, cost, `hangupCause`). Tests say what the phone does next (answer and
press keys, be busy, never answer); developers run `make at-voice-server`.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

import requests
from werkzeug.wrappers import Request, Response

from service import logs
from service.config import DEV_CALLBACK_TOKEN
from service.devtools.serving import LocalServer, jigi_url, json_response

log = logging.getLogger(__name__)
PHONE = re.compile(r"^\+\d{6,15}$")
MAX_STEPS = 12  # a call that never ends is Jigi's bug: the phone hangs up after this many steps
COST_PER_MINUTE = 50  # XOF


@dataclass(frozen=True)
class Pickup:
    """What the phone at the other end does with the next call: `keys` are pressed one per GetDigits,
    in order ("" stays silent); `cause` is AT's hangupCause of the last post."""

    answer: bool = True
    keys: tuple[str, ...] = ()
    cause: str = ""
    seconds: int = 25

    @classmethod
    def busy(cls) -> Pickup:
        return cls(answer=False, cause="USER_BUSY")

    @classmethod
    def no_answer(cls) -> Pickup:
        return cls(answer=False, cause="NO_ANSWER")


@dataclass
class Call:
    """One call placed, and what happened in it."""

    session_id: str
    to: str
    caller: str
    reference: str
    pickup: Pickup
    played: list[str] = field(default_factory=list)  # recording URLs, in order
    fetched: list[tuple[str, int, str]] = field(default_factory=list)  # (url, status, content type)
    pressed: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # Jigi's XML, step by step
    done: threading.Event = field(default_factory=threading.Event)
    direction: str = "Outbound"


class ATVoiceServer(LocalServer):
    """The server; `start()` runs it in a thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "local",
        service_url: str | None = None,
        token: str = DEV_CALLBACK_TOKEN,
    ) -> None:
        self.api_key = api_key
        self.service_url = service_url.rstrip("/") if service_url else None
        self.token = token
        self._lock = threading.Lock()
        self._placed = threading.Condition(self._lock)
        self._pickups: list[Pickup] = []
        self._calls: list[Call] = []
        self._status: str | None = None  # answer the next /call with this entry status
        self._http_status: int | None = None
        super().__init__(host, port)

    # Control, from Python.

    def next_calls(self, *pickups: Pickup) -> None:
        """What the phones do with the next calls, in order; then they answer and press nothing."""
        with self._lock:
            self._pickups.extend(pickups)

    def refuse_next(self, status: str = "", http_status: int | None = None) -> None:
        """Answer the next /call with this entry status (InsufficientCredit...) or HTTP status."""
        with self._lock:
            self._status, self._http_status = status or None, http_status

    def ring_jigi(self, caller: str, pickup: Pickup | None = None, number: str = "+22320000000") -> Call:
        """A patient calls Jigi's number: Jigi answers and the call goes on as `pickup` says (its keys), or,
        with `Pickup(answer=False)`, the patient hangs up before anyone answers (a "missed call").
        Returns the call once it has ended."""
        call = Call(
            f"ATVId_{uuid.uuid4().hex[:16]}", caller, number, "", pickup or Pickup(), direction="Inbound"
        )
        self._ring(call)
        return call

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def wait_calls(self, count: int, timeout: float = 20.0) -> list[Call]:
        """The first `count` calls, each finished (its last post answered)."""
        for number in range(count):
            call = self._wait_for_call(number, timeout)
            if not call.done.wait(timeout):
                raise TimeoutError(f"call {number + 1} did not end within {timeout} s")
        return self.calls()[:count]

    def _wait_for_call(self, number: int, timeout: float) -> Call:
        with self._placed:
            if not self._placed.wait_for(lambda: len(self._calls) > number, timeout):
                raise TimeoutError(f"no call {number + 1} within {timeout} s")
            return self._calls[number]

    # HTTP.

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path == "/call" and request.method == "POST":
            response = self._call(request)
        else:
            response = Response("Not found\n", 404, content_type="text/plain")
        return response(environ, start_response)

    def _call(self, request: Request) -> Response:
        if request.headers.get("apiKey") != self.api_key:
            return Response("The supplied authentication is invalid", 401, content_type="text/plain")
        form = request.form
        to, caller = form.get("to", ""), form.get("from", "")
        if not form.get("username") or not caller:
            return json_response({"entries": [], "errorMessage": "Missing username or from"}, 400)
        with self._lock:
            status, http_status = self._status, self._http_status
            self._status = self._http_status = None
            pickup = self._pickups.pop(0) if self._pickups else Pickup()
        if http_status is not None:
            return Response("Internal Server Error", http_status, content_type="text/plain")
        status = status or ("Queued" if PHONE.match(to) else "InvalidPhoneNumber")
        if status != "Queued":
            return json_response({"entries": [{"phoneNumber": to, "status": status}], "errorMessage": "None"})
        call = Call(f"ATVId_{uuid.uuid4().hex[:16]}", to, caller, form.get("clientRequestId", ""), pickup)
        with self._placed:
            self._calls.append(call)
            self._placed.notify_all()
        threading.Thread(target=self._ring, args=(call,), daemon=True).start()
        entry = {"phoneNumber": to, "status": "Queued", "sessionId": call.session_id}
        return json_response({"entries": [entry], "errorMessage": "None"}, 201)

    # The phone at the other end.

    def _ring(self, call: Call) -> None:
        try:
            if call.pickup.answer:
                self._converse(call)
            cause = call.pickup.cause or ("NORMAL_CLEARING" if call.pickup.answer else "NO_ANSWER")
            seconds = call.pickup.seconds if call.pickup.answer else 0
            self._post(
                call,
                None,
                isActive="0",
                durationInSeconds=str(seconds),
                currencyCode="XOF",
                amount=f"{COST_PER_MINUTE * -(-seconds // 60):.4f}",
                status="Success" if call.pickup.answer else "Failed",
                hangupCause=cause,
            )
        except requests.RequestException as error:
            log.warning("the voice callback could not be reached: %s", error)
        finally:
            call.done.set()

    def _converse(self, call: Call) -> None:
        keys = list(call.pickup.keys)
        url: str | None = None  # None: the number's callback (Jigi's /at/voice)
        form: dict[str, str] = {"isActive": "1", "callSessionState": "Answered"}
        for _step in range(MAX_STEPS):
            xml = self._post(call, url, **form).text
            call.answers.append(xml)
            root = ElementTree.fromstring(xml)
            for play in root.iter("Play"):
                call.played.append(play.get("url", ""))
                self._fetch(call, play.get("url", ""))
            gather, redirect = root.find("GetDigits"), root.find("Redirect")
            key = keys.pop(0) if keys else ""
            if gather is not None and key:
                call.pressed.append(key)
                url, form = gather.get("callbackUrl"), {"isActive": "1", "dtmfDigits": key}
            elif redirect is not None and redirect.text:
                url, form = redirect.text.strip(), {"isActive": "1"}
            else:
                return

    def _fetch(self, call: Call, url: str) -> None:
        answer = requests.get(url, timeout=10)
        call.fetched.append((url, answer.status_code, answer.headers.get("Content-Type", "")))

    def _post(self, call: Call, url: str | None, **fields: str) -> requests.Response:
        if not self.service_url:
            raise RuntimeError("no service URL: start the server with service_url=")
        common = {
            "sessionId": call.session_id,
            "direction": call.direction,
            "callerNumber": call.to,
            "destinationNumber": call.caller,
            "clientRequestId": call.reference,
        }
        target = url or f"{self.service_url}/at/voice?token={self.token}"
        answer = requests.post(target, data={**common, **fields}, timeout=10)
        answer.raise_for_status()
        return answer


def main() -> None:
    """`make at-voice-server`: run the server until Ctrl-C, ringing a local Jigi."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("AT_VOICE_SERVER_PORT", "8093")))
    parser.add_argument("--api-key", default=os.environ.get("AT_API_KEY", "local"))
    parser.add_argument("--service-url", default=jigi_url())
    parser.add_argument("--token", default=os.environ.get("AT_CALLBACK_TOKEN", DEV_CALLBACK_TOKEN))
    args = parser.parse_args()
    logs.configure()
    server = ATVoiceServer(args.host, args.port, args.api_key, args.service_url, args.token).start()
    print(f"Africa's Talking-compatible voice server at {server.url}; each call is answered, no key pressed.")
    print(
        f"Run Jigi with: VOICE_GATEWAY=africastalking AT_API_KEY={args.api_key} AT_VOICE_NUMBER=+22320000000 "
        f"AT_VOICE_API_URL={server.url} PUBLIC_URL={args.service_url} make run"
    )
    server.serve_until_stopped()


if __name__ == "__main__":
    main()
