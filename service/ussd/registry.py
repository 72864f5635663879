"""Named functions that menus refer to: list sources, input validators, actions and screen contexts.

Menus are data: they name a function (`source = "villages"`), and the function is registered here under
that name with a decorator. Loading a menu checks every name it uses against this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from service.config import Settings
from service.db import OnDemandSession
from service.i18n import gettext
from service.people import Caller

# source(ctx) -> [(key stored in the answers, label shown)]; validator(ctx, raw) -> value or InvalidInput;
# action(ctx) -> values added to the answers (e.g. a reference); context(ctx) -> %(name)s values of a text.
KINDS = ("source", "validator", "action", "context")
REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {kind: {} for kind in KINDS}


class InvalidInput(ValueError):
    """A validator refused the input; `message` is the msgid of the short error line shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Ctx:
    """What a registered function may use during one USSD request. The database session is opened the
    first time a function asks for it: most screens answer from the session state alone."""

    sessions: OnDemandSession
    settings: Settings
    volunteer: Caller
    session_id: str
    language: str
    now: datetime
    answers: dict[str, Any]

    @property
    def session(self) -> Session:
        return self.sessions.get()

    def t(self, message: str, **params: object) -> str:
        """`message` in the session's language."""
        return gettext(self.language, message, **params)


def registered(kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the `kind` called `name` in menus."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY[kind]:
            raise ValueError(f"{kind} {name!r} is registered twice")
        REGISTRY[kind][name] = function
        return function

    return register


def lookup(kind: str, name: str) -> Callable[..., Any]:
    return REGISTRY[kind][name]
