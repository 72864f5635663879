"""Who is asking: the console's guard (session, role, CSRF), login and logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, render_template, request, session, url_for

from service.accounts import LoginFailed, LoginThrottled, authenticate, may, record_audit
from service.console.blueprint import bp, csrf
from service.console.forms import LoginForm
from service.console.web import local, t
from service.db import get_db
from service.models import User
from service.redis_conn import get_redis

# Open without an account (logging out included: it only ends whatever session there is).
PUBLIC_ENDPOINTS = {"console.login", "console.static", "console.logout"}


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
    user_id = session.get("uid")
    if user_id is None:
        return None
    with get_db().session() as db_session:
        user = db_session.get(User, user_id)
    return user if user is not None and user.active else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        try:
            with get_db().session() as db_session:
                user = authenticate(db_session, get_redis(), form.email.data, form.password.data, address)
                record_audit(db_session, user.email, "login", {"address": address})
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
            session["uid"] = user.id
            if language:
                session["lang"] = language
            target = request.args.get("next", "")
            # Only a path of this console: never send a fresh login to another site.
            if not target.startswith("/console/") or target.startswith("//"):
                home = "console.dashboard" if may(user.role, "viewer") else "console.translations_page"
                target = url_for(home)
            return redirect(target)
    return render_template("console/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@requires("viewer")
def logout():
    session.clear()
    return redirect(url_for("console.login"))
