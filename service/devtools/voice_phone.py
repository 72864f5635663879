"""The phone at the other end of a call, for the local voice servers (`at_voice_server.py`,
`twiml_server.py`): it answers or not, fetches every recording it is told to play, presses the keys a test
gives it (or stays silent and follows the redirect), and hangs up. Each server adds its provider's way of
placing a call and of posting its steps.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import requests

from service.devtools.serving import LocalServer

log = logging.getLogger(__name__)
MAX_STEPS = 12  # a call that never ends is Jigi's bug: the phone hangs up after this many steps


@dataclass(frozen=True)
class Pickup:
    """What the phone at the other end does with the next call: `keys` are pressed one per prompt,
    in order ("" stays silent); `cause` is the provider's name of how it ended ("" : its usual one)."""

    answer: bool = True
    keys: tuple[str, ...] = ()
    cause: str = ""
    seconds: int = 25

    @classmethod
    def busy(cls) -> Pickup:
        return cls(answer=False, cause="busy")

    @classmethod
    def no_answer(cls) -> Pickup:
        return cls(answer=False, cause="no_answer")


@dataclass
class Call:
    """One call placed (or made to Jigi), and what happened in it."""

    session_id: str
    to: str
    caller: str
    reference: str
    pickup: Pickup
    url: str = ""  # where its first step is asked (TwiML: the call's Url)
    status_url: str = ""  # where its end is posted (TwiML: the StatusCallback)
    played: list[str] = field(default_factory=list)  # recording URLs, in order
    fetched: list[tuple[str, int, str]] = field(default_factory=list)  # (url, status, content type)
    pressed: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # Jigi's XML, step by step
    dialled: str = ""  # the number Jigi connected the call to
    done: threading.Event = field(default_factory=threading.Event)
    inbound: bool = False


@dataclass(frozen=True)
class Turn:
    """What one of Jigi's answers asks of the phone: recordings to play, where a key goes (None: no
    prompt), where to go after the prompt or without one (None: hang up), a number to connect to."""

    plays: list[str]
    gather: str | None
    redirect: str | None
    dial: str | None = None


class VoicePhoneServer(LocalServer):
    """A local voice provider: the calls placed, the phones' behaviour, and the conversation."""

    def __init__(self, host: str, port: int, service_url: str | None, ring: bool = True) -> None:
        self.service_url = service_url.rstrip("/") if service_url else None
        self.ring = ring  # False: calls are taken and kept, no phone rings (the calls benchmark)
        self._lock = threading.Lock()
        self._placed = threading.Condition(self._lock)
        self._pickups: list[Pickup] = []
        self._calls: list[Call] = []
        self._refusal: tuple[str, int | None] | None = None
        super().__init__(host, port)

    # Control, from Python.

    def next_calls(self, *pickups: Pickup) -> None:
        """What the phones do with the next calls, in order; then they answer and press nothing."""
        with self._lock:
            self._pickups.extend(pickups)

    def refuse_next(self, status: str = "", http_status: int | None = None) -> None:
        """Refuse the next call placed with this provider status (its own name) or HTTP status."""
        with self._lock:
            self._refusal = (status, http_status)

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

    def ring_jigi(self, caller: str, pickup: Pickup | None = None) -> Call:
        """A patient calls Jigi's number: Jigi answers and the call goes on as `pickup` says (its keys), or,
        with `Pickup(answer=False)`, the patient hangs up before anyone answers (a "missed call").
        Returns the call once it has ended."""
        call = self._inbound_call(caller, pickup or Pickup())
        self._ring(call)
        return call

    # For the provider's server.

    def _take_call(self) -> tuple[Pickup, tuple[str, int | None] | None]:
        """The next phone's behaviour, and the refusal asked for this call (if any)."""
        with self._lock:
            refusal, self._refusal = self._refusal, None
            return (self._pickups.pop(0) if self._pickups else Pickup()), refusal

    def _placed_call(self, call: Call) -> None:
        """Keep the call and ring it in the background."""
        with self._placed:
            self._calls.append(call)
            self._placed.notify_all()
        if not self.ring:
            call.done.set()
            return
        threading.Thread(target=self._ring, args=(call,), daemon=True).start()

    def _ring(self, call: Call) -> None:
        try:
            if call.pickup.answer:
                self._converse(call)
            self._hang_up(call)
        except requests.RequestException as error:
            log.warning("the voice callback could not be reached: %s", error)
        finally:
            call.done.set()

    def _converse(self, call: Call) -> None:
        keys = list(call.pickup.keys)
        url, key = call.url or None, None
        for _step in range(MAX_STEPS):
            xml = self._step(call, url, key)
            call.answers.append(xml)
            turn = self._read(xml)
            for played in turn.plays:
                call.played.append(played)
                answer = requests.get(played, timeout=10)
                call.fetched.append((played, answer.status_code, answer.headers.get("Content-Type", "")))
            if turn.dial:  # connected: the two people talk, then hang up
                call.dialled = turn.dial
                return
            key = keys.pop(0) if keys else ""
            if turn.gather is not None and key:
                call.pressed.append(key)
                url = turn.gather
            elif turn.redirect is not None:
                url, key = turn.redirect, None
            else:
                return

    def _jigi(self) -> str:
        if not self.service_url:
            raise RuntimeError("no service URL: start the server with service_url=")
        return self.service_url

    # The provider's own.

    def _inbound_call(self, caller: str, pickup: Pickup) -> Call:
        raise NotImplementedError

    def _step(self, call: Call, url: str | None, key: str | None) -> str:
        """Post one step of the call (to `url`, None: the call's first) with the key pressed; Jigi's XML."""
        raise NotImplementedError

    def _read(self, xml: str) -> Turn:
        raise NotImplementedError

    def _hang_up(self, call: Call) -> None:
        """Post the call's end."""
        raise NotImplementedError
