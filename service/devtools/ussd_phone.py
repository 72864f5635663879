"""A terminal phone for trainers: dials the USSD service exactly as Africa's Talking calls it.

`make ussd PHONE=+22376123456` (or `python -m service.devtools.ussd_phone --phone ... --url ...`).
Each call gets a new random sessionId; every reply is added to `text`, joined by `*`; the session stops
at an `END` screen, an HTTP error, or an empty line / end of input.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from service.config import DEV_CALLBACK_TOKEN

SERVICE_CODE = "*384*5620#"
NETWORK_CODE = "63902"  # Orange Mali
Post = Callable[[dict[str, str]], tuple[int, str]]


def http_post(url: str, token: str, timeout: float = 15.0) -> Post:
    """Post a form to `<url>/at/ussd?token=...` like AT does; return the status and the body."""
    endpoint = f"{url.rstrip('/')}/at/ussd?{urllib.parse.urlencode({'token': token})}"

    def post(form: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(
            endpoint, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    return post


def dial(
    post: Post,
    phone: str,
    read: Callable[[], str | None],
    show: Callable[[str], None],
    session_id: str | None = None,
) -> list[str]:
    """Run one USSD session: show each screen, read the next input; return the screens shown."""
    session_id = session_id or "ATUid_" + secrets.token_hex(12)
    inputs: list[str] = []
    screens: list[str] = []
    while True:
        form = {
            "sessionId": session_id,
            "serviceCode": SERVICE_CODE,
            "phoneNumber": phone,
            "networkCode": NETWORK_CODE,
            "text": "*".join(inputs),
        }
        status, body = post(form)
        screens.append(body)
        if status != 200 or not body.startswith(("CON ", "END ")):
            show(f"[session failed: HTTP {status}] {body}")
            return screens
        show(body[4:])
        if body.startswith("END "):
            return screens
        answer = read()
        if answer is None or answer == "":
            show("[session abandoned]")
            return screens
        inputs.append(answer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phone", required=True, help="the caller, e.g. +22376123456")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running Jigi service")
    parser.add_argument(
        "--token",
        default=os.environ.get("AT_CALLBACK_TOKEN") or DEV_CALLBACK_TOKEN,
        help="AT_CALLBACK_TOKEN of the service (default: that variable, else the development token)",
    )
    args = parser.parse_args(argv)

    def read() -> str | None:
        try:
            return input("> ").strip()
        except EOFError:
            return None

    def show(screen: str) -> None:
        print("\n" + "-" * 24 + "\n" + screen + "\n" + "-" * 24)

    try:
        dial(http_post(args.url, args.token), args.phone, read, show)
    except urllib.error.URLError as error:
        print(f"Cannot reach {args.url}: {error.reason}. Is `make run` started?", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
