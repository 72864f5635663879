"""The DHIS2 page (admins): every value the month's push would send beside what DHIS2 holds now, the push
itself (or DHIS2's dry run), the pushes so far with their summaries, and each health area's org unit."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from service.accounts import AuditAction, record_audit
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import Dhis2OrgUnitForm, Dhis2PushForm
from service.console.web import actor, language, local_today, settings, show_refusal, t
from service.db import get_db
from service.dhis2.indicators import INDICATORS
from service.dhis2.periods import month_before
from service.dhis2.push import complete, preview, push
from service.errors import DomainError
from service.models import Dhis2Push, Place, PlaceLevel
from service.places import set_org_unit
from service.timeutil import utcnow

SHOWN_PUSHES = 24


@bp.app_template_filter("indicator_label")
def indicator_label(name: str) -> str:
    """An indicator's name in the console's language (its mhGAP category named where it has one)."""
    indicator = INDICATORS.get(name)
    if indicator is None:
        return name
    if indicator.category:
        return t(indicator.label, category=t(labels.CATEGORY[indicator.category]))
    return t(indicator.label)


@bp.route("/dhis2", methods=["GET", "POST"])
@requires("admin")
def dhis2_page():
    push_form, unit_form = Dhis2PushForm(prefix="push"), Dhis2OrgUnitForm(prefix="unit")
    period = request.args.get("period") or push_form.period.data or month_before(local_today()).code
    push_form.period.data = period
    with get_db().session() as session:
        areas = session.scalars(
            select(Place).where(Place.level == PlaceLevel.AREA).order_by(Place.name)
        ).all()
        unit_form.area.choices = [(area.code, area.name) for area in areas]
        if request.method == "POST" and "unit-area" in request.form and unit_form.validate_on_submit():
            try:
                area = set_org_unit(session, unit_form.area.data, unit_form.org_unit.data or "")
            except DomainError as error:
                show_refusal(unit_form, error, "org_unit")
            else:
                record_audit(
                    session,
                    actor(),
                    AuditAction.PLACE_ORG_UNIT,
                    {"place": area.code, "org_unit": area.dhis2_org_unit or ""},
                )
                flash(t("Unité d'organisation de %(area)s enregistrée.", area=area.name))
                return redirect(url_for("console.dhis2_page", period=period))
        if request.method == "POST" and "push-period" in request.form and push_form.validate_on_submit():
            try:
                record, _view, failure = push(
                    session, settings(), period, actor(), utcnow(), dry_run=push_form.dry_run.data
                )
            except DomainError as refused:
                show_refusal(push_form, refused, "period")
            else:
                if failure is not None:
                    flash(failure.text(language()), "error")
                elif complete(record):
                    flash(t("DHIS2 a tout accepté (%(period)s).", period=record.period))
                else:
                    flash(t("DHIS2 n'a pas tout accepté : voyez les conflits ci-dessous."), "error")
                return redirect(url_for("console.dhis2_page", period=period))
        view, refusal = None, None
        try:
            view = preview(session, settings(), period)
        except DomainError as refused:
            refusal = refused.text(language())
        pushes = session.scalars(select(Dhis2Push).order_by(Dhis2Push.id.desc()).limit(SHOWN_PUSHES)).all()
        return (
            render_template(
                "console/dhis2.html",
                push_form=push_form,
                unit_form=unit_form,
                areas=areas,
                view=view,
                refusal=refusal,
                pushes=pushes,
                complete=complete,
            ),
            400 if push_form.errors or unit_form.errors else 200,
        )
