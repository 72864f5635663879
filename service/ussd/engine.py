"""The USSD engine: applies one input at a time to a menu's screens; it knows no particular menu.

`0` goes back (to the previous page of a list, else the previous screen), `00` to the start screen, `98`
shows more of a long list; anything not understood shows the same screen with a short error line.
A State is plain JSON data so that it can be kept in Redis between the requests of a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from service.i18n import _, gettext
from service.ussd.menu import (
    MAX_OPTIONS,
    EndScreen,
    InputScreen,
    ListScreen,
    Menu,
    MenuScreen,
    Next,
    Screen,
)
from service.ussd.registry import Ctx, InvalidInput, lookup
from service.ussd.screens import BUDGET, fill, gsm, lay_out, size

BACK, MAIN, MORE = "0", "00", "98"
MIN_TITLE = 60  # a short menu keeps all its options on the page if its text still gets this much room

INVALID = _("Invalid choice.")
MORE_LABEL = _("More")
BACK_LABEL = _("Back")
MAIN_LABEL = _("Main menu")
# A dropped flow is offered as the last entry of the main menu, never as a question whose "1" a trained
# volunteer types by habit: typed out of habit, "1" still starts a new report.
RESUME_LABEL = _("Continue where you stopped")


@dataclass
class State:
    """Where a session is: the screen, the answers so far, the way back and the page of a list."""

    screen: str
    language: str
    answers: dict[str, Any] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)  # [key, label] of a list screen
    offset: int = 0  # first item of the page shown
    offsets: list[int] = field(default_factory=list)  # first items of the pages before it
    shown: int = 0  # items on the page shown
    error: str | None = None
    saved: dict[str, Any] | None = None  # on the main menu after a dropped session: the flow to continue

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready data (shared, not copied: it is serialised at once)."""
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> State:
        return cls(**data)

    def copy(self) -> State:
        """A copy whose answers and lists can change; `items` is only ever replaced, so it is shared."""
        return replace(self, answers=dict(self.answers), stack=list(self.stack), offsets=list(self.offsets))


@dataclass(frozen=True)
class Reply:
    """A screen for the phone; `end` closes the session."""

    text: str
    end: bool
    clipped: bool = False  # a text was too long for any screen and was cut (a bug in a translation)

    def wire(self) -> str:
        return ("END " if self.end else "CON ") + self.text


@dataclass(frozen=True)
class Turn:
    state: State
    reply: Reply


def begin(menu: Menu, ctx: Ctx, saved: State | None = None) -> Turn:
    """The first screen of a session: the main menu, offering at its end to continue `saved`."""
    state = State(screen=menu.start, language=ctx.language)
    if saved is not None and saved.screen in menu.screens and resume_key(menu) is not None:
        state.saved = saved.to_dict()
    return _turn(menu, state, ctx)


def resume_key(menu: Menu) -> str | None:
    """The key of the main menu's last entry, "continue where you stopped" (None: the menu has none)."""
    start = menu.screens[menu.start]
    return str(len(start.options) + 1) if isinstance(start, MenuScreen) else None


def advance(menu: Menu, state: State, raw: str, ctx: Ctx) -> Turn:
    """Apply one input to a copy of `state` and lay out the screen that follows."""
    state = state.copy()
    state.error = None
    ctx.language, ctx.answers = state.language, state.answers
    raw = raw.strip()
    if state.saved is not None and state.screen == menu.start and raw == resume_key(menu):
        state = State.from_dict(state.saved).copy()
        state.error = None
        ctx.answers = state.answers
    elif not isinstance(menu.screens[state.screen], EndScreen):
        _apply(menu, state, menu.screens[state.screen], raw, ctx)
    if state.screen != menu.start:
        state.saved = None  # the volunteer went on: the dropped flow is no longer offered
    state.language = ctx.language
    return _turn(menu, state, ctx)


def _apply(menu: Menu, state: State, screen: Screen, raw: str, ctx: Ctx) -> None:
    if raw == MAIN:
        _enter(menu, state, menu.start, ctx)
    elif raw == BACK and not (isinstance(screen, InputScreen) and screen.zero_is_value):
        _back(menu, state, ctx)
    elif isinstance(screen, InputScreen):
        try:
            value = lookup("validator", screen.validator)(ctx, raw)
        except InvalidInput as invalid:
            state.error = invalid.message
            return
        _go(menu, state, ctx, screen.next, screen.action, {screen.store: value})
    elif isinstance(screen, MenuScreen | ListScreen):
        _choose(menu, state, screen, raw, ctx)


def _choose(menu: Menu, state: State, screen: MenuScreen | ListScreen, raw: str, ctx: Ctx) -> None:
    count = len(screen.options) if isinstance(screen, MenuScreen) else len(state.items)
    if raw == MORE and state.offset + state.shown < count:
        state.offsets.append(state.offset)
        state.offset += state.shown
    elif not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(count))) or not 1 <= int(raw) <= count:
        state.error = INVALID
    elif isinstance(screen, MenuScreen):
        option = screen.options[int(raw) - 1]
        _go(menu, state, ctx, option.next, option.action, dict(option.set))
    else:
        _go(menu, state, ctx, screen.next, screen.action, {screen.store: state.items[int(raw) - 1][0]})


def _go(menu: Menu, state: State, ctx: Ctx, next_: Next, action: str | None, values: dict[str, Any]) -> None:
    state.answers.update(values)
    if action:
        state.answers.update(lookup("action", action)(ctx))
    _enter(menu, state, next_.resolve(state.answers), ctx, push=True)


def _back(menu: Menu, state: State, ctx: Ctx) -> None:
    if state.offsets:
        state.offset = state.offsets.pop()
    elif state.stack:
        _enter(menu, state, state.stack.pop(), ctx)
    else:
        state.error = INVALID


def _enter(menu: Menu, state: State, name: str, ctx: Ctx, push: bool = False) -> None:
    """Show screen `name` from its first page; the start screen begins afresh."""
    if name == menu.start:
        state.stack.clear()
        state.answers.clear()
    elif push:
        state.stack.append(state.screen)
    screen = menu.screens[name]
    state.screen, state.offset, state.offsets, state.shown = name, 0, [], 0
    state.items = []
    if isinstance(screen, ListScreen):
        items = lookup("source", screen.source)(ctx)[:MAX_OPTIONS]
        state.items = [[key, gsm(label)] for key, label in items]


def _turn(menu: Menu, state: State, ctx: Ctx) -> Turn:
    reply, shown = _render(menu, state, ctx)
    state.shown = shown
    return Turn(state, reply)


def _render(menu: Menu, state: State, ctx: Ctx) -> tuple[Reply, int]:
    language = state.language

    def t(message: str) -> str:
        return gettext(language, message)

    params: dict[str, Any] = {}
    foot: list[str] = []
    screen = menu.screens[state.screen]
    end = isinstance(screen, EndScreen)
    params = {"hotline": ctx.settings.hotline, **state.answers}
    if screen.context:
        params.update(lookup("context", screen.context)(ctx))
    template = t(screen.text)
    if isinstance(screen, ListScreen) and not state.items and screen.empty:
        template = t(screen.empty)
    if isinstance(screen, MenuScreen):
        labels = [t(option.label) for option in screen.options]
        if state.saved is not None:
            labels.append(t(RESUME_LABEL))
    else:
        labels = [label for _key, label in state.items]
    if not end and (state.screen != menu.start or state.offsets):
        zero_is_value = isinstance(screen, InputScreen) and screen.zero_is_value
        foot = [f"{MAIN} {gsm(t(MAIN_LABEL))}" if zero_is_value else f"{BACK} {gsm(t(BACK_LABEL))}"]
    error = gsm(t(state.error)) if state.error else ""
    lines = [f"{number} {gsm(label)}" for number, label in enumerate(labels, 1)]  # gsm() is cached
    more = f"{MORE} {gsm(t(MORE_LABEL))}"
    title, cut = fill(template, params, BUDGET - _reserved(error, lines[state.offset :], more, foot))
    page = lay_out([error, title], lines, state.offset, more, foot)
    return Reply(page.text, end, cut or page.clipped), page.shown


def _reserved(error: str, lines: list[str], more: str, foot: list[str]) -> int:
    """Room kept for everything but the screen's text: all of a short menu, else one item and `98`."""
    fixed = sum(size(line) + 1 for line in [error, *foot] if line)
    if not lines:
        return fixed
    every = sum(size(line) + 1 for line in lines)
    if BUDGET - fixed - every >= MIN_TITLE:
        return fixed + every
    return fixed + min(size(lines[0]), 20) + 1 + size(more) + 1
