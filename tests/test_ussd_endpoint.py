"""The USSD callback over HTTP, as Africa's Talking calls it: raw form bodies, real Redis and database."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
import redis
from conftest import CALLBACK_TOKEN, free_port
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import event, func, select

from service.gsm7 import is_gsm7, measure
from service.models import (
    AlertStep,
    EmergencyAlert,
    FollowUp,
    OutboundMessage,
    Place,
    Referral,
    ReferralEvent,
    VisitRequest,
    Volunteer,
)
from service.references import unique_reference
from service.referrals.intake import week_start_for
from service.ussd import functions
from service.ussd.functions import VILLAGES_TTL_SECONDS
from service.ussd.registry import REGISTRY

MOUSSA = "+22376000001"  # French, GAO-A1: Baria, Bourem, Moudakane
AWA = "+22376123456"  # Bambara, TBK-A3 in Gourma-Rharous, whose first on-call is +22366123456
# Report a case: depression, woman, 34, first village, no danger sign, consent, own phone, number.
ROUTINE_CASE = "1*2*2*34*1*4*1*1*76543210"


def post(client, text: str, session: str = "ATUid_1", phone: str = MOUSSA, token: str = CALLBACK_TOKEN):
    body = (
        f"sessionId={session}&serviceCode=%2A384%2A5620%23&phoneNumber={quote(phone, safe='')}"
        f"&networkCode=63902&text={quote(text, safe='')}"
    )
    return client.post(f"/at/ussd?token={token}", data=body, content_type="application/x-www-form-urlencoded")


def screen(client, text: str, **kwargs) -> str:
    """The body of a successful answer, checked against what AT and the phone accept."""
    response = post(client, text, **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body[:4] in ("CON ", "END ")
    assert measure(body[4:]).length <= 160 and is_gsm7(body[4:])
    return body


def walk(client, steps: str, **kwargs) -> list[str]:
    """Post every prefix of `steps` as the phone does, from the first (empty) request on."""
    inputs = steps.split("*") if steps else []
    return [screen(client, "*".join(inputs[:n]), **kwargs) for n in range(len(inputs) + 1)]


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def redis_keys(settings) -> list[bytes]:
    return redis.Redis.from_url(settings.redis_url).keys("*")


@pytest.mark.parametrize("token", ["wrong", ""])
def test_wrong_or_missing_token_gets_403_and_records_nothing(client, demo, db, settings, token):
    response = post(client, "", token=token)
    assert response.status_code == 403
    assert redis_keys(settings) == []
    assert count(db, Referral) == 0


@pytest.mark.parametrize("field", ["sessionId", "serviceCode", "phoneNumber", "text"])
def test_missing_field_gets_400(client, demo, field):
    form = {"sessionId": "ATUid_1", "serviceCode": "*384#", "phoneNumber": MOUSSA, "text": ""}
    del form[field]
    response = client.post(f"/at/ussd?token={CALLBACK_TOKEN}", data=form)
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)


def test_malformed_phone_number_gets_400(client, demo):
    response = post(client, "", phone="12")
    assert response.status_code == 400
    assert "phoneNumber" in response.get_data(as_text=True)


def test_first_request_shows_the_main_menu_in_the_volunteers_language(client, demo):
    assert screen(client, "").startswith("CON Jigi : choisissez\n1 Signaler un cas\n")
    assert screen(client, "", session="ATUid_2", phone=AWA).startswith("CON Jigi: i ka sugandi\n")


def test_routine_case_is_recorded_once_with_a_reference(client, demo, db, settings):
    screens = walk(client, ROUTINE_CASE)
    assert "Dépression, femme, 34 ans, Baria. Danger : aucun. Son tél. +22376543210" in screens[-1]
    done = screen(client, ROUTINE_CASE + "*1")
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        assert done == f"END Cas enregistré : {referral.reference}. L'équipe de santé va le suivre. Merci."
        assert (referral.category, referral.sex, referral.age, referral.red_flag) == (
            "depression",
            "F",
            34,
            None,
        )
        assert (referral.urgency, referral.status, referral.channel) == ("routine", "new", "ussd")
        assert (referral.consent, referral.contact_phone, referral.phone_shared) == (
            True,
            "+22376543210",
            False,
        )
        assert referral.place.code == "GAO-V02" and referral.volunteer.phone == MOUSSA
        assert referral.session_id == "ATUid_1" and referral.created_at.utcoffset() == timedelta(0)
        assert session.scalar(select(func.count()).select_from(EmergencyAlert)) == 0
    assert redis.Redis.from_url(settings.redis_url).get(f"jigi:ussd:resume:{MOUSSA}") is None


def test_urgent_category_without_danger_sign_is_urgent(client, demo, db):
    walk(client, "1*3*1*19*2*4*1*3*1")  # psychosis, man, 19, Bourem, no sign, consent, no phone, confirm
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.urgency, referral.consent, referral.contact_phone) == ("urgent", True, None)


def test_refused_consent_records_the_referral_without_contact(client, demo, db):
    screens = walk(client, "1*8*1*50*3*4*2")
    assert "Pas d'accord : aucun contact gardé." in screens[-1]
    screen(client, "1*8*1*50*3*4*2*1")
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.consent, referral.contact_phone, referral.phone_shared) == (False, None, None)


def test_emergency_alerts_the_oncall_clinician_with_neutral_words(client, demo, db, settings):
    # Awa: self-harm/suicide, woman, 16, first village, thoughts or act of self-harm, consent, shared phone.
    steps = "1*1*2*16*1*1*1*2*76543210*1"
    done = walk(client, steps, phone=AWA)[-1]
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        alert = session.scalars(select(EmergencyAlert)).one()
        message = session.scalars(select(OutboundMessage)).one()
        assert (referral.urgency, referral.red_flag, referral.phone_shared) == (
            "emergency",
            "self_harm",
            True,
        )
        assert alert.referral_id == referral.id
        assert session.scalar(select(func.count()).select_from(AlertStep)) == 1
        assert (message.kind, message.recipient, message.alert_id) == (
            "emergency_alert",
            "+22366123456",
            alert.id,
        )
        assert message.params == {
            "reference": referral.reference,
            "village": "Bambara-Maoudé",
            "volunteer_phone": AWA,
        }
        escalates_after = alert.next_escalation_at - alert.created_at
        assert round(escalates_after.total_seconds() / 60) == settings.alert_escalate_minutes
    assert done.startswith(f"END KABAKOJUGU {referral.reference}: dèmèbagaw welela.")
    assert settings.hotline in done


def test_visit_request_is_recorded_for_the_monday_of_the_chosen_week(client, demo, db, settings):
    screens = walk(client, "2*3*25*2")
    assert screens[-1].startswith("CON Visite à Moudakane pour 25 pers., semaine prochaine (semaine du ")
    done = screen(client, "2*3*25*2*1")
    with db.session() as session:
        visit = session.scalars(select(VisitRequest)).one()
        assert done.startswith(f"END Demande {visit.reference} enregistrée.")
        assert visit.reference.startswith("V") and visit.place.code == "GAO-V03"
        assert (visit.people_waiting, visit.preferred_week, visit.status) == (25, "next_week", "open")
        assert visit.week_start == week_start_for("next_week", visit.created_at, settings.tz)
        assert visit.week_start.weekday() == 0
        assert (visit.session_id, visit.channel, visit.volunteer.phone) == ("ATUid_1", "ussd", MOUSSA)


@pytest.mark.parametrize("people", ["0x", "501", "-3", "deux"])
def test_people_waiting_out_of_range_is_refused(client, demo, people):
    assert screen(client, f"2*1*{people}").startswith("CON Entrez un nombre de 1 à 500.\nCombien")


def test_followup_seen_at_facility_marks_the_referral_seen(client, demo, db):
    walk(client, ROUTINE_CASE + "*1")
    with db.session() as session:
        reference = session.scalars(select(Referral.reference)).one()
    listed = screen(client, "3", session="ATUid_2")
    assert f"1 {reference} " in listed and listed.endswith("nouveau\n0 Retour")
    detail = screen(client, "3*1", session="ATUid_2")
    assert detail.startswith(f"CON {reference} du ") and "1 Vu au centre de santé" in detail
    done = screen(client, "3*1*1", session="ATUid_2")
    assert done == f"END Suivi de {reference} enregistré. Merci."
    with db.session() as session:
        followup = session.scalars(select(FollowUp)).one()
        assert (followup.outcome, followup.session_id, followup.channel) == (
            "seen_at_facility",
            "ATUid_2",
            "ussd",
        )
        assert session.scalars(select(Referral.status)).one() == "seen"
        events = session.execute(select(ReferralEvent.kind, ReferralEvent.detail, ReferralEvent.actor)).all()
        assert sorted(events) == [("followup", "seen_at_facility", MOUSSA), ("seen", "followup", MOUSSA)]


def test_followup_not_found_keeps_the_status(client, demo, db):
    walk(client, ROUTINE_CASE + "*1")
    screen(client, "3*1*3", session="ATUid_2")
    with db.session() as session:
        assert session.scalars(select(FollowUp.outcome)).one() == "not_found"
        assert session.scalars(select(Referral.status)).one() == "new"


def test_my_referrals_when_there_are_none(client, demo):
    assert screen(client, "3") == "CON Vous n'avez pas encore de signalement.\n0 Retour"


def test_language_switch_is_remembered_and_the_session_continues(client, demo, db):
    assert screen(client, "4*2").startswith("CON Jigi: i ka sugandi\n1 Banabagatò laseli")
    assert screen(client, "4*2*5").startswith("END Jigi dèmè:")
    with db.session() as session:
        assert session.scalars(select(Volunteer.language).where(Volunteer.phone == MOUSSA)).one() == "bm"
    assert screen(client, "", session="ATUid_2").startswith("CON Jigi: i ka sugandi")
    assert screen(client, "4*1", session="ATUid_2").startswith("CON Jigi : choisissez")


def test_help_says_whom_to_call(client, demo, settings):
    assert screen(client, "5") == (
        f"END Aide Jigi : appelez le {settings.hotline}. Dans les menus : 0 retour, 00 menu, 98 suite."
    )


def test_back_and_main_menu_navigation(client, demo):
    main = screen(client, "")
    assert screen(client, "1*0") == main
    assert screen(client, "1*2*0").startswith("CON Type de problème :")
    assert screen(client, "1*2*2*00") == main
    # On the age screen 0 is an age; 00 still goes to the main menu.
    assert screen(client, "1*2*2*0").startswith("CON Village :")


def test_invalid_input_shows_the_same_screen_with_an_error_line(client, demo):
    menu = screen(client, "1*2")
    for wrong in ("7", "abc", "", "98"):
        again = screen(client, f"1*2*{wrong}")
        assert again == "CON Choix invalide.\n" + menu[4:]
    too_old = screen(client, "1*2*2*121")
    assert too_old.startswith("CON Entrez un nombre d'années, de 0 à 120.\nNombre d'années")
    assert screen(client, "1*2*2*34*1*4*1*1*12").startswith("CON Numéro invalide. Exemple : 76123456\n")


def test_more_shows_the_next_page_of_a_long_village_list(client, demo, db):
    with db.session() as session:
        area = session.scalars(select(Place).where(Place.code == "GAO-A1")).one()
        for n in range(30):
            session.add(
                Place(
                    code=f"GAO-X{n:02d}",
                    name=f"Village de la vallée numéro {n:02d}",
                    level="village",
                    parent=area,
                )
            )
    first = screen(client, "1*2*2*34")
    assert first.endswith("98 Suite\n0 Retour")
    shown = first.count("\n") - 2
    second = screen(client, "1*2*2*34*98")
    assert second.startswith(f"CON Village :\n{shown + 1} ")
    assert screen(client, "1*2*2*34*98*0") == first
    # A number from the second page selects that village.
    assert screen(client, f"1*2*2*34*98*{shown + 1}").startswith("CON Signes de danger maintenant ?")


def test_village_list_is_kept_a_minute_then_read_again(client, demo, db, monkeypatch):
    def villages_screen(session_id: str) -> str:
        shown = walk(client, "1*2*2*34", session=session_id)[-1]
        screen(client, "1*2*2*34*00", session=session_id)  # back to the start: no flow left to continue
        return shown

    first = villages_screen("ATUid_1")
    assert first.startswith("CON Village :") and "Zanga" not in first
    with db.session() as session:
        area = session.scalars(select(Place).where(Place.code == "GAO-A1")).one()
        session.add(Place(code="GAO-VZ", name="Zanga", level="village", parent=area))
    assert villages_screen("ATUid_2") == first
    later = time.monotonic() + VILLAGES_TTL_SECONDS + 1
    monkeypatch.setattr(functions, "clock", lambda: later)
    assert "Zanga" in villages_screen("ATUid_3")


def test_only_the_first_screen_and_the_recording_step_touch_the_database(client, demo, db):
    statements: list[str] = []

    def counted(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.split()[0])

    walk(client, "1*2*2*34")  # the village list is read once, then kept a minute
    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        by_step = []
        for text in ["", "1", "1*2", "1*2*2", "1*2*2*34", "1*2*2*34*1", "1*2*2*34*1*4", "1*2*2*34*1*4*2"]:
            statements.clear()
            screen(client, text, session="ATUid_db")
            by_step.append(list(statements))
        statements.clear()
        assert screen(client, "1*2*2*34*1*4*2*1", session="ATUid_db").startswith("END ")
        recorded = list(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert by_step == [["SELECT"]] + [[]] * 7  # the caller, then the session's state in Redis alone
    assert "INSERT" in recorded and count(db, Referral) == 1


@pytest.mark.parametrize("phone", ["+22376999999", "+22376000002"])
def test_unknown_or_deactivated_caller_is_told_whom_to_call_in_both_languages(
    client, demo, db, settings, phone
):
    with db.session() as session:
        session.scalars(select(Volunteer).where(Volunteer.phone == "+22376000002")).one().active = False
    body = screen(client, "", phone=phone)
    assert body == (
        f"END Ce numéro n'a pas accès à Jigi. Appelez le {settings.hotline}.\n"
        f"Nin nimòrò tè se ka Jigi kè. {settings.hotline} wele."
    )
    assert screen(client, "1*2", phone=phone) == body
    assert redis_keys(settings) == []


def test_repeated_request_returns_the_same_screen_and_writes_once(client, demo, db):
    walk(client, ROUTINE_CASE)
    first = screen(client, ROUTINE_CASE + "*1")
    assert screen(client, ROUTINE_CASE + "*1") == first
    assert screen(client, ROUTINE_CASE) != first  # an earlier text of the session is answered as before
    assert count(db, Referral) == 1


def post_together(app, text: str, session: str, times: int = 2) -> list[str]:
    """Post the same request from `times` threads released at the same moment."""
    barrier = threading.Barrier(times)
    bodies: list[str] = []

    def send() -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        bodies.append(post(client, text, session=session).get_data(as_text=True))

    threads = [threading.Thread(target=send) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return bodies


def test_concurrent_duplicate_final_step_writes_once(app, demo, db):
    for round_ in range(4):
        session = f"ATUid_race{round_}"
        walk(app.test_client(), ROUTINE_CASE, session=session)
        bodies = post_together(app, ROUTINE_CASE + "*1", session)
        assert len(bodies) == 2 and bodies[0] == bodies[1] and bodies[0].startswith("END Cas enregistré")
    assert count(db, Referral) == 4


def test_dropped_session_can_continue_within_ten_minutes(client, demo, db, settings):
    dropped = walk(client, "1*2*2*34*1", session="ATUid_A")[-1]
    offer = screen(client, "", session="ATUid_B")
    assert offer.startswith("CON Jigi : choisissez") and offer.endswith("\n6 Reprendre là où vous étiez")
    ttl = redis.Redis.from_url(settings.redis_url).ttl(f"jigi:ussd:resume:{MOUSSA}")
    assert 0 < ttl <= 600
    assert screen(client, "6", session="ATUid_B") == dropped
    for text in ("6*4", "6*4*1", "6*4*1*3", "6*4*1*3*1"):
        screen(client, text, session="ATUid_B")
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.session_id, referral.age, referral.place.code) == ("ATUid_B", 34, "GAO-V02")
    assert "Reprendre" not in screen(client, "", session="ATUid_C")


def test_a_hung_up_offer_is_offered_again_on_the_next_call(client, demo):
    walk(client, "2*1", session="ATUid_A")
    assert "Reprendre" in screen(client, "", session="ATUid_B")  # hung up again on the main menu
    assert "Reprendre" in screen(client, "", session="ATUid_C")


@pytest.mark.parametrize(
    "phone, done", [(MOUSSA, "END Cas enregistré : R"), (AWA, "END Laseli sèbènna: R")], ids=["fr", "bm"]
)
def test_a_volunteer_who_redials_and_types_by_habit_reports_a_new_case(client, demo, db, phone, done):
    walk(client, "1*2*2*34*1", session="ATUid_A", phone=phone)  # dropped mid-report, in another village

    screens = walk(client, ROUTINE_CASE + "*1", session="ATUid_B", phone=phone)

    assert screens[-1].startswith(done), screens[-1]
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.session_id, referral.category, referral.age) == ("ATUid_B", "depression", 34)
    assert "Reprendre" not in screen(client, "", session="ATUid_C", phone=phone)


def test_flushed_redis_mid_session_still_works_by_replaying_the_text(client, demo, db, settings):
    walk(client, ROUTINE_CASE)
    redis.Redis.from_url(settings.redis_url).flushdb()
    assert screen(client, ROUTINE_CASE + "*1").startswith("END Cas enregistré : R")
    redis.Redis.from_url(settings.redis_url).flushdb()
    again = screen(client, ROUTINE_CASE + "*1")
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.age, referral.contact_phone, referral.place.code) == (34, "+22376543210", "GAO-V02")
    assert referral.reference in again


def test_unexpected_error_answers_a_polite_end_screen(client, demo, monkeypatch, caplog):
    def broken(ctx):
        raise RuntimeError("database went away")

    monkeypatch.setitem(REGISTRY["source"], "villages", broken)
    response = post(client, "1*2*2*34")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == (
        "END Désolé, un problème est survenu. Rappelez plus tard.\n"
        "Hakèto, gèlèya dò donna. I ka segin ka wele kòfè."
    )
    assert "USSD request failed" in caplog.text


def test_without_redis_the_session_still_works_by_replaying_the_text(app, demo, db, caplog):
    port = free_port()
    app.extensions["jigi.redis"] = redis.Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0))
    client = app.test_client()
    screens = walk(client, ROUTINE_CASE + "*1")
    assert screens[0].startswith("CON Jigi : choisissez") and screens[-1].startswith("END Cas enregistré")
    assert screen(client, ROUTINE_CASE + "*1") == screens[-1]
    assert count(db, Referral) == 1
    assert "Redis did not answer (reading the session)" in caplog.text


def test_reference_taken_by_another_session_meanwhile_is_drawn_again(client, demo, db, monkeypatch):
    walk(client, ROUTINE_CASE, session="ATUid_first")
    screen(client, ROUTINE_CASE + "*1", session="ATUid_first")
    with db.session() as session:
        taken = session.scalars(select(Referral.reference)).one()
    draws = iter([taken])  # as if another session inserted this code after our check

    def racing_reference(session, model, prefix):
        return next(draws, None) or unique_reference(session, model, prefix)

    monkeypatch.setattr("service.referrals.intake.unique_reference", racing_reference)
    walk(client, ROUTINE_CASE, session="ATUid_second")
    done = screen(client, ROUTINE_CASE + "*1", session="ATUid_second")
    with db.session() as session:
        second = session.scalars(select(Referral).where(Referral.session_id == "ATUid_second")).one()
    assert second.reference != taken and done.startswith(f"END Cas enregistré : {second.reference}.")


def test_visit_reference_taken_by_another_session_meanwhile_is_drawn_again(client, demo, db, monkeypatch):
    walk(client, "2*3*25*2", session="ATUid_first")
    screen(client, "2*3*25*2*1", session="ATUid_first")
    with db.session() as session:
        taken = session.scalars(select(VisitRequest.reference)).one()
    draws = iter([taken])  # as if another session inserted this code after our check

    def racing_reference(session, model, prefix):
        return next(draws, None) or unique_reference(session, model, prefix)

    monkeypatch.setattr("service.referrals.intake.unique_reference", racing_reference)
    walk(client, "2*3*25*2", session="ATUid_second")
    done = screen(client, "2*3*25*2*1", session="ATUid_second")
    with db.session() as session:
        second = session.scalars(select(VisitRequest).where(VisitRequest.session_id == "ATUid_second")).one()
    assert second.reference != taken and done.startswith(f"END Demande {second.reference} enregistrée.")
    assert count(db, VisitRequest) == 2


@pytest.mark.parametrize(
    ("phone", "first", "last"),
    [(MOUSSA, "1 Suicide, se blesser", "8 Autre"), (AWA, "1 Yèrèmadimi/yèrèfaga", "8 Gèlèya wèrè")],
)
def test_self_harm_comes_first_and_every_category_fits_on_the_first_screen(client, demo, phone, first, last):
    lines = screen(client, "1", phone=phone).splitlines()
    numbered = [line for line in lines if line[:1].isdigit() and not line.startswith(("0 ", "98 "))]
    assert numbered[0] == first and numbered[-1] == last and len(numbered) == 8
    assert not any(line.startswith("98 ") for line in lines)
