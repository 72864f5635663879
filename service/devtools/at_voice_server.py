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
import os
import re
import uuid
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import requests
from werkzeug.wrappers import Request, Response

from service import logs
from service.config import DEV_CALLBACK_TOKEN
from service.devtools.serving import jigi_url, json_response
from service.devtools.voice_phone import Call, Pickup, Turn, VoicePhoneServer

__all__ = ["ATVoiceServer", "Pickup"]
PHONE = re.compile(r"^\+\d{6,15}$")
COST_PER_MINUTE = 50  # XOF
# Pickup's provider-neutral causes in AT's words.
CAUSES = {"": "NORMAL_CLEARING", "busy": "USER_BUSY", "no_answer": "NO_ANSWER"}


class ATVoiceServer(VoicePhoneServer):
    """The server; `start()` runs it in a thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = "local",
        service_url: str | None = None,
        token: str = DEV_CALLBACK_TOKEN,
        number: str = "+22320220000",
        ring: bool = True,
    ) -> None:
        self.api_key, self.token, self.number = api_key, token, number
        super().__init__(host, port, service_url, ring)

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
        pickup, refusal = self._take_call()
        status, http_status = refusal or ("", None)
        if http_status is not None:
            return Response("Internal Server Error", http_status, content_type="text/plain")
        status = status or ("Queued" if PHONE.match(to) else "InvalidPhoneNumber")
        if status != "Queued":
            return json_response({"entries": [{"phoneNumber": to, "status": status}], "errorMessage": "None"})
        call = Call(f"ATVId_{uuid.uuid4().hex[:16]}", to, caller, form.get("clientRequestId", ""), pickup)
        self._placed_call(call)
        entry = {"phoneNumber": to, "status": "Queued", "sessionId": call.session_id}
        return json_response({"entries": [entry], "errorMessage": "None"}, 201)

    # The phone at the other end, in AT's words.

    def _inbound_call(self, caller: str, pickup: Pickup) -> Call:
        return Call(f"ATVId_{uuid.uuid4().hex[:16]}", caller, self.number, "", pickup, inbound=True)

    def _step(self, call: Call, url: str | None, key: str | None) -> str:
        form = {"isActive": "1"} | ({"dtmfDigits": key} if key else {"callSessionState": "Answered"})
        return self._post(call, url, **form).text

    def _read(self, xml: str) -> Turn:
        root = ElementTree.fromstring(xml)
        gather, redirect, dial = root.find("GetDigits"), root.find("Redirect"), root.find("Dial")
        return Turn(
            plays=[play.get("url", "") for play in root.iter("Play")],
            gather=gather.get("callbackUrl") if gather is not None else None,
            redirect=redirect.text.strip() if redirect is not None and redirect.text else None,
            dial=dial.get("phoneNumbers") if dial is not None else None,
        )

    def _hang_up(self, call: Call) -> None:
        seconds = call.pickup.seconds if call.pickup.answer else 0
        cause = CAUSES.get(call.pickup.cause, call.pickup.cause)
        if not call.pickup.answer and not call.pickup.cause:
            cause = "NO_ANSWER"
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

    def _post(self, call: Call, url: str | None, **fields: str) -> requests.Response:
        common = {
            "sessionId": call.session_id,
            "direction": "Inbound" if call.inbound else "Outbound",
            "callerNumber": call.to,
            "destinationNumber": call.caller,
            "clientRequestId": call.reference,
        }
        target = url or f"{self._jigi()}/at/voice?token={self.token}"
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
        f"Run Jigi with: VOICE_GATEWAY=africastalking AT_API_KEY={args.api_key} AT_VOICE_NUMBER=+22320220000 "
        f"AT_VOICE_API_URL={server.url} PUBLIC_URL={args.service_url} make run"
    )
    server.serve_until_stopped()


if __name__ == "__main__":
    main()
