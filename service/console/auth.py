"""Who is asking: the console's guard (session, role, CSRF), login and logout."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import abort, current_app, g, redirect, render_template, request, session, url_for

from service.accounts import (
    AuditAction,
    LoginFailed,
    LoginThrottled,
    authenticate,
    end_sessions,
    may,
    record_audit,
)
from service.console.blueprint import bp, csrf
from service.console.forms import LoginForm
from service.console.web import local, t
from service.db import get_db
from service.models import User
from service.redis_conn import get_redis

# Open without an account (logging out included: it only ends whatever session there is).
PUBLIC_ENDPOINTS = {"console.login", "console.static", "console.logout"}
# Where a login may lead: a path of the console, in printable ASCII (a URL's own characters).
SAFE_NEXT = re.compile(r"/console/[!-~]*")
# However active, a login lasts a working day; an idle one ends sooner (IDLE, in console/__init__.py).
MAX_SESSION = timedelta(hours=12)


def requires(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the least role that may use a view; a view that declares none is for admins only."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.required_role = role  # type: ignore[attr-defined]
        return view

    return mark


@bp.before_request
def guard():
    """A logged-in, active user with a role that may use the view; then CSRF on every console POST."""
    g.user = _session_user()
    if request.endpoint not in PUBLIC_ENDPOINTS:
        if g.user is None:
            if request.accept_mimetypes.best == "application/json" or request.is_json:
                abort(401)
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        view = current_app.view_functions[request.endpoint]
        if not may(g.user.role, getattr(view, "required_role", "admin")):
            abort(403)
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    return None


@bp.before_request
def choose_language():
    if request.args.get("lang") in ("fr", "bm"):
        session["lang"] = request.args["lang"]


def _session_user() -> User | None:
    """The account of this browser session, while it is active, the session's version is the account's
    (no logout, new password, role or deactivation since) and the login is under MAX_SESSION old. Idle
    sessions end by themselves: the cookie's signature is only accepted for PERMANENT_SESSION_LIFETIME
    after the last request."""
    user_id, version, since = session.get("uid"), session.get("sv"), session.get("since")
    if user_id is None:
        return None
    if not isinstance(since, (int, float)) or time.time() - since > MAX_SESSION.total_seconds():
        session.clear()
        return None
    with get_db().session() as db_session:
        user = db_session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        session.clear()
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        try:
            with get_db().session() as db_session:
                user = authenticate(db_session, get_redis(), form.email.data, form.password.data, address)
                record_audit(db_session, user.email, AuditAction.LOGIN, {"address": address})
        except LoginThrottled as error:
            form.password.errors.append(
                t(
                    "Trop d'essais manqués. Réessayez à partir de %(time)s.",
                    time=local(error.retry_at, "HH:mm"),
                )
            )
        except LoginFailed:
            form.password.errors.append(t("Adresse e-mail ou mot de passe incorrect."))
        else:
            language = session.get("lang")
            session.clear()
            session.permanent = True
            session.update(uid=user.id, sv=user.session_version, since=time.time())
            if language:
                session["lang"] = language
            target = request.args.get("next", "")
            # Only a plain path of this console: never another site, never a header broken by CR or LF.
            if not SAFE_NEXT.fullmatch(target):
                home = "console.dashboard" if may(user.role, "viewer") else "console.translations_page"
                target = url_for(home)
            return redirect(target)
    return render_template("console/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@requires("viewer")
def logout():
    """End the session for real: the account's other copies of this cookie stop working too."""
    if g.user is not None:
        with get_db().session() as db_session:
            user = db_session.get(User, g.user.id)
            if user is not None:
                end_sessions(user)
                record_audit(db_session, user.email, AuditAction.LOGOUT, {})
    session.clear()
    return redirect(url_for("console.login"))
