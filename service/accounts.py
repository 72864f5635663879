"""Console accounts: users and roles, argon2 password hashes, login throttling and the audit log.

Plain functions over a session (and Redis for throttling), used by the console, the CLI and the partner API.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from service.errors import DomainError, ErrorKind
from service.models import USER_ROLES, AuditEntry, User
from service.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4 estimate: 3 resists an offline attack on a slow hash
GUESS_CHECKED = 100  # zxcvbn's work grows with the length; a longer password is long enough
# One person's failures for their own account from one address lock that pair for FAILURE_WINDOW. Failures
# that others may have caused (from the same address, say behind one office's connection, or against the
# account from anywhere) only slow each further try, up to MAX_DELAY_SECONDS: nobody can lock a coordinator
# out by trying passwords on their account.
MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
MAX_ACCOUNT_FAILURES = 10
DELAY_STEP_SECONDS = 0.5
MAX_DELAY_SECONDS = 3.0
FAILURE_WINDOW = timedelta(minutes=15)
# What each role may do, from least to most; a role may do everything the roles before it may.
ROLE_RANK = {"viewer": 0, "coordinator": 1, "admin": 2}


class AuditAction(StrEnum):
    """What the audit log records; the console's audit page names each (console/labels.py)."""

    LOGIN = "login"
    LOGOUT = "logout"
    USER_CREATED = "user_created"
    USER_DEACTIVATED = "user_deactivated"
    USER_UPDATED = "user_updated"
    PATIENT_ADDED = "patient_added"
    PATIENT_VIEWED = "patient_viewed"
    PATIENT_UPDATED = "patient_updated"
    PATIENT_ERASED = "patient_erased"
    PATIENT_OPT_OUT = "patient_opt_out"
    PATIENT_OPT_IN = "patient_opt_in"
    REFERRAL_CONTACT_ERASED = "referral_contact_erased"
    REFERRAL_CONTACTED = "referral_contacted"
    REFERRAL_SEEN = "referral_seen"
    REFERRAL_APPOINTMENT_SET = "referral_appointment_set"
    REFERRAL_CLOSED = "referral_closed"
    ALERT_TAKEN_IN_CHARGE = "alert_taken_in_charge"
    APPOINTMENT_ADDED = "appointment_added"
    APPOINTMENT_MOVE = "appointment_move"
    APPOINTMENT_CANCEL = "appointment_cancel"
    APPOINTMENT_ATTENDED = "appointment_attended"
    MEDICATION_ADDED = "medication_added"
    MEDICATION_CANCELLED = "medication_cancelled"
    EXPORT = "export"
    EXPORT_FULL = "export_full"
    INBOUND_HANDLED = "inbound_handled"
    MESSAGE_RELEASED = "message_released"
    SYSTEM_ALERT_RESOLVED = "system_alert_resolved"
    TEMPLATE_SAVED = "template_saved"
    TEMPLATE_RESTORED = "template_restored"
    ROUND_PLANNED = "round_planned"
    ROUND_MOVED = "round_moved"
    ROUND_CANCELLED = "round_cancelled"
    ONCALL_ADDED = "oncall_added"
    ONCALL_DEACTIVATED = "oncall_deactivated"
    VOLUNTEER_ADDED = "volunteer_added"
    VOLUNTEER_DEACTIVATED = "volunteer_deactivated"
    TRAINING_WIPED = "training_wiped"
    TRANSLATION_SAVED = "translation_saved"
    TRANSLATIONS_IMPORTED = "translations_imported"
    RECORDING_SAVED = "recording_saved"
    CLINICIAN_ADDED = "clinician_added"
    CLINICIAN_DEACTIVATED = "clinician_deactivated"
    CLINIC_SESSION_ADDED = "clinic_session_added"
    CLINIC_SESSION_CANCELLED = "clinic_session_cancelled"
    CONSULT_BOOKED = "consult_booked"
    CONSULT_MOVED = "consult_moved"
    CONSULT_CANCELLED = "consult_cancelled"
    CONSULT_OUTCOME = "consult_outcome"
    DHIS2_PUSH = "dhis2_push"
    PLACE_ORG_UNIT = "place_org_unit"
    API_TOKEN_CREATE = "api.token.create"
    API_TOKEN_REVOKE = "api.token.revoke"
    API_PATIENT_CREATE = "api.patient.create"
    API_APPOINTMENT_CREATE = "api.appointment.create"
    API_APPOINTMENT_CANCEL = "api.appointment.cancel"
    API_APPOINTMENT_MOVE = "api.appointment.move"
    API_MEDICATION_PLAN_CREATE = "api.medication_plan.create"
    API_CONSULT_CREATE = "api.consultation.create"
    API_CONSULT_UPDATE = "api.consultation.update"


# Outside the ranks: a translator may use the translation pages (with admins), and nothing else.
TRANSLATOR = "translator"

_hasher = PasswordHasher()


class AccountError(DomainError):
    """An account change that cannot be made, the form field at fault and why."""


class LoginFailed(Exception):
    """Wrong email or password, or an inactive account (the same answer for all three)."""


class LoginThrottled(Exception):
    """Too many failed logins from this address for this email; `retry_at` says when to try again."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"retry after {retry_at.isoformat()}")
        self.retry_at = retry_at


def may(role: str, needed: str) -> bool:
    """Whether `role` may do what `needed` may."""
    if TRANSLATOR in (role, needed):
        return role in (needed, "admin") and needed == TRANSLATOR
    return ROLE_RANK[role] >= ROLE_RANK[needed]


def hash_password(password: str, email: str = "") -> str:
    check_password(password, email)
    return _hasher.hash(password)


def check_password(password: str, email: str = "") -> None:
    """Refuse a password that is short, too long to hash quickly, or easy to guess: common, repetitive, a
    keyboard run or a date, by zxcvbn's estimate (its dictionaries, sequences and repeats), with the
    account's own email and "Jigi" counted as known words."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "The password must have at least %(count)s characters.",
            field="password",
            count=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            "The password must have at most %(count)s characters.",
            field="password",
            count=MAX_PASSWORD_LENGTH,
        )
    known = [word for word in (email, email.partition("@")[0], "jigi", "console") if word]
    if zxcvbn(password[:GUESS_CHECKED], user_inputs=known)["score"] < MIN_PASSWORD_SCORE:
        raise AccountError(
            "This password is too easy to guess: use three or four unrelated words, or a longer phrase.",
            field="password",
        )


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise AccountError("This is not an email address.", field="email")
    return email


def create_user(session: Session, email: str, password: str, role: str, name: str | None = None) -> User:
    """Add an active account; an email has one account only."""
    email = normalize_email(email)
    _check_role(role)
    if find_user(session, email) is not None:
        raise AccountError("This address already has an account.", kind=ErrorKind.CONFLICT, field="email")
    user = User(
        email=email,
        name=(name or "").strip() or None,
        role=role,
        password_hash=hash_password(password, email),
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def deactivate_user(session: Session, email: str) -> User:
    """Stop an account from logging in; its audit history stays."""
    user = find_user(session, email)
    if user is None:
        raise AccountError("No account has this address.", kind=ErrorKind.NOT_FOUND, field="email")
    user.active = False
    end_sessions(user)
    return user


def end_sessions(user: User) -> None:
    """End every console session of the account, on every browser, copied cookies included."""
    user.session_version = (user.session_version or 0) + 1


def update_user(
    session: Session, user: User, *, role: str, active: bool, password: str | None = None
) -> None:
    """Change an account's role, state or password; the last active admin cannot be removed."""
    _check_role(role)
    if user.role == "admin" and user.active and (role != "admin" or not active):
        other_admins = session.scalar(
            select(func.count(User.id)).where(User.role == "admin", User.active.is_(True), User.id != user.id)
        )
        if not other_admins:
            raise AccountError(
                "This is the last active admin: the account must stay admin and active.",
                kind=ErrorKind.CONFLICT,
                field="role",
            )
    if password or role != user.role or active != user.active:
        end_sessions(user)  # a session opened with the old password or rights ends with them
    if password:
        user.password_hash = hash_password(password, user.email)
    user.role, user.active = role, active


def _check_role(role: str) -> None:
    if role not in USER_ROLES:
        raise AccountError("Choose a role from the list.", field="role")


def authenticate(
    session: Session,
    client: redis.Redis,
    email: str,
    password: str,
    address: str,
    now: datetime | None = None,
    pause: Callable[[float], None] = time.sleep,
) -> User:
    """The active user with these credentials.

    After MAX_FAILURES failures for one email from one address within FAILURE_WINDOW, even a right password
    from that address is refused until the oldest failure leaves the window. Failures from the address
    (any email) beyond MAX_ADDRESS_FAILURES, or against the email (any address) beyond MAX_ACCOUNT_FAILURES,
    make each try wait a little longer, never refused. An unknown email costs the same work as a known one.
    """
    now = now or utcnow()
    email = email.strip().lower()
    own = f"jigi:login-failures:{email}:{address}"
    slowing = (
        (f"jigi:login-failures-from:{address}", MAX_ADDRESS_FAILURES),
        (f"jigi:login-failures-of:{email}", MAX_ACCOUNT_FAILURES),
    )
    cutoff = (now - FAILURE_WINDOW).timestamp()
    counts = {}
    for key in (own, *(key for key, _most in slowing)):
        client.zremrangebyscore(key, "-inf", cutoff)
        counts[key] = client.zcard(key)
    if counts[own] >= MAX_FAILURES:
        oldest = client.zrange(own, -MAX_FAILURES, -MAX_FAILURES, withscores=True)[0][1]
        raise LoginThrottled(datetime.fromtimestamp(float(oldest), now.tzinfo) + FAILURE_WINDOW)
    excess = max(counts[key] - most + 1 for key, most in slowing)
    if excess > 0:
        pause(min(MAX_DELAY_SECONDS, DELAY_STEP_SECONDS * excess))
    user = find_user(session, email)
    if user is None or not user.active:
        _verify_nothing(password)
        user = None
    if user is None or not _verify(user, password):
        stamp = now.timestamp()
        for key in counts:
            client.zadd(key, {f"{stamp}:{secrets.token_hex(4)}": stamp})
            client.expire(key, int(FAILURE_WINDOW.total_seconds()))
        raise LoginFailed()
    client.delete(own)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return user


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify_nothing(password: str) -> None:
    """Spend on an unknown or inactive account the time a password check takes, so that a failed login
    does not tell whether the email has an account."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)


def _verify(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def required_reason(reason: str | None) -> str:
    """The reason given for an action that exposes or erases personal data; refused when blank."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why (for example: the person asked).", field="reason")
    return reason


def record_audit(
    session: Session, actor: str, action: AuditAction, detail: str | dict[str, Any] | None = None
) -> AuditEntry:
    """Write who (an email, or `token:<name>` for the partner API) did what, in the caller's transaction."""
    if isinstance(detail, dict):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    entry = AuditEntry(actor=actor, action=action, detail=detail)
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page asks for; empty fields do not filter."""

    actor: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


def audit_query(filters: AuditFilter):
    """Audit entries matching `filters`, newest first (a select to paginate)."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if filters.actor:
        query = query.where(AuditEntry.actor.icontains(filters.actor.strip()))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until:
        query = query.where(AuditEntry.created_at < filters.until)
    return query


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
