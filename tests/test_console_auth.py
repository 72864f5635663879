"""Console access: login and logout, roles, CSRF, throttling, cookies, and the admin's account pages."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
import redis
from console_support import PASSWORD, make_user, sign_in
from itsdangerous import TimestampSigner
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from service import create_app
from service.accounts import deactivate_user, update_user
from service.models import AuditEntry, User

# A value for every URL argument of a console route (other than a choice among words); a new argument name
# must be added here.
ARGUMENTS = {
    "referral_id": 1,
    "patient_id": 1,
    "appointment_id": 1,
    "plan_id": 1,
    "volunteer_id": 1,
    "clinician_id": 1,
    "message_id": 1,
    "inbound_id": 1,
    "alert_id": 1,
    "user_id": 1,
    "template_id": 1,
    "round_id": 1,
    "person_id": 1,
    "session_id": 1,
    "reference": "C4K7",
    "kind": "referral_ack",
    "what": "referrals",
    "name": "medication",
    "language": "bm",
}
PUBLIC = {"console.login", "console.static"}


def console_routes(app):
    """(endpoint, method, url) for every console route and method, arguments filled in."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in PUBLIC:
            continue
        values = {name: _value(rule, name) for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


@pytest.fixture(autouse=True)
def without_csrf(app):
    """CSRF tokens are left out here, except in the tests that switch the check back on."""
    app.config["WTF_CSRF_ENABLED"] = False


def _value(rule, name: str):
    converter = rule._converters[name]
    return sorted(converter.items)[0] if isinstance(converter, AnyConverter) else ARGUMENTS[name]


def test_no_console_page_answers_without_login(app, client):
    routes = list(console_routes(app))
    assert len(routes) > 30
    for endpoint, method, url in routes:
        response = client.open(url, method=method)
        if response.status_code == 302:
            assert "/console/login" in response.headers["Location"], (endpoint, method)
        else:
            assert response.status_code in (400, 401), (endpoint, method, response.status_code)


def test_json_request_without_login_gets_401(client):
    response = client.post(
        "/console/templates/referral_ack/preview",
        json={"language": "fr", "body": "x"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 401


def test_viewer_is_refused_every_post_route(app, client, db, demo):
    sign_in(app, client, db, "viewer")
    posts = [(endpoint, url) for endpoint, method, url in console_routes(app) if method == "POST"]
    assert len(posts) > 15
    for endpoint, url in posts:
        if endpoint == "console.logout":
            continue  # leaving changes nothing
        assert client.post(url, data={}).status_code == 403, endpoint
    with db.session() as session:
        assert session.scalars(select(AuditEntry)).all() == []


def test_viewer_sees_only_the_dashboard(app, client, db):
    sign_in(app, client, db, "viewer")
    assert client.get("/console/").status_code == 200
    for url in (
        "/console/referrals",
        "/console/patients",
        "/console/messages",
        "/console/templates",
        "/console/users",
    ):
        assert client.get(url).status_code == 403, url
    page = client.get("/console/").get_data(as_text=True)
    assert "/console/referrals" not in page


def test_coordinator_works_but_cannot_manage_accounts(app, client, db):
    sign_in(app, client, db, "coordinator")
    for url in (
        "/console/referrals",
        "/console/rounds",
        "/console/patients",
        "/console/messages",
        "/console/inbox",
    ):
        assert client.get(url).status_code == 200, url
    for url in ("/console/users", "/console/audit", "/console/settings"):
        assert client.get(url).status_code == 403, url


def test_admin_creates_an_account_and_the_audit_log_shows_it(app, client, db):
    sign_in(app, client, db, "admin")
    response = client.post(
        "/console/users",
        data={
            "email": "Aminata@Jigi.ml",
            "name": "Aminata",
            "role": "coordinator",
            "password": "assez-long-1",
        },
    )
    assert response.status_code == 302
    with db.session() as session:
        created = session.scalar(select(User).where(User.email == "aminata@jigi.ml"))
        assert created.role == "coordinator" and created.password_hash.startswith("$argon2")
    audit = client.get("/console/audit?action=user_created").get_data(as_text=True)
    assert "aminata@jigi.ml" in audit and "admin@jigi.ml" in audit


def test_account_form_shows_a_short_password_next_to_the_field(app, client, db):
    sign_in(app, client, db, "admin")
    response = client.post(
        "/console/users", data={"email": "a@jigi.ml", "role": "viewer", "password": "court"}
    )
    assert response.status_code == 400
    assert re.search(r'id="password".*?10 caractères', response.get_data(as_text=True), re.S)


def test_login_opens_a_session_and_logout_closes_it(app, client, db):
    make_user(db, "coordinator")
    page = client.get("/console/login")
    assert page.status_code == 200
    response = client.post("/console/login", data={"email": "coordinator@jigi.ml", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/console/referrals").status_code == 200
    client.post("/console/logout")
    assert client.get("/console/referrals").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(app, client, db):
    make_user(db, "coordinator")
    form = {"email": "coordinator@jigi.ml", "password": PASSWORD}
    assert (
        client.post("/console/login?next=/console/rounds", data=form).headers["Location"] == "/console/rounds"
    )
    client.post("/console/logout")
    assert client.post("/console/login?next=//evil.example/", data=form).headers["Location"] == "/console/"


def test_wrong_password_is_refused_next_to_the_field(app, client, db):
    make_user(db, "coordinator")
    response = client.post(
        "/console/login", data={"email": "coordinator@jigi.ml", "password": "wrong password"}
    )
    assert response.status_code == 400
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/console/referrals").status_code == 302


def test_login_is_throttled_after_five_failures_with_the_time_to_retry(app, client, db):
    make_user(db, "coordinator")
    for _attempt in range(5):
        client.post("/console/login", data={"email": "coordinator@jigi.ml", "password": "wrong password"})
    response = client.post("/console/login", data={"email": "coordinator@jigi.ml", "password": PASSWORD})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r"Réessayez à partir de \d\d:\d\d", text)
    assert client.get("/console/referrals").status_code == 302


def test_console_post_without_csrf_token_is_refused(app, client, db):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(db, "coordinator")
    refused = client.post("/console/login", data={"email": "coordinator@jigi.ml", "password": PASSWORD})
    assert refused.status_code == 400
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/console/login", data={"email": "coordinator@jigi.ml", "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302


def test_signed_in_console_post_without_token_is_refused(app, client, db):
    sign_in(app, client, db, "coordinator", csrf=True)
    assert client.post("/console/alerts/1/resolve").status_code == 400


def test_webhooks_stay_exempt_from_console_csrf(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.endpoint.startswith("console.") and not rule.arguments:
            response = client.post(rule.rule, data={})
            assert b"CSRF" not in response.data, rule.rule


def test_session_cookie_is_secure_in_production(settings, db):
    production = create_app(replace(settings, env="production"))
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    production.extensions["jigi.db"].engine.dispose()


def test_deactivated_account_loses_its_open_session(app, client, db):
    user = sign_in(app, client, db, "coordinator")
    assert client.get("/console/referrals").status_code == 200
    with db.session() as session:
        session.get(User, user.id).active = False
    assert client.get("/console/referrals").status_code == 302


@pytest.mark.parametrize("role", ["viewer", "coordinator", "admin"])
def test_every_role_can_read_its_dashboard(app, client, db, role):
    sign_in(app, client, db, role)
    response = client.get("/console/")
    assert response.status_code == 200
    assert "<svg" in response.get_data(as_text=True)


def _logged_in_cookie(client, db, role: str = "coordinator") -> str:
    """Log in through the form; the session cookie the browser got."""
    make_user(db, role)
    client.post("/console/login", data={"email": f"{role}@jigi.ml", "password": PASSWORD})
    return client.get_cookie("session").value


def _opens(app, cookie: str) -> bool:
    """Whether a copy of `cookie`, in another browser, opens the console."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/console/referrals").status_code == 200


def test_a_copied_cookie_stops_working_after_logout(app, client, db):
    cookie = _logged_in_cookie(client, db)
    assert _opens(app, cookie)

    client.post("/console/logout")

    assert not _opens(app, cookie)
    with db.session() as session:
        assert session.scalars(select(AuditEntry.action)).all()[-1] == "logout"


@pytest.mark.parametrize(
    "change",
    [{"password": "un-nouveau-mot-de-passe-2026"}, {"role": "viewer"}, {"active": False}],
    ids=["password", "role", "deactivated"],
)
def test_a_new_password_role_or_deactivation_ends_open_sessions(app, client, db, change):
    cookie = _logged_in_cookie(client, db)
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == "coordinator@jigi.ml"))
        values = {"role": user.role, "active": True, **change}
        update_user(session, user, **values)

    assert not _opens(app, cookie)


def test_a_deactivated_account_reactivated_does_not_revive_its_old_sessions(app, client, db):
    cookie = _logged_in_cookie(client, db)
    with db.session() as session:
        deactivate_user(session, "coordinator@jigi.ml")
    with db.session() as session:
        session.scalar(select(User).where(User.email == "coordinator@jigi.ml")).active = True

    assert not _opens(app, cookie)


def test_an_idle_session_ends_after_an_hour(app, client, db, monkeypatch):
    cookie = _logged_in_cookie(client, db)
    serializer = app.session_interface.get_signing_serializer(app)
    signed_then = int(time.time()) - 61 * 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: signed_then)
    stale = serializer.dumps(serializer.loads(cookie))  # as if the last request was 61 minutes ago
    monkeypatch.undo()

    assert not _opens(app, stale)
    assert _opens(app, cookie)


def test_a_login_lasts_a_working_day_however_active(app, client, db):
    sign_in(app, client, db, "coordinator")
    with client.session_transaction() as browser_session:
        browser_session["since"] = time.time() - 13 * 3600

    assert client.get("/console/referrals").status_code == 302


@pytest.mark.parametrize(("hops", "counted"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_failures_count_by_the_address_the_trusted_proxy_saw(settings, db, hops, counted):
    proxied = create_app(replace(settings, trusted_proxy_hops=hops))
    make_user(db, "coordinator")
    client = proxied.test_client()
    proxied.config["WTF_CSRF_ENABLED"] = False
    client.post(
        "/console/login",
        data={"email": "coordinator@jigi.ml", "password": "wrong password"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )

    store = redis.Redis.from_url(settings.redis_url)
    assert store.zcard(f"jigi:login-failures:coordinator@jigi.ml:{counted}") == 1
    proxied.extensions["jigi.db"].engine.dispose()
