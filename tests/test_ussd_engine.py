"""The engine on a small menu of its own, without Flask or HTTP: navigation, pages, errors, actions.

The menu's functions are registered for each test only, which also shows the engine knows no particular menu.
"""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from service.referrals.intake import urgency_for, week_start_for
from service.ussd.engine import State, advance, begin, resume_key
from service.ussd.menu import load_menu
from service.ussd.registry import REGISTRY, Ctx, InvalidInput
from service.ussd.screens import fill, gsm, lay_out

MENU = """
start = "main"

[screens.main]
type = "menu"
text = "Choose"
options = [
    { label = "Animals", next = "animals" },
    { label = "Count", set = { mode = "count" }, next = "count" },
]

[screens.animals]
type = "list"
text = "Animal:"
source = "test_animals"
store = "animal"
action = "test_adopt"
next = { on = "size", cases = { big = "big" }, default = "small" }

[screens.count]
type = "input"
text = "How many?"
validator = "test_count"
store = "count"
next = "small"

[screens.big]
type = "end"
text = "Big %(animal)s, ticket %(ticket)s"

[screens.small]
type = "end"
text = "Small one"
"""
ANIMALS = [(f"a{n}", f"Animal number {n:02d} of the long list") for n in range(1, 41)]


@pytest.fixture
def adopted() -> list[str]:
    """The animals the test menu's action was called with."""
    return []


@pytest.fixture
def menu(tmp_path, monkeypatch, adopted):
    def adopt(ctx):
        adopted.append(ctx.answers["animal"])
        return {"size": "big" if ctx.answers["animal"] == "a2" else "small", "ticket": f"T{len(adopted)}"}

    def count(ctx, raw):
        if not raw.isdigit():
            raise InvalidInput("Numbers only.")
        return int(raw)

    monkeypatch.setitem(REGISTRY["source"], "test_animals", lambda ctx: list(ANIMALS))
    monkeypatch.setitem(REGISTRY["action"], "test_adopt", adopt)
    monkeypatch.setitem(REGISTRY["validator"], "test_count", count)
    path = tmp_path / "test.toml"
    path.write_text(textwrap.dedent(MENU), encoding="utf-8")
    return load_menu(path)


@pytest.fixture
def ctx(settings):
    return Ctx(None, settings, None, "s1", "fr", datetime(2026, 3, 11, tzinfo=UTC), {})  # type: ignore[arg-type]


def run(menu, ctx, *inputs: str):
    turn = begin(menu, ctx)
    for raw in inputs:
        turn = advance(menu, turn.state, raw, ctx)
    return turn


def test_first_screen_is_the_start_menu_without_back(menu, ctx):
    assert run(menu, ctx).reply.wire() == "CON Choose\n1 Animals\n2 Count"


def test_long_list_is_paged_by_size_and_numbers_continue(menu, ctx):
    first = run(menu, ctx, "1")
    assert first.reply.text.startswith("Animal:\n1 Animal number 01")
    assert first.reply.text.endswith("\n98 Suite\n0 Retour") and len(first.reply.text) <= 160
    shown = first.state.shown
    second = run(menu, ctx, "1", "98")
    assert second.reply.text.startswith(f"Animal:\n{shown + 1} Animal number {shown + 1:02d}")
    assert run(menu, ctx, "1", "98", "0").reply == first.reply
    assert run(menu, ctx, "1", "98", "0", "0").reply.text.startswith("Choose")


def test_last_page_has_no_more_and_98_there_is_an_error(menu, ctx):
    inputs = ["1"] + ["98"] * 20
    last = run(menu, ctx, *inputs)
    assert "\n40 Animal number 40" in last.reply.text and "98 Suite" not in last.reply.text
    assert last.reply.text.startswith("Choix invalide.\nAnimal:")


def test_choice_runs_the_action_and_its_result_picks_the_next_screen(menu, ctx, adopted):
    big = run(menu, ctx, "1", "2")
    assert big.reply.wire() == "END Big a2, ticket T1"
    assert run(menu, ctx, "1", "98", "9").reply.wire() == "END Small one"
    assert adopted == ["a2", "a9"]


def test_end_screen_stays_the_same_whatever_comes_after(menu, ctx, adopted):
    done = run(menu, ctx, "1", "2")
    assert advance(menu, done.state, "1", ctx).reply == done.reply
    assert adopted == ["a2"]


def test_invalid_input_keeps_the_screen_and_page_with_an_error_line(menu, ctx):
    page = run(menu, ctx, "1", "98")
    for wrong in ("41", "x", "", "٣", "1.5"):
        again = advance(menu, page.state, wrong, ctx)
        assert again.reply.text.startswith("Choix invalide.\nAnimal:\n")
        assert again.state.offset == page.state.offset
    assert run(menu, ctx, "2", "abc").reply.text == "Numbers only.\nHow many?\n0 Retour"


def test_main_menu_forgets_the_answers(menu, ctx):
    turn = run(menu, ctx, "2", "00")
    assert turn.state.screen == "main" and turn.state.answers == {} and turn.state.stack == []


def test_on_an_input_screen_98_is_a_value_and_0_goes_back(menu, ctx):
    assert run(menu, ctx, "2", "98").state.answers == {"mode": "count", "count": 98}
    assert run(menu, ctx, "2", "0").state.screen == "main"


def test_state_survives_a_trip_through_json(menu, ctx):
    turn = run(menu, ctx, "1", "98")
    restored = State.from_dict(json.loads(json.dumps(turn.state.to_dict())))
    assert advance(menu, restored, "9", ctx).reply == advance(menu, turn.state, "9", ctx).reply


def test_advance_leaves_the_given_state_unchanged(menu, ctx):
    turn = run(menu, ctx, "1")
    before = json.dumps(turn.state.to_dict())
    advance(menu, turn.state, "98", ctx)
    advance(menu, turn.state, "00", ctx)
    assert json.dumps(turn.state.to_dict()) == before


def test_the_main_menu_offers_the_dropped_flow_as_its_last_entry(menu, ctx):
    saved = run(menu, ctx, "1", "98").state
    offer = begin(menu, ctx, saved=saved)
    key = resume_key(menu)
    assert offer.reply.text.endswith(f"\n{key} Reprendre là où vous étiez")
    assert offer.reply.text.startswith(begin(menu, ctx).reply.text)  # the usual menu, then the offer
    assert advance(menu, offer.state, key, ctx).reply == run(menu, ctx, "1", "98").reply
    assert advance(menu, offer.state, "1", ctx).reply == run(menu, ctx, "1").reply  # "1" starts anew
    mistyped = advance(menu, offer.state, "7", ctx)
    assert mistyped.reply.text.startswith("Choix invalide.") and "Reprendre" in mistyped.reply.text


@pytest.mark.parametrize(
    ("category", "red_flag", "urgency"),
    [
        ("depression", None, "routine"),
        ("psychosis", None, "urgent"),
        ("epilepsy", None, "urgent"),
        ("self_harm", None, "urgent"),
        ("dementia", None, "routine"),
        ("depression", "self_harm", "emergency"),
        ("other", "seizure", "emergency"),
        ("child", "agitation", "emergency"),
    ],
)
def test_urgency_comes_from_red_flags_then_category(category, red_flag, urgency):
    assert urgency_for(category, red_flag) == urgency


@pytest.mark.parametrize(
    ("now", "week", "monday"),
    [
        (datetime(2026, 3, 11, 12, tzinfo=UTC), "this_week", date(2026, 3, 9)),
        (datetime(2026, 3, 15, 23, 59, tzinfo=UTC), "this_week", date(2026, 3, 9)),  # Sunday night
        (datetime(2026, 3, 16, 0, 0, tzinfo=UTC), "next_week", date(2026, 3, 23)),
        (datetime(2026, 3, 11, 12, tzinfo=UTC), "later", date(2026, 3, 23)),
    ],
)
def test_week_start_is_the_local_monday_of_the_chosen_week(now, week, monday):
    assert week_start_for(week, now, ZoneInfo("Africa/Bamako")) == monday


def test_week_start_follows_the_local_zone():
    # Sunday 23:30 UTC is already Monday in a zone ahead of UTC.
    sunday_night = datetime(2026, 3, 15, 23, 30, tzinfo=UTC)
    assert week_start_for("this_week", sunday_night, ZoneInfo("Africa/Lagos")) == date(2026, 3, 16)


def test_fill_shortens_the_longest_value_to_fit():
    text, clipped = fill("Visit to %(village)s, %(n)s", {"village": "Hamabangou " * 20, "n": 12}, 60)
    assert len(text) == 60 and text.endswith(".., 12") and not clipped


def test_gsm_converts_bambara_and_removes_line_breaks_from_names():
    assert gsm("Ɲɛnɛ\nkɔrɔ  ") == "Nyènè kòrò"


def test_lay_out_keeps_head_and_foot_and_pages_the_items():
    items = [f"{n} {'x' * 30}" for n in range(1, 10)]
    page = lay_out(["Title"], items, 0, "98 More", ["0 Back"])
    assert page.text.startswith("Title\n1 x") and page.text.endswith("\n98 More\n0 Back")
    assert len(page.text) <= 160 and page.shown == 4
