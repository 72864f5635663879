"""Every screen of every menu, in both languages, fits a basic phone: GSM-7 only, at most 160 characters.

The engine is driven directly (no HTTP) over a health area with very long village names, many villages
and many referrals, trying every option, every page, back, main menu and wrong input on each screen.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.db import OnDemandSession
from service.gsm7 import is_gsm7, measure
from service.i18n import LANGUAGES
from service.models import CATEGORIES, HealthWorker, Place, Referral, Volunteer
from service.people import add_oncall, add_volunteer
from service.ussd.engine import MORE, Reply, State, advance, begin
from service.ussd.handler import FAILED, NOT_REGISTERED, bilingual
from service.ussd.menu import InputScreen, ListScreen, MenuScreen, load_menus
from service.ussd.registry import Ctx

NOW = datetime(2026, 3, 11, 9, 30, tzinfo=UTC)
LONGEST_NAME = "Tin-Aïcha " + "Kel Ansar Hamabangou Bellafarandi " * 4
PHONE = "+22376555555"
WORKER = "+22376555556"  # the area's health worker, with consultations on NOW's day
# Values that make the longest screens come first; wrong values check the error lines.
INPUTS = {"age": ["120", "121"], "people_waiting": ["500", "0x"], "phone": ["76123456", "12"]}
# Answers whose value only changes a name or a number on later screens: one value is enough.
FREE_ANSWERS = {"age", "people", "contact_phone", "village", "referral", "reference"}


@pytest.fixture
def crowded_area(db, settings):
    """A health area with 60 villages (one with a 120-character name) and 40 referrals of one volunteer."""
    with db.session() as session:
        region = Place(code="XR", name="Région de Tombouctou", level="region")
        district = Place(code="XD", name="Gourma-Rharous", level="district", parent=region)
        area = Place(code="XA", name="Aire de santé de Hamzakoma", level="area", parent=district)
        session.add_all([region, district, area])
        villages = [
            Place(
                code=f"XV{n:02d}",
                name=f"Hamabangou-Bellafarandi-Koriomé {n:02d}",
                level="village",
                parent=area,
            )
            for n in range(59)
        ]
        villages.append(Place(code="XV99", name=LONGEST_NAME[:120], level="village", parent=area))
        session.add_all(villages)
        session.flush()
        volunteer = add_volunteer(session, PHONE, "Aminata Dicko", "fr", "XA")
        add_oncall(session, "+22366555555", "Dr Maïga", "XD")
        for n in range(40):
            session.add(
                Referral(
                    reference=f"R{n:05d}",
                    volunteer=volunteer,
                    place=villages[-1],
                    category=CATEGORIES[n % 8],
                    sex="F",
                    age=40,
                    urgency="routine",
                    consent=False,
                    status="appointment_set",
                    created_at=NOW - timedelta(days=n),
                )
            )
        _todays_consultations(session, settings)


def _todays_consultations(session, settings) -> None:
    """The area's health worker with twelve consultations on NOW's day, some past and some to come."""
    from datetime import time

    from service.care.patients import add_patient
    from service.consults.booking import book
    from service.consults.people import add_health_worker, add_specialist
    from service.consults.sessions import add_session
    from service.timeutil import at_local

    add_health_worker(session, WORKER, "Aminata Maïga", "XA", "fr")
    specialist = add_specialist(session, "+22376555557", "Dr Traoré")
    day = NOW.astimezone(settings.tz).date()
    add_session(session, specialist, first_date=day, starts=time(8), ends=time(14), area_codes=["XA"])
    area = session.scalars(select(Place).where(Place.code == "XA")).one()
    for n in range(12):
        patient = add_patient(session, f"+2237650{n:04d}", "fr")
        starts = at_local(day, time(8 + n // 2, 30 * (n % 2)), settings.tz)
        book(
            session, settings, patient=patient, specialist=specialist, area=area, starts_at=starts,
            now=NOW - timedelta(days=1),
        )  # fmt: skip


def check(reply: Reply, where: str) -> None:
    text = reply.text
    assert measure(text).length <= 160, f"{where}: {measure(text).length} characters\n{text}"
    assert is_gsm7(text), f"{where}: not GSM-7: {text!r}"
    assert not reply.clipped and "%(" not in text and text.strip(), f"{where}: {text!r}"


# Back, main menu and nonsense lead to screens the walk reaches anyway: their answer is checked, not walked.
DEAD_ENDS = ("0", "00", "x")


def inputs_for(menu, state: State) -> list[str]:
    """What to type on this screen to go on: every option (the longest first), 98, valid and wrong values."""
    screen = menu.screens[state.screen]
    if isinstance(screen, InputScreen):
        return INPUTS[screen.validator]
    count = len(screen.options) if isinstance(screen, MenuScreen) else len(state.items)
    numbers = list(range(1, count + 1))
    if isinstance(screen, ListScreen):
        numbers.sort(key=lambda n: -len(state.items[n - 1][1]))
        if count > 10:
            numbers = [numbers[0], 1, count]
    return [str(n) for n in numbers] + [MORE]


def signature(state: State) -> tuple:
    answers = tuple(sorted((k, str(v)) for k, v in state.answers.items() if k not in FREE_ANSWERS))
    return state.screen, state.language, state.offset, answers


def test_every_screen_of_every_menu_fits_a_phone_in_both_languages(db, settings, crowded_area):
    with OnDemandSession(db) as sessions:
        session = sessions.get()
        volunteer = session.scalars(select(Volunteer).where(Volunteer.phone == PHONE)).one()
        worker = session.scalars(select(HealthWorker).where(HealthWorker.phone == WORKER)).one()
        callers = {"volunteer": volunteer, "health_worker": worker}
        # A trainee's emergency ends on a screen of its own; the health workers' menu has no language
        # screen, so it is walked in each language.
        variants = {
            "volunteer": [(False, "fr"), (True, "fr")],
            "health_worker": [(False, "fr"), (False, "bm")],
        }

        for name, menu in load_menus().items():
            caller = callers[name]

            def ctx(caller=caller) -> Ctx:
                return Ctx(sessions, settings, caller, f"walk-{uuid.uuid4().hex}", caller.language, NOW, {})

            visited = set()
            for training, language in variants[name]:
                caller.training = training
                caller.language = language
                first = begin(menu, ctx())
                queue, seen = deque([first]), {signature(first.state)}
                while queue:
                    turn = queue.popleft()
                    state = turn.state
                    check(turn.reply, f"{name}.{state.screen} ({state.language})")
                    visited.add((state.language, state.screen))
                    if turn.reply.end:
                        continue
                    for raw in DEAD_ENDS:
                        check(advance(menu, state, raw, ctx()).reply, f"{name}.{state.screen} + {raw}")
                    for raw in inputs_for(menu, state):
                        following = advance(menu, state, raw, ctx())
                        if following.state.error is not None:
                            check(following.reply, f"{name}.{state.screen} + {raw}")
                        elif signature(following.state) not in seen:
                            seen.add(signature(following.state))
                            queue.append(following)
            assert visited == {(language, screen) for language in LANGUAGES for screen in menu.screens}


def test_the_offer_to_continue_fits_in_both_languages(db, settings, crowded_area):
    menu = load_menus()["volunteer"]
    with OnDemandSession(db) as sessions:
        session = sessions.get()
        volunteer = session.scalars(select(Volunteer).where(Volunteer.phone == PHONE)).one()
        for language in LANGUAGES:
            ctx = Ctx(sessions, settings, volunteer, "s", language, NOW, {})
            turn = begin(menu, ctx, saved=State(screen="village", language=language))
            check(turn.reply, f"resume ({language})")
            last = "Reprendre là où vous étiez" if language == "fr" else "Taa nyèfè i jòlen yòrò la"
            assert turn.reply.text.endswith(f"\n6 {last}"), turn.reply.text


@pytest.mark.parametrize("message", [NOT_REGISTERED, FAILED])
def test_screens_for_callers_of_unknown_language_fit_in_both_languages(settings, message):
    reply = bilingual(message, hotline=settings.hotline)
    check(reply, message)
    assert reply.end and reply.text.count("\n") == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_danger_signs_and_main_menu_show_every_option_on_one_page(db, settings, crowded_area, language):
    menu = load_menus()["volunteer"]
    with OnDemandSession(db) as sessions:
        session = sessions.get()
        volunteer = session.scalars(select(Volunteer).where(Volunteer.phone == PHONE)).one()
        ctx = Ctx(sessions, settings, volunteer, "s", language, NOW, {})
        main = begin(menu, ctx)
        assert f"\n{len(menu.screens['main'].options)} " in main.reply.text and MORE not in main.reply.text
        state = replace(main.state, screen="age", stack=["main", "category", "sex"])
        village = advance(menu, state, "30", ctx)
        danger = advance(menu, village.state, "1", ctx)
        assert danger.state.screen == "red_flag"
        assert "\n4 " in danger.reply.text and f"\n{MORE} " not in danger.reply.text
