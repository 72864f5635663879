"""Menu files: the shipped menus load, and a broken menu is refused with a message naming the problem."""

from __future__ import annotations

import textwrap

import pytest

from service.ussd.menu import MenuError, load_menu, load_menus, nexts_of

GOOD = """
start = "main"

[screens.main]
type = "menu"
text = "Jigi: choose"
options = [{ label = "Help", next = "help" }, { label = "Village:", next = "village" }]

[screens.village]
type = "list"
text = "Village:"
source = "villages"
store = "village"
next = "help"

[screens.help]
type = "end"
text = "Help"
"""


def write(tmp_path, text: str, name: str = "volunteer.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_menus_load_and_every_screen_is_reachable():
    menu = load_menus()["volunteer"]
    reachable, todo = set(), [menu.start]
    while todo:
        screen = menu.screens[todo.pop()]
        if screen.name in reachable:
            continue
        reachable.add(screen.name)
        steps = nexts_of(screen)
        todo.extend(target for step in steps for target in step.targets())
    assert reachable == set(menu.screens)


def test_a_good_menu_loads(tmp_path):
    menu = load_menu(write(tmp_path, GOOD))
    assert (menu.name, menu.start, menu.screens["village"].source) == ("volunteer", "main", "villages")
    assert set(menu.msgids()) == {"Jigi: choose", "Help", "Village:"}


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ('next = "help"\n\n[screens.help]', 'next = "hlep"\n\n[screens.help]', "unknown next screen 'hlep'"),
        ('source = "villages"', 'source = "hamlets"', "unknown source 'hamlets'"),
        ('source = "villages"', 'source = "villages"\naction = "launch"', "unknown action 'launch'"),
        ('type = "list"', 'type = "carousel"', "type must be one of menu, list, input, end"),
        ('store = "village"\n', "", "missing ['store']"),
        ('text = "Help"', 'text = "Help"\ncolour = "red"', "unknown keys ['colour']"),
        ('start = "main"', 'start = "home"', "start screen 'home' is not defined"),
        (
            'options = [{ label = "Help", next = "help" }, { label = "Village:", next = "village" }]',
            "options = []",
            "a menu needs 1 to 97 options",
        ),
        (
            '{ label = "Help", next = "help" }',
            '{ label = "Help", next = { on = "x", cases = { a = "nowhere" }, default = "help" } }',
            "unknown next screen 'nowhere'",
        ),
        ('text = "Help"', "text = 7", "text must be a non-empty string"),
        ("[screens.help]", "[screens.help", "not valid TOML"),
    ],
)
def test_a_broken_menu_is_refused_with_a_clear_error(tmp_path, old, new, error):
    assert old in GOOD
    with pytest.raises(MenuError) as raised:
        load_menu(write(tmp_path, GOOD.replace(old, new, 1)))
    assert error in str(raised.value) and "menus/volunteer.toml" in str(raised.value)


def test_an_input_screen_needs_a_known_validator(tmp_path):
    text = (
        GOOD
        + '\n[screens.age]\ntype = "input"\ntext = "Age"\nvalidator = "shoe_size"\n'
        + 'store = "age"\nnext = "help"\n'
    )
    with pytest.raises(MenuError, match="unknown validator 'shoe_size'"):
        load_menu(write(tmp_path, text))


def test_an_empty_menus_folder_is_refused(tmp_path):
    with pytest.raises(MenuError, match="no menu files"):
        load_menus(tmp_path)
