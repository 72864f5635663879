"""USSD menus as data: TOML files in `menus/`, parsed once and checked before the service answers.

A menu is a set of named screens. A screen is a `menu` (fixed options), a `list` (options from a named
source, paginated), an `input` (free text checked by a named validator) or an `end` (last screen).
Texts are English msgids translated through gettext. See docs/ussd.md for the format.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from service.ussd import functions  # noqa: F401  (registers the functions menus may name)
from service.ussd.registry import REGISTRY

MENUS_DIR = Path(__file__).resolve().parent.parent.parent / "menus"
MAX_OPTIONS = 97  # 98 means "more", so an option number never reaches it


class MenuError(ValueError):
    """A menu file that cannot be used, with the file, the screen and the reason."""


@dataclass(frozen=True)
class Next:
    """Where a choice leads: one screen, or a screen chosen by the value of an answer."""

    screen: str | None = None
    on: str | None = None
    cases: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    def resolve(self, answers: Mapping[str, Any]) -> str:
        if self.screen is not None:
            return self.screen
        chosen = self.cases.get(str(answers.get(self.on or "", "")), self.default)
        return chosen or ""

    def targets(self) -> list[str]:
        return [self.screen] if self.screen is not None else [*self.cases.values(), self.default or ""]


@dataclass(frozen=True)
class Option:
    label: str
    next: Next
    set: Mapping[str, str] = field(default_factory=dict)
    action: str | None = None


@dataclass(frozen=True)
class MenuScreen:
    """Fixed options, each leading somewhere."""

    name: str
    text: str
    options: tuple[Option, ...]
    context: str | None = None


@dataclass(frozen=True)
class ListScreen:
    """Options from a named source, paginated; the chosen key is stored under `store`."""

    name: str
    text: str
    source: str
    store: str
    next: Next
    action: str | None = None
    context: str | None = None
    empty: str | None = None


@dataclass(frozen=True)
class InputScreen:
    """Free text checked by a named validator; `zero_is_value` makes 0 an answer, not "back"."""

    name: str
    text: str
    validator: str
    store: str
    next: Next
    action: str | None = None
    context: str | None = None
    zero_is_value: bool = False


@dataclass(frozen=True)
class EndScreen:
    """The last screen of a session."""

    name: str
    text: str
    context: str | None = None


Screen = MenuScreen | ListScreen | InputScreen | EndScreen
# A screen's `type` in a menu file -> its class; a file's keys are the class's fields (but `name`, which is
# the table's name), those without a default required.
SCREEN_TYPES: dict[str, type[Screen]] = {
    "menu": MenuScreen,
    "list": ListScreen,
    "input": InputScreen,
    "end": EndScreen,
}


def _keys(cls: type) -> tuple[set[str], set[str]]:
    """The keys a table for `cls` may have, and those it must have."""
    declared = [item for item in fields(cls) if item.name != "name"]
    required = {item.name for item in declared if item.default is MISSING and item.default_factory is MISSING}
    return {item.name for item in declared}, required


@dataclass(frozen=True)
class Menu:
    name: str
    start: str
    screens: Mapping[str, Screen]

    def msgids(self) -> Iterator[str]:
        """Every text of the menu that goes through gettext."""
        for screen in self.screens.values():
            yield screen.text
            if isinstance(screen, ListScreen) and screen.empty:
                yield screen.empty
            if isinstance(screen, MenuScreen):
                yield from (option.label for option in screen.options)


def load_menu(path: Path) -> Menu:
    """Parse and check one menu file; raise MenuError naming the file and the screen."""
    where = f"menus/{path.name}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MenuError(f"{where}: not valid TOML: {error}") from None
    unknown = set(data) - {"start", "screens"}
    if unknown:
        raise MenuError(f"{where}: unknown top-level keys {sorted(unknown)}")
    raw_screens = data.get("screens")
    if not isinstance(raw_screens, dict) or not raw_screens:
        raise MenuError(f"{where}: no [screens.<name>] tables")
    screens = {name: _screen(f"{where}: screen {name!r}", name, raw) for name, raw in raw_screens.items()}
    start = data.get("start")
    if not isinstance(start, str) or start not in screens:
        raise MenuError(f"{where}: start screen {start!r} is not defined")
    if not isinstance(screens[start], MenuScreen):
        raise MenuError(f"{where}: the start screen must be a menu")
    for screen in screens.values():
        nexts = nexts_of(screen)
        for target in (target for step in nexts for target in step.targets()):
            if target not in screens:
                raise MenuError(f"{where}: screen {screen.name!r}: unknown next screen {target!r}")
    return Menu(name=path.stem, start=start, screens=screens)


@cache
def load_menus(directory: Path = MENUS_DIR) -> dict[str, Menu]:
    """Every `*.toml` menu of `directory`, by file name without extension; parsed once per process."""
    menus = {path.stem: load_menu(path) for path in sorted(directory.glob("*.toml"))}
    if not menus:
        raise MenuError(f"no menu files (*.toml) in {directory.name}/")
    return menus


def nexts_of(screen: Screen) -> list[Next]:
    """Where the screen may lead."""
    if isinstance(screen, MenuScreen):
        return [option.next for option in screen.options]
    if isinstance(screen, ListScreen | InputScreen):
        return [screen.next]
    return []


def _screen(where: str, name: str, raw: Any) -> Screen:
    if not isinstance(raw, dict):
        raise MenuError(f"{where}: must be a table")
    kind = raw.get("type")
    if kind not in SCREEN_TYPES:
        raise MenuError(f"{where}: type must be one of {', '.join(SCREEN_TYPES)}, got {kind!r}")
    allowed, required = _keys(SCREEN_TYPES[kind])
    _check_keys(where, raw, allowed | {"type"}, required)
    for key in ("text", "empty", "store"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise MenuError(f"{where}: {key} must be a non-empty string")
    if not isinstance(raw.get("zero_is_value", False), bool):
        raise MenuError(f"{where}: zero_is_value must be true or false")
    for kind_name in ("source", "validator", "action", "context"):
        _check_registered(where, kind_name, raw.get(kind_name))
    values = {key: value for key, value in raw.items() if key != "type"}
    if "options" in values:
        options = values["options"] if isinstance(values["options"], list) else []
        values["options"] = tuple(_option(f"{where}: option {n}", item) for n, item in enumerate(options, 1))
        if not 1 <= len(values["options"]) <= MAX_OPTIONS:
            raise MenuError(f"{where}: a menu needs 1 to {MAX_OPTIONS} options")
    if "next" in values:
        values["next"] = _next(where, values["next"])
    return SCREEN_TYPES[kind](name=name, **values)


def _option(where: str, raw: Any) -> Option:
    if not isinstance(raw, dict):
        raise MenuError(f"{where}: must be a table like {{ label = ..., next = ... }}")
    allowed, required = _keys(Option)
    _check_keys(where, raw, allowed, required)
    if not isinstance(raw["label"], str) or not raw["label"].strip():
        raise MenuError(f"{where}: label must be a non-empty string")
    values = raw.get("set", {})
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise MenuError(f"{where}: set must be a table of strings")
    _check_registered(where, "action", raw.get("action"))
    return Option(label=raw["label"], next=_next(where, raw["next"]), set=values, action=raw.get("action"))


def _next(where: str, raw: Any) -> Next:
    if isinstance(raw, str):
        return Next(screen=raw)
    branch = (
        isinstance(raw, dict) and set(raw) == {"on", "cases", "default"} and isinstance(raw["cases"], dict)
    )
    if branch and all(isinstance(v, str) for v in [raw["on"], raw["default"], *raw["cases"].values()]):
        return Next(on=raw["on"], cases=dict(raw["cases"]), default=raw["default"])
    raise MenuError(f"{where}: next must be a screen name or {{ on = ..., cases = {{...}}, default = ... }}")


def _check_keys(where: str, raw: dict, allowed: set[str], required: set[str]) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise MenuError(f"{where}: unknown keys {sorted(unknown)}")
    missing = required - set(raw)
    if missing:
        raise MenuError(f"{where}: missing {sorted(missing)}")


def _check_registered(where: str, kind: str, name: Any) -> None:
    if name is not None and name not in REGISTRY[kind]:
        known = ", ".join(sorted(REGISTRY[kind])) or "none"
        raise MenuError(f"{where}: unknown {kind} {name!r} (known: {known})")
