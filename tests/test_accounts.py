"""Accounts: argon2 hashes, roles, login throttling in Redis, the audit log, and the `users` commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from argon2 import PasswordHasher
from sqlalchemy import select

from service import accounts
from service.accounts import (
    MAX_ADDRESS_FAILURES,
    MAX_DELAY_SECONDS,
    AccountError,
    AuditAction,
    LoginFailed,
    LoginThrottled,
    authenticate,
    create_user,
    record_audit,
    update_user,
)
from service.errors import ErrorKind
from service.models import AuditEntry, User

PASSWORD = "correct horse battery"
NOW = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def client_redis(settings):
    return redis.Redis.from_url(settings.redis_url)


@pytest.fixture
def user(db) -> User:
    with db.session() as session:
        return create_user(session, "Awa@Jigi.ml", PASSWORD, "coordinator", "Awa")


def login(db, client_redis, password: str, now: datetime, address: str = "10.0.0.1") -> User:
    with db.session() as session:
        return authenticate(session, client_redis, "awa@jigi.ml", password, address, now)


def test_password_is_kept_as_an_argon2_hash(user):
    assert user.email == "awa@jigi.ml"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_short_password_unknown_role_and_taken_email_are_refused(db, user):
    with db.session() as session:
        with pytest.raises(AccountError) as short:
            create_user(session, "b@jigi.ml", "123456789", "viewer")
        with pytest.raises(AccountError) as role:
            create_user(session, "b@jigi.ml", PASSWORD, "superuser")
        with pytest.raises(AccountError) as taken:
            create_user(session, "AWA@jigi.ml", PASSWORD, "viewer")
    assert (short.value.field, role.value.field, taken.value.field) == ("password", "role", "email")
    assert taken.value.kind == ErrorKind.CONFLICT
    assert short.value.text("fr") == "Le mot de passe doit avoir au moins 10 caractères."


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaa", "1234567890", "password123", "azertyuiop", "awa@jigi.ml1", "qwertyuiop12"]
)
def test_a_common_or_repetitive_password_is_refused_however_long(db, password):
    with db.session() as session, pytest.raises(AccountError) as refused:
        create_user(session, "awa@jigi.ml", password, "viewer")
    assert refused.value.field == "password"
    assert refused.value.text("fr").startswith("Ce mot de passe est trop facile à deviner")


@pytest.mark.parametrize(
    "password", ["correct horse battery", "Tombouctou-2026-nord", "un mot de passe de phrase"]
)
def test_a_phrase_or_unrelated_words_are_accepted(db, password):
    with db.session() as session:
        assert create_user(session, "awa@jigi.ml", password, "viewer").email == "awa@jigi.ml"


def test_right_password_logs_in_and_records_the_time(db, client_redis, user):
    assert login(db, client_redis, PASSWORD, NOW).last_login_at == NOW


def test_sixth_try_within_fifteen_minutes_is_throttled_even_with_the_right_password(db, client_redis, user):
    for minute in range(5):
        with pytest.raises(LoginFailed):
            login(db, client_redis, "wrong password", NOW + timedelta(minutes=minute))
    with pytest.raises(LoginThrottled) as throttled:
        login(db, client_redis, PASSWORD, NOW + timedelta(minutes=6))
    assert throttled.value.retry_at == NOW + timedelta(minutes=15)
    assert login(db, client_redis, PASSWORD, NOW + timedelta(minutes=15, seconds=1)).email == "awa@jigi.ml"


def test_failures_are_counted_per_address(db, client_redis, user):
    for _ in range(5):
        with pytest.raises(LoginFailed):
            login(db, client_redis, "wrong password", NOW, address="10.0.0.1")
    assert login(db, client_redis, PASSWORD, NOW, address="10.0.0.2").email == "awa@jigi.ml"


def test_spraying_many_emails_from_one_address_slows_it_but_never_refuses_a_right_password(
    db, client_redis, user
):
    waits = []
    for n in range(MAX_ADDRESS_FAILURES + 2):
        with pytest.raises(LoginFailed), db.session() as session:
            authenticate(
                session, client_redis, f"guess{n}@jigi.ml", "wrong password", "10.0.0.9", NOW, waits.append
            )
    with db.session() as session:
        assert authenticate(session, client_redis, "awa@jigi.ml", PASSWORD, "10.0.0.9", NOW, waits.append)
    assert waits == [0.5, 1.0, 1.5]  # the 21st, 22nd and 23rd tries waited, longer each time
    assert login(db, client_redis, PASSWORD, NOW, address="10.0.0.2").email == "awa@jigi.ml"


def test_nobody_elsewhere_can_lock_an_account_by_trying_its_password(db, client_redis, user):
    attacker_waits = []
    for n in range(30):  # an attacker, from many addresses
        with pytest.raises(LoginFailed), db.session() as session:
            address = f"198.51.100.{n}"
            authenticate(session, client_redis, "awa@jigi.ml", "wrong", address, NOW, attacker_waits.append)
    assert attacker_waits[-1] == MAX_DELAY_SECONDS  # the attacker was slowed down
    waits = []
    with db.session() as session:
        owner = authenticate(session, client_redis, "awa@jigi.ml", PASSWORD, "10.0.0.1", NOW, waits.append)

    assert owner.email == "awa@jigi.ml" and waits == [MAX_DELAY_SECONDS]


def test_an_unknown_email_costs_a_password_check_like_a_known_one(db, client_redis, user, monkeypatch):
    checked = []

    class Recording(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 (argon2's own parameter name)
            checked.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", Recording())
    for email in ("awa@jigi.ml", "nobody@jigi.ml"):
        with pytest.raises(LoginFailed), db.session() as session:
            authenticate(session, client_redis, email, "wrong password", "10.0.0.1", NOW)

    assert len(checked) == 2 and all(hashed.startswith("$argon2id$") for hashed in checked)
    assert checked[0] != checked[1]  # the account's hash, then a stand-in


def test_a_success_forgets_earlier_failures(db, client_redis, user):
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login(db, client_redis, "wrong password", NOW)
    login(db, client_redis, PASSWORD, NOW)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login(db, client_redis, "wrong password", NOW)
    assert login(db, client_redis, PASSWORD, NOW).email == "awa@jigi.ml"


def test_inactive_account_cannot_log_in(db, client_redis, user):
    with db.session() as session:
        session.get(User, user.id).active = False
    with pytest.raises(LoginFailed):
        login(db, client_redis, PASSWORD, NOW)


def test_the_last_active_admin_keeps_the_role(db):
    with db.session() as session:
        admin = create_user(session, "admin@jigi.ml", PASSWORD, "admin")
        with pytest.raises(AccountError) as refused:
            update_user(session, admin, role="coordinator", active=True)
        assert (refused.value.field, refused.value.kind) == ("role", ErrorKind.CONFLICT)
        create_user(session, "admin2@jigi.ml", PASSWORD, "admin")
        update_user(session, admin, role="coordinator", active=True)
        assert admin.role == "coordinator"


def test_audit_entries_keep_actor_action_and_detail(db):
    with db.session() as session:
        record_audit(session, "api:partner", AuditAction.EXPORT, {"what": "referrals", "rows": 3})
    with db.session() as session:
        entry = session.scalar(select(AuditEntry))
    assert (entry.actor, entry.action, entry.detail) == (
        "api:partner",
        "export",
        '{"rows": 3, "what": "referrals"}',
    )
    assert entry.created_at.tzinfo is not None


def test_cli_creates_the_first_admin_from_the_environment(runner, db, monkeypatch):
    monkeypatch.setenv("JIGI_PASSWORD", PASSWORD)
    result = runner.invoke(args=["users", "create", "chef@jigi.ml", "--role", "admin"])
    assert result.exit_code == 0, result.output
    with db.session() as session:
        assert session.scalar(select(User.role).where(User.email == "chef@jigi.ml")) == "admin"
    listed = runner.invoke(args=["users", "list"])
    assert "chef@jigi.ml\tadmin\tactive\tnever" in listed.output


def test_cli_asks_the_password_twice_and_refuses_a_short_one(runner, db, monkeypatch):
    monkeypatch.delenv("JIGI_PASSWORD", raising=False)
    asked = runner.invoke(args=["users", "create", "a@jigi.ml"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert asked.exit_code == 0 and "Repeat for confirmation" in asked.output
    short = runner.invoke(args=["users", "create", "b@jigi.ml"], input="court\ncourt\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    with db.session() as session:
        assert session.scalars(select(User.email)).all() == ["a@jigi.ml"]


def test_cli_deactivates_an_account(runner, db, user):
    result = runner.invoke(args=["users", "deactivate", "awa@jigi.ml"])
    assert result.exit_code == 0
    with db.session() as session:
        assert session.get(User, user.id).active is False
    assert runner.invoke(args=["users", "deactivate", "nobody@jigi.ml"]).exit_code == 1
