"""The console in Chromium: log in, edit a template with its live counter, triage an emergency into an
appointment, plan a round. Screenshots of the main pages go to $JIGI_SCREENSHOTS when it is set
(`make screenshots` refreshes docs/screenshots/ for the README), else to a temporary folder."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from console_support import (
    PASSWORD,
    console_page_paths,
    make_consultation,
    make_referral,
    make_user,
    make_visit_request,
)
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from service.models import Appointment, EmergencyAlert, MobileUnitRound, OutboundMessage, Place, Referral
from service.outbox.rows import schedule_message
from service.timeutil import utcnow

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("JIGI_SCREENSHOTS") or Path(tempfile.gettempdir()) / "jigi-screenshots")


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """The test app behind a threaded HTTP server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="fr-FR")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def screenshot(page: Page, name: str) -> None:
    """Save the whole page for the README and docs/console.md."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, live_url: str, db, role: str = "coordinator") -> None:
    make_user(db, role)
    page.goto(f"{live_url}/console/")
    expect(page).to_have_url(f"{live_url}/console/login?next=/console/")
    page.fill("#email", f"{role}@jigi.ml")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Tableau de bord")


def test_log_in_and_see_the_dashboard(page, live_url, db, demo):
    make_referral(db, reference="R7K2", urgency="emergency")
    make_referral(db, reference="R4M9", category="depression", created_at=utcnow() - timedelta(days=8))
    log_in(page, live_url, db)
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, "dashboard")
    page.click("text=Déconnexion")
    expect(page.locator("h1")).to_have_text("Connexion à la console Jigi")


def test_segment_counter_follows_typing(page, live_url, db):
    log_in(page, live_url, db)
    page.goto(f"{live_url}/console/templates/referral_ack")
    counter = page.locator('[data-for="body_fr"] [data-role="sent_segments"]')
    expect(counter).to_have_text("1")
    area = page.locator("#body_fr")
    area.fill("")
    area.press_sequentially("Merci. Votre code est {reference}. " * 6, delay=0)
    expect(counter).to_have_text("2")
    expect(page.locator("#body_fr-live-errors")).to_be_empty()
    area.press_sequentially("Encore une phrase pour dépasser le budget de deux SMS. " * 3, delay=0)
    expect(counter).to_have_text("3")
    expect(page.locator("#body_fr-live-errors")).to_contain_text("Trop long")
    page.locator("#body_bm").press_sequentially(" ɛ", delay=0)
    expect(page.locator('[data-for="body_bm"] [data-role="forcing_chars"]')).to_contain_text("ɛ")
    screenshot(page, "template-editor")


def test_a_translation_shows_its_phone_spelling_and_refusal_while_typed(page, live_url, db):
    log_in(page, live_url, db, "admin")
    page.goto(f"{live_url}/console/translations/edit?in=bm&m=Jigi%3A+choose")
    area = page.locator("#text")
    area.fill("")
    area.press_sequentially("Jigi: sugandi kɛ", delay=0)
    expect(page.locator('[data-for="text"] [data-role="gsm7"]')).to_have_text("Jigi: sugandi kè")
    expect(page.locator("#text-live-errors")).to_be_empty()
    area.press_sequentially(" ka taa" * 25, delay=0)
    expect(page.locator("#text-live-errors")).to_contain_text("Trop long pour un écran")
    expect(page.locator('[data-for="text"] [data-role="length"]')).to_contain_text("191 caractères")
    screenshot(page, "translation-editor")


def test_triage_an_emergency_into_an_appointment(page, live_url, db, demo):
    referral = make_referral(
        db,
        reference="R7K2",
        urgency="emergency",
        contact_phone="+22376555555",
        created_at=utcnow() - timedelta(hours=2),
    )
    make_referral(
        db,
        reference="R4M9",
        urgency="routine",
        category="depression",
        created_at=utcnow() - timedelta(days=3),
    )
    make_referral(
        db, reference="R3T8", urgency="urgent", consent=False, created_at=utcnow() - timedelta(days=1)
    )
    log_in(page, live_url, db)
    page.click("nav >> text=Signalements")
    expect(page.locator("tbody tr").first).to_contain_text("R7K2")
    screenshot(page, "referral-queue")
    page.click("text=R7K2")
    expect(page.locator("#phone")).to_have_value("+22376555555")
    starts_at = (utcnow() + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    page.fill("#starts_at", starts_at.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#place", "TBK-A3")
    page.click("#appointment-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Rendez-vous fixé")
    with db.session() as session:
        appointment = session.scalar(select(Appointment).where(Appointment.referral_id == referral.id))
        assert session.get(Referral, referral.id).status == "appointment_set"
        assert session.scalars(
            select(OutboundMessage).where(OutboundMessage.appointment_id == appointment.id)
        ).all()
    page.click("text=Dossier du patient")
    expect(page.locator("h1")).to_contain_text("Patient P")
    screenshot(page, "patient-record")


def test_plan_a_round(page, live_url, db, demo):
    make_visit_request(db, reference="V3T8", village="TBK-V09", people_waiting=4)
    make_visit_request(db, reference="V4K7", village="GAO-V01", volunteer_phone="+22376000001")
    log_in(page, live_url, db)
    page.click("nav >> text=Tournées")
    page.fill("#unit", "Unité mobile Gourma")
    page.fill("#visit_date", (utcnow().date() + timedelta(days=5)).isoformat())
    page.get_by_label("Bambara-Maoudé").check()
    screenshot(page, "rounds")
    page.click("#round-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text(
        "Tournée Unité mobile Gourma planifiée : 1 demande, les relais"
    )
    with db.session() as session:
        assert session.scalar(select(MobileUnitRound.unit)) == "Unité mobile Gourma"
        confirmations = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "visit_confirmation")
        )
        assert [m.params["reference"] for m in confirmations] == ["V3T8"]


def test_messages_page(page, live_url, db):
    with db.session() as session:
        for status, error in (("delivered", None), ("failed", "AbsentSubscriber"), ("scheduled", None)):
            message = schedule_message(
                session,
                kind="medication",
                recipient="+22376555555",
                language="fr",
                params={"reference": "P7K2"},
                due_at=utcnow(),
            )
            message.status, message.last_error = status, error
    log_in(page, live_url, db)
    page.click("nav >> text=SMS")
    expect(page.locator("tbody")).to_contain_text("AbsentSubscriber")
    screenshot(page, "messages")


PHONE_SCREEN = {"width": 375, "height": 667}
LONG_EMAIL = "aminata.traore-diarra@international-medical-corps.org"
# The rendered height, in CSS pixels, of the smallest chart text on the page (None without a chart).
SMALLEST_CHART_TEXT = """() => {
  const sizes = [...document.querySelectorAll("svg.chart text")].map((t) => {
    const svg = t.ownerSVGElement, scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return parseFloat(getComputedStyle(t).fontSize) * scale;
  });
  return sizes.length ? Math.min(...sizes) : null;
}"""
# For each chart, whether it opens on its right end, where the newest week is drawn: the chart's right
# edge is the box's.
NEWEST_WEEK_IN_VIEW = """() => [...document.querySelectorAll(".chart-box")].map((box) => {
  const chart = box.querySelector("svg.chart").getBoundingClientRect(), shown = box.getBoundingClientRect();
  return Math.abs(chart.right - shown.right) < 2 && shown.right <= window.innerWidth;
})"""
# The element that sticks out furthest on the right, to name in a failure.
WIDEST = """() => {
  let worst = null, right = 0;
  for (const node of document.querySelectorAll("body *")) {
    const box = node.getBoundingClientRect();
    if (box.right > right) { right = box.right; worst = node; }
  }
  return worst ? `${worst.tagName.toLowerCase()}.${worst.className} (${Math.round(right)} px)` : "";
}"""


def console_page_urls(app, db) -> list[str]:
    """Every console page a GET opens, with a record of each kind for the pages about one record, in the
    states that make pages widest: an emergency with its alert, open visit requests, a planned round."""
    from service.care.appointments import schedule_appointment
    from service.care.patients import add_patient
    from service.referrals.alerts import raise_emergency_alert, take_in_charge
    from service.referrals.rounds import plan_round

    referral = make_referral(db, reference="R7K2", urgency="emergency", contact_phone="+22376555555")
    make_referral(db, reference="R7K3", urgency="emergency")
    make_visit_request(db, reference="V7K2", village="TBK-V09")
    make_visit_request(db, reference="V7K3", village="TBK-V09")
    with db.session() as session:
        for emergency in session.scalars(select(Referral)):
            raise_emergency_alert(session, emergency, timedelta(minutes=5))
        # what widened pages in the field and not here: a long address where a coordinator is named
        alert = session.scalars(select(EmergencyAlert).where(EmergencyAlert.referral_id == referral.id)).one()
        take_in_charge(session, alert, LONG_EMAIL, utcnow())
        village = session.scalar(select(Place.id).where(Place.code == "TBK-V09"))
        plan_round(
            session,
            unit="Équipe mobile Tombouctou",
            visit_date=utcnow().date(),
            place_ids=[village],
            actor=LONG_EMAIL,
        )
    make_visit_request(db, reference="V7K4", village="TBK-V09")
    with db.session() as session:
        patient = add_patient(session, "+22376123456", "bm")
        schedule_appointment(
            session, app.extensions["jigi.settings"], patient, utcnow() + timedelta(days=2), mobile_unit=True
        )
        message = session.scalars(select(OutboundMessage)).first()
        ids = {"referral_id": referral.id, "patient_id": patient.id, "message_id": message.id}
    with db.session() as session:
        from service.models import User, Volunteer

        ids["volunteer_id"] = session.scalars(select(Volunteer)).first().id
        ids["user_id"] = session.scalars(select(User)).first().id
    ids["reference"] = make_consultation(db, app.extensions["jigi.settings"], ids["patient_id"])
    return console_page_paths(app, ids)


@pytest.mark.parametrize("language", ["fr", "bm"])
def test_every_console_page_fits_a_phone_screen(app, browser, live_url, db, demo, language):
    make_user(db, "admin")
    urls = console_page_urls(app, db)
    context = browser.new_context(viewport=PHONE_SCREEN, locale="fr-FR", is_mobile=True)
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(f"{live_url}/console/login")
    phone.fill("#email", "admin@jigi.ml")
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    expect(phone.locator("h1")).to_have_text("Tableau de bord")
    phone.goto(f"{live_url}/console/?lang={language}")
    expect(phone.locator("html")).to_have_attribute("lang", language)

    too_wide, small_text = {}, {}
    for url in urls:
        phone.goto(f"{live_url}{url}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_SCREEN["width"]:
            too_wide[url] = (width, phone.evaluate(WIDEST))
        smallest = phone.evaluate(SMALLEST_CHART_TEXT)
        if smallest is not None and smallest < 11:
            small_text[url] = smallest
    charts_seen = phone.goto(f"{live_url}/console/") and phone.evaluate(SMALLEST_CHART_TEXT)
    newest_in_view = phone.evaluate(NEWEST_WEEK_IN_VIEW)
    context.close()

    assert len(urls) >= 15
    assert too_wide == {}
    assert small_text == {} and charts_seen is not None
    assert newest_in_view and all(newest_in_view), newest_in_view


def test_chart_text_stays_readable_on_a_wide_screen(browser, live_url, db, demo):
    make_user(db, "viewer")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    wide = context.new_page()
    wide.goto(f"{live_url}/console/login")
    wide.fill("#email", "viewer@jigi.ml")
    wide.fill("#password", PASSWORD)
    wide.click("button[type=submit]")
    expect(wide.locator("h1")).to_have_text("Tableau de bord")

    smallest = wide.evaluate(SMALLEST_CHART_TEXT)
    context.close()

    assert smallest is not None and smallest >= 11


def test_trainers_phone_dials_the_real_service_with_the_keypad(page, live_url, db, demo):
    from service.people import add_volunteer

    with db.session() as session:
        add_volunteer(session, "+22376999002", "Stagiaire", "fr", "GAO-A1", training=True)
    log_in(page, live_url, db)
    page.goto(f"{live_url}/console/phone")

    page.click("#send")
    expect(page.locator("#screen")).to_contain_text("1 Signaler un cas")
    page.click(".key[data-key='1']")
    page.click("#send")
    expect(page.locator("#screen")).to_contain_text("Type de problème")
    screenshot(page, "training-phone")


def test_trainers_phone_rings_a_demo_patient_and_plays_the_call_with_its_keys(page, live_url, db, settings):
    from test_voice_calls import wav

    from service.voice.recordings import save_recording

    with db.session() as session:
        tokens = {
            name: save_recording(session, settings, name, "fr", wav(0.6), text, "test", utcnow()).token
            for name, text in (
                ("medication", "Jigi : c'est l'heure."),
                ("voice_keys", "Appuyez sur 1."),
                ("voice_thanks", "Merci."),
            )
        }
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url.rsplit("/", 1)[1]))
    log_in(page, live_url, db)
    page.goto(f"{live_url}/console/phone")

    page.select_option("#call-kind", "medication")
    page.select_option("#call-language", "fr")
    page.click("#call-ring")
    expect(page.locator("#call-screen")).to_contain_text("Appel entrant")
    page.click("#call-pickup")
    expect(page.locator("#call-screen")).to_contain_text("Appuyez sur une touche", timeout=15_000)
    page.click(".call-key[data-key='1']")
    expect(page.locator("#call-screen")).to_contain_text("Appel terminé", timeout=15_000)

    played = [token for token in fetched if token in tokens.values()]
    assert played[:2] == [tokens["medication"], tokens["voice_keys"]] and tokens["voice_thanks"] in played
    with db.session() as session:
        assert session.scalars(select(OutboundMessage)).all() == []


# Chromium's "2G" preset (DevTools): 300 ms of latency, 250 kbit/s down, 50 kbit/s up.
TWO_G = {"offline": False, "latency": 300, "downloadThroughput": 250_000 / 8, "uploadThroughput": 50_000 / 8}
# What the page fetched: its document and each file, bytes over the wire and decoded.
TRANSFERS = """() => [...performance.getEntriesByType("navigation"),
                      ...performance.getEntriesByType("resource")]
  .map((e) => ({name: e.name.split("/").pop().split("?")[0] || "page", sent: e.transferSize,
                size: e.decodedBodySize, ms: Math.round(e.duration)}))"""


def two_g_visit(browser: Browser, live_url: str, as_before: bool) -> list[tuple[str, list[dict]]]:
    """Log in and open the dashboard twice on an emulated 2G link; `as_before`: as the console was served
    before (nothing compressed, every file fetched again), the baseline measured in the same run."""
    context = browser.new_context(
        viewport=PHONE_SCREEN,
        locale="fr-FR",
        is_mobile=True,
        extra_http_headers={"Accept-Encoding": "identity"} if as_before else None,
    )
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", TWO_G)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": as_before})
    views = []
    tab.goto(f"{live_url}/console/login", wait_until="load")
    views.append(("login", tab.evaluate(TRANSFERS)))
    tab.fill("#email", "viewer@jigi.ml")
    tab.fill("#password", PASSWORD)
    tab.click("button[type=submit]")
    expect(tab.locator("h1")).to_have_text("Tableau de bord")
    tab.goto(f"{live_url}/console/", wait_until="load")
    views.append(("dashboard", tab.evaluate(TRANSFERS)))
    context.close()
    return views


def test_the_console_on_an_emulated_2g_link_sends_pages_compressed_and_files_once(
    browser, live_url, db, demo
):
    make_user(db, "viewer")
    baseline, served = two_g_visit(browser, live_url, True), two_g_visit(browser, live_url, False)

    for label, views in (("as before", baseline), ("served", served)):
        for view, transfers in views:
            files = "; ".join(
                f"{t['name']} {t['sent']} B for {t['size']} B in {t['ms']} ms" for t in transfers
            )
            print(f"2G, {label}, {view}: {files}")
    dashboard = dict(served)["dashboard"]
    assert 0 < dashboard[0]["sent"] < dashboard[0]["size"] / 3  # the page came gzipped
    stylesheet = [t for t in dashboard if t["name"] == "console.css"]
    assert stylesheet and all(t["sent"] == 0 for t in stylesheet)  # from the browser's cache, not the link
    assert dict(baseline)["dashboard"][0]["sent"] > dashboard[0]["sent"]
