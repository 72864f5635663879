"""Admin pages: accounts, the audit log and the (read-only) settings in force."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from service.accounts import (
    AccountError,
    AuditAction,
    AuditFilter,
    audit_actions,
    audit_query,
    create_user,
    list_users,
    record_audit,
    update_user,
)
from service.config import visible_settings
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import UserForm, UserUpdateForm
from service.console.web import actor, paginate, requested_range, settings, show_refusal, t
from service.db import get_db
from service.models import User


def _role_choices() -> dict[str, str]:
    return {role: t(label) for role, label in labels.ROLE.items()}


@bp.route("/users", methods=["GET", "POST"])
@requires("admin")
def users():
    form = UserForm()
    form.role.choices = _role_choices()
    with get_db().session() as session:
        if form.validate_on_submit():
            try:
                user = create_user(
                    session, form.email.data, form.password.data, form.role.data, form.name.data
                )
            except AccountError as error:
                show_refusal(form, error, "email")
            else:
                record_audit(
                    session, actor(), AuditAction.USER_CREATED, {"email": user.email, "role": user.role}
                )
                flash(t("Compte %(email)s créé.", email=user.email))
                return redirect(url_for("console.users"))
        return (
            render_template("console/users.html", form=form, accounts=list_users(session), labels=labels),
            400 if form.errors else 200,
        )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin")
def user_edit(user_id: int):
    with get_db().session() as session:
        account = session.get(User, user_id) or abort(404)
        form = UserUpdateForm(obj=account if request.method == "GET" else None)
        form.role.choices = _role_choices()
        if form.validate_on_submit():
            try:
                update_user(
                    session,
                    account,
                    role=form.role.data,
                    active=form.active.data,
                    password=form.password.data or None,
                )
            except AccountError as error:
                show_refusal(form, error, "email")
            else:
                record_audit(
                    session,
                    actor(),
                    AuditAction.USER_UPDATED,
                    {
                        "email": account.email,
                        "role": account.role,
                        "active": account.active,
                        "password_changed": bool(form.password.data),
                    },
                )
                flash(t("Compte %(email)s modifié.", email=account.email))
                return redirect(url_for("console.users"))
        return render_template(
            "console/user_edit.html", form=form, account=account
        ), 400 if form.errors else 200


@bp.get("/audit")
@requires("admin")
def audit():
    days = requested_range()
    filters = AuditFilter(
        actor=request.args.get("actor", ""),
        action=request.args.get("action", ""),
        since=days.since,
        until=days.until,
    )
    with get_db().session() as session:
        page = paginate(session, audit_query(filters), per_page=50)
        return render_template(
            "console/audit.html",
            page=page,
            days=days,
            filters=filters,
            actions=audit_actions(session),
            labels=labels,
        )


@bp.get("/settings")
@requires("admin")
def settings_page():
    shown = visible_settings(settings())
    return render_template("console/settings.html", shown=shown)
