"""A coordinator works the console in French without meeting English: statuses, events, steps, roles,
languages, alerts and error pages are named in French, numbers written the French way."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from console_support import console_page_paths, make_consultation, make_referral, make_visit_request, sign_in
from markupsafe import escape
from sqlalchemy import select

from service import system_alerts, translations
from service.care.patients import add_patient
from service.console import labels
from service.i18n import gettext
from service.models import InboundMessage, OutboundMessage, Place, Referral, ReferralEvent, User, Volunteer
from service.outbox import details
from service.outbox.lifecycle import record_events
from service.referrals import triage
from service.referrals.alerts import raise_emergency_alert
from service.system_alerts import AlertKind
from service.timeutil import utcnow

# Codes stored in the database that must never reach a French page as they are.
ENGLISH = (
    "queued",
    "sending",
    "scheduled",
    "contacted",
    "appointment_set",
    "followup",
    "alerted",
    "escalated",
    "other",
    "unknown_sends",
    "gateway_config",
    "admin",
    "coordinator",
    "fr",
    "bm",
    "Forbidden",
    "Not Found",
)


def shown_codes(page: str) -> list[str]:
    """The codes of ENGLISH that a page shows as a whole text: a cell, a label, a bracketed word."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)
    found = []
    for code in ENGLISH:
        if re.search(rf">\s*{re.escape(code)}\s*<|\({re.escape(code)}\)|— {re.escape(code)} ", text):
            found.append(code)
    return found


@pytest.fixture
def records(app, db, demo, settings):
    """A referral contacted with an emergency alert, a patient, an SMS with its history, an SMS received
    and an open system alert: data in the states the pages show."""
    referral = make_referral(db, reference="R7K2", urgency="emergency")
    with db.session() as session:
        item = session.get(Referral, referral.id)
        raise_emergency_alert(session, item, timedelta(minutes=5))
        triage.mark_contacted(session, settings, item, "admin@jigi.ml")
        patient = add_patient(session, "+22376123456", "bm")
        message = session.scalars(select(OutboundMessage)).first()
        record_events(session, [message.id], "queued", utcnow(), "attempt 1")
        record_events(session, [message.id], "sending", utcnow(), None)
        session.add(
            InboundMessage(
                at_id="A1",
                sender="+22376123456",
                text="Bonjour",
                normalized="BONJOUR",
                kind="other",
                handled=False,
            )
        )
        system_alerts.raise_alert(session, AlertKind.UNKNOWN_SENDS, "Some SMS may or may not have been sent.")
        patient_id = patient.id
    consult = make_consultation(db, settings, patient_id, referral.id)
    return {"referral": referral.id, "patient": patient_id, "message": message.id, "consult": consult}


# The translations page lists French texts by design; the SMS area's holds no console word.
QUERIES = {
    "/console/translations": "?in=bm&area=sms",
    "/console/translations/edit": "?in=bm&m=Jigi%3A+choose",
}


def every_page(app, client, db, records) -> dict[str, str]:
    """Every console page a GET opens (the URL map's), rendered with the records in their states."""
    with db.session() as session:
        ids = {f"{name}_id": value for name, value in records.items() if name != "consult"}
        ids["reference"] = records["consult"]
        ids["volunteer_id"] = session.scalars(select(Volunteer.id)).first()
        ids["user_id"] = session.scalars(select(User.id)).first()
    paths = console_page_paths(app, ids)
    assert len(paths) >= 20
    return {path: client.get(path + QUERIES.get(path, "")).get_data(as_text=True) for path in paths}


def test_every_page_names_codes_in_french(app, client, db, records):
    sign_in(app, client, db, "admin")

    pages = every_page(app, client, db, records)

    assert {url: codes for url, page in pages.items() if (codes := shown_codes(page))} == {}
    referral_page = pages[f"/console/referrals/{records['referral']}"]
    assert "Médecin de garde alerté" in referral_page and "Contacté" in referral_page
    assert "SMS peut-être envoyés" in pages["/console/"]
    assert "Bamanankan" in pages[f"/console/patients/{records['patient']}"]


def test_error_pages_are_in_french(app, client, db):
    sign_in(app, client, db, "coordinator")

    forbidden = client.get("/console/users")
    missing = client.get("/console/patients/999999")

    assert forbidden.status_code == 403 and "Accès refusé" in forbidden.get_data(as_text=True)
    assert missing.status_code == 404 and "Page introuvable" in missing.get_data(as_text=True)


def test_the_login_page_offers_bambara_and_keeps_where_it_leads(client, db):
    page = client.get("/console/login?next=/console/rounds").get_data(as_text=True)

    assert 'href="/console/login?next=/console/rounds&amp;lang=bm"' in page and ">Bamanankan<" in page
    bambara = client.get("/console/login?next=/console/rounds&lang=bm").get_data(as_text=True)
    assert '<html lang="bm">' in bambara


def test_dates_times_rates_and_titles_read_in_french(app, client, db, demo, settings):
    from service.referrals.rounds import plan_round

    make_visit_request(db, reference="V7K5", village="TBK-V09")
    with db.session() as session:
        village = session.scalar(select(Place.id).where(Place.code == "TBK-V09"))
        plan_round(
            session, unit="Équipe 1", visit_date=date(2026, 12, 9), place_ids=[village], actor="a@jigi.ml"
        )
    sign_in(app, client, db, "coordinator")

    rounds = client.get("/console/rounds").get_data(as_text=True)
    editor = client.get("/console/templates/referral_ack").get_data(as_text=True)
    dashboard = client.get("/console/").get_data(as_text=True)

    assert "9 déc. 2026" in rounds and "2026-12-09" not in rounds
    assert "<title>Modèle : " in editor and "referral_ack</title>" not in editor
    assert "0.0 %" not in dashboard


def test_one_person_contacted_is_singular(app, client, db, demo, settings):
    referral = make_referral(db, reference="R7K3", created_at=utcnow() - timedelta(hours=3))
    with db.session() as session:
        triage.mark_contacted(session, settings, session.get(Referral, referral.id), "admin@jigi.ml")
    sign_in(app, client, db, "coordinator")

    page = client.get("/console/").get_data(as_text=True)

    assert "1 contacté" in page and "1 contactés" not in page


@pytest.mark.parametrize("detail", details.DETAILS, ids=lambda detail: detail.english)
def test_every_history_line_the_code_stores_reads_in_french(app, client, db, records, detail):
    values = {name: "X1" for name in details.PLACEHOLDER.findall(detail.english)}
    with db.session() as session:
        record_events(session, [records["message"]], "failed", utcnow(), detail.text(**values))
    sign_in(app, client, db, "coordinator")

    page = client.get(f"/console/messages/{records['message']}").get_data(as_text=True)

    assert escape(detail.english % values) not in page
    assert escape(gettext("fr", detail.french, **values)) in page


def test_a_gateways_own_words_are_shown_as_they_came(app, client, db, records):
    with db.session() as session:
        record_events(session, [records["message"]], "failed", utcnow(), "InvalidPhoneNumber")
    sign_in(app, client, db, "coordinator")

    assert ">InvalidPhoneNumber<" in client.get(f"/console/messages/{records['message']}").get_data(
        as_text=True
    )


def test_every_system_alert_says_what_to_do_in_french(app, client, db):
    kinds = set(AlertKind)
    with db.session() as session:
        for kind in kinds:
            system_alerts.raise_alert(session, kind, "technical words")
    sign_in(app, client, db, "coordinator")

    page = client.get("/console/").get_data(as_text=True)

    assert set(labels.SYSTEM_ALERT) == set(labels.SYSTEM_ALERT_ACTION) == kinds
    shown = [kind for kind in kinds if escape(gettext("fr", labels.SYSTEM_ALERT_ACTION[kind])) in page]
    assert len(shown) == 5 and AlertKind.NO_ONCALL in shown
    assert f"Et {len(kinds) - 5} autres alertes ouvertes" in page


def test_a_referral_history_names_the_outcome_and_the_appointment_in_french(app, client, db, demo, settings):
    referral = make_referral(db, reference="R7K4")
    with db.session() as session:
        item = session.get(Referral, referral.id)
        session.add(
            ReferralEvent(referral_id=item.id, kind="followup", detail="better", actor="+22376000001")
        )
        session.add(ReferralEvent(referral_id=item.id, kind="seen", detail="followup", actor="+22376000001"))
        session.add(
            ReferralEvent(
                referral_id=item.id, kind="appointment_set", detail="P7K4 2026-12-02T09:00:00+00:00"
            )
        )
    sign_in(app, client, db, "coordinator")

    page = client.get(f"/console/referrals/{referral.id}").get_data(as_text=True)

    assert ">Va mieux<" in page and ">d&#39;après le suivi du relais<" in page
    assert ">P7K4, 2 déc. 2026 09:00<" in page and ">better<" not in page


def untranslated(page: str) -> list[str]:
    """The French console words a Bambara page shows as they are (a word Bambara writes the same way, such
    as SMS, is not counted; the language switch names French in French)."""
    catalog = {row.msgid: row.text for row in translations.shipped("bm") if row.area == "console"}
    french = {msgid for msgid, text in catalog.items() if text != msgid}
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>|<a class=\"lang\"[^>]*>[^<]*</a>", "", page, flags=re.S)
    shown = {unescape(node).strip() for node in re.findall(r">([^<>]+)<", text)}
    return sorted(shown & french)


def test_every_console_page_reads_in_bambara(app, client, db, records):
    sign_in(app, client, db, "admin")
    client.get("/console/?lang=bm")

    pages = every_page(app, client, db, records)
    found = {url: untranslated(page) + shown_codes(page) for url, page in pages.items()}

    assert {url: words for url, words in found.items() if words} == {}
    assert "Kunnafoni lajɛlen" in pages["/console/"]


def test_every_console_word_has_a_bambara_text():
    missing = [row.msgid for row in translations.shipped("bm") if row.area == "console" and not row.text]

    assert missing == []


def test_a_time_in_a_history_line_is_a_local_time(app, client, db, records):
    with db.session() as session:
        stored = details.QUIET_HOURS.text(when="2026-12-01T07:00:00+00:00")
        record_events(session, [records["message"]], "scheduled", utcnow(), stored)
    sign_in(app, client, db, "coordinator")

    page = client.get(f"/console/messages/{records['message']}").get_data(as_text=True)

    assert "heures de repos : attend jusqu&#39;au 1 déc. 2026 07:00" in page
