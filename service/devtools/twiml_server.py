"""A local server compatible with Twilio's voice API (which Somleng and SignalWire speak too), to run
Jigi's TwiML calls (`service/gateways/twiml.py`) without an account or a phone.

It takes `POST /2010-04-01/Accounts/{sid}/Calls.json` as Twilio does (HTTP Basic with the account sid and
auth token; `To`, `From`, `Url`, `StatusCallback`), answers 201 with the call's `sid`, or an error with
Twilio's `code`, then plays the phone at the other end: it asks the call's `Url` for TwiML, fetches every
`<Play>`, presses the keys it was given at each `<Gather>` (posting `Digits` to its `action`) or stays
silent and goes on to the `<Redirect>`, and posts the end to the `StatusCallback` (`CallStatus`,
`CallDuration`). Every request it sends carries `X-Twilio-Signature`, signed as Twilio signs. Tests say
what the phone does next; developers run `make twiml-server`.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import uuid
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import requests
from werkzeug.wrappers import Request, Response

from service import logs
from service.devtools.serving import jigi_url, json_response
from service.devtools.voice_phone import Call, Pickup, Turn, VoicePhoneServer
from service.gateways.twiml import SIGNATURE_HEADER, signature

__all__ = ["Pickup", "TwimlServer"]
PHONE = re.compile(r"^\+\d{6,15}$")
CALLS = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls\.json$")
# Pickup's provider-neutral causes as a CallStatus.
STATUSES = {"": "completed", "busy": "busy", "no_answer": "no-answer"}
# The errors it can answer, as Twilio does (refuse_next picks one by its code).
ERRORS = {
    "20003": (401, "Authenticate"),
    "21211": (400, "The 'To' number is not a valid phone number."),
    "21215": (400, "Account not authorized to call this number."),
    "20429": (429, "Too Many Requests"),
}


class TwimlServer(VoicePhoneServer):
    """The server; `start()` runs it in a thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        account_sid: str = "AClocal",
        auth_token: str = "local-token",
        service_url: str | None = None,
        number: str = "+22320220000",
    ) -> None:
        self.account_sid, self.auth_token, self.number = account_sid, auth_token, number
        super().__init__(host, port, service_url)

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        match = CALLS.match(request.path)
        if match and request.method == "POST":
            response = self._create(request, match["account"])
        else:
            response = _error(20404, 404, "The requested resource was not found")
        return response(environ, start_response)

    def _create(self, request: Request, account: str) -> Response:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if account != self.account_sid or request.headers.get("Authorization") != f"Basic {expected}":
            return _error(20003, 401, "Authenticate")
        form = request.form
        for required, missing in (("To", 21201), ("From", 21213), ("Url", 21205)):
            if not form.get(required):
                return _error(missing, 400, f"No '{required}' is specified")
        pickup, refusal = self._take_call()
        code, http_status = refusal or ("", None)
        if http_status is not None and not code:
            return Response("Internal Server Error", http_status, content_type="text/plain")
        if not code and not PHONE.match(form["To"]):
            code = "21211"
        if code:
            status, message = ERRORS[code]
            return _error(int(code), status, message)
        call = Call(
            f"CA{uuid.uuid4().hex}",
            form["To"],
            form["From"],
            "",
            pickup,
            url=form["Url"],
            status_url=form.get("StatusCallback", ""),
        )
        self._placed_call(call)
        body = {
            "sid": call.session_id,
            "account_sid": self.account_sid,
            "to": call.to,
            "from": call.caller,
            "status": "queued",
            "direction": "outbound-api",
        }
        return json_response(body, 201)

    # The phone at the other end, in TwiML.

    def _inbound_call(self, caller: str, pickup: Pickup) -> Call:
        jigi = self._jigi()
        return Call(
            f"CA{uuid.uuid4().hex}",
            caller,
            self.number,
            "",
            pickup,
            url=f"{jigi}/twiml/voice",
            status_url=f"{jigi}/twiml/voice/status",
            inbound=True,
        )

    def _step(self, call: Call, url: str | None, key: str | None) -> str:
        fields = {"CallStatus": "in-progress"} | ({"Digits": key} if key else {})
        return self._post(call, url or call.url, fields).text

    def _read(self, xml: str) -> Turn:
        root = ElementTree.fromstring(xml)
        gather, redirect, dial = root.find("Gather"), root.find("Redirect"), root.find("Dial")
        return Turn(
            plays=[(play.text or "").strip() for play in root.iter("Play")],
            gather=gather.get("action") if gather is not None else None,
            redirect=(redirect.text or "").strip() if redirect is not None else None,
            dial=(dial.text or "").strip() if dial is not None else None,
        )

    def _hang_up(self, call: Call) -> None:
        if not call.status_url:
            return
        status = STATUSES.get(call.pickup.cause, call.pickup.cause)
        if not call.pickup.answer and not call.pickup.cause:
            status = "no-answer"
        seconds = call.pickup.seconds if call.pickup.answer else 0
        self._post(call, call.status_url, {"CallStatus": status, "CallDuration": str(seconds)})

    def _post(self, call: Call, url: str, fields: dict[str, str]) -> requests.Response:
        form = {
            "CallSid": call.session_id,
            "AccountSid": self.account_sid,
            "From": call.caller if not call.inbound else call.to,
            "To": call.to if not call.inbound else call.caller,
            "Direction": "inbound" if call.inbound else "outbound-api",
            "ApiVersion": "2010-04-01",
        } | fields
        headers = {SIGNATURE_HEADER: signature(self.auth_token, url, form.items())}
        answer = requests.post(url, data=form, headers=headers, timeout=10)
        answer.raise_for_status()
        return answer


def _error(code: int, status: int, message: str) -> Response:
    """An error answer as Twilio writes it."""
    more = f"https://www.twilio.com/docs/errors/{code}"
    return json_response({"code": code, "message": message, "more_info": more, "status": status}, status)


def main() -> None:
    """`make twiml-server`: run the server until Ctrl-C, ringing a local Jigi."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TWIML_SERVER_PORT", "8094")))
    parser.add_argument("--account-sid", default=os.environ.get("TWIML_ACCOUNT_SID", "AClocal"))
    parser.add_argument("--auth-token", default=os.environ.get("TWIML_AUTH_TOKEN", "local-token"))
    parser.add_argument("--service-url", default=jigi_url())
    args = parser.parse_args()
    logs.configure()
    server = TwimlServer(args.host, args.port, args.account_sid, args.auth_token, args.service_url).start()
    print(f"TwiML-compatible voice server at {server.url}; each call is answered, no key pressed.")
    print(
        f"Run Jigi with: VOICE_GATEWAY=twiml TWIML_API_URL={server.url} TWIML_ACCOUNT_SID={args.account_sid} "
        f"TWIML_AUTH_TOKEN={args.auth_token} TWIML_NUMBER=+22320220000 PUBLIC_URL={args.service_url} make run"
    )
    server.serve_until_stopped()


if __name__ == "__main__":
    main()
