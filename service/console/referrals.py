"""The referral queue and one referral's page with its triage actions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.care.erasure import erase_referral_contact
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.consults import consults_of
from service.console.forms import CloseReferralForm, ReferralAppointmentForm
from service.console.web import (
    actor,
    erasure_confirmed,
    language,
    paginate,
    requested_range,
    settings,
    show_refusal,
    t,
)
from service.db import get_db
from service.errors import DomainError
from service.input_guard import id_or_none
from service.models import (
    CATEGORIES,
    REFERRAL_STATUSES,
    URGENCIES,
    AlertStep,
    EmergencyAlert,
    FollowUp,
    Place,
    Referral,
    ReferralEvent,
)
from service.places import ancestor_at_level
from service.referrals import triage
from service.referrals.alerts import take_in_charge
from service.timeutil import utcnow


def districts(session: Session) -> list[Place]:
    return list(session.scalars(select(Place).where(Place.level == "district").order_by(Place.name)))


def facility_choices(session: Session, referral: Referral | None = None) -> dict[str, str]:
    """Health areas (CSCom) and districts (CSRéf) for an appointment; the referral's own come first."""
    places = list(
        session.scalars(select(Place).where(Place.level.in_(("district", "area"))).order_by(Place.name))
    )
    if referral is not None:
        own = (_safe_ancestor(referral.place, "area"), _safe_ancestor(referral.place, "district"))
        nearby = {place.id for place in own if place is not None}
        places.sort(key=lambda place: place.id not in nearby)
    return {"": "—"} | {place.code: f"{place.name} ({place.code})" for place in places}


def _safe_ancestor(place: Place, level: str) -> Place | None:
    try:
        return ancestor_at_level(place, level)
    except LookupError:
        return None


@bp.get("/referrals")
@requires("coordinator")
def referrals():
    days = requested_range()
    args = request.args
    with get_db().session() as session:
        query = triage.queue_query(
            session,
            urgency=args.get("urgency", ""),
            status=args.get("status", ""),
            district_id=id_or_none(args.get("district")),
            category=args.get("category", ""),
            since=days.since,
            until=days.until,
        )
        page = paginate(session, query)
        district_of = {r.id: getattr(_safe_ancestor(r.place, "district"), "name", "") for r in page.items}
        ids = [r.id for r in page.items]
        alert_of = {
            alert.referral_id: alert
            for alert in session.scalars(select(EmergencyAlert).where(EmergencyAlert.referral_id.in_(ids)))
        }
        return render_template(
            "console/referrals.html",
            page=page,
            days=days,
            district_of=district_of,
            alert_of=alert_of,
            districts=districts(session),
            labels=labels,
            urgencies=URGENCIES,
            statuses=REFERRAL_STATUSES,
            categories=CATEGORIES,
        )


@bp.get("/referrals/<int:referral_id>")
@requires("coordinator")
def referral(referral_id: int):
    with get_db().session() as session:
        return _referral_page(
            session, referral_id, ReferralAppointmentForm(formdata=None), CloseReferralForm(formdata=None)
        )


def _referral_page(session: Session, referral_id: int, appointment_form, close_form, status: int = 200):
    item = session.get(Referral, referral_id) or abort(404)
    if item.consent and item.contact_phone and not appointment_form.phone.data:
        appointment_form.phone.data = item.contact_phone
    appointment_form.place.choices = facility_choices(session, item)
    events = session.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == item.id)
        .order_by(ReferralEvent.created_at, ReferralEvent.id)
    ).all()
    followups = session.scalars(
        select(FollowUp).where(FollowUp.referral_id == item.id).order_by(FollowUp.created_at)
    ).all()
    alert = session.scalar(select(EmergencyAlert).where(EmergencyAlert.referral_id == item.id))
    steps = (
        session.scalars(select(AlertStep).where(AlertStep.alert_id == alert.id).order_by(AlertStep.id)).all()
        if alert
        else []
    )
    html = render_template(
        "console/referral.html",
        referral=item,
        consults=consults_of(session, referral_id=item.id),
        district=_safe_ancestor(item.place, "district"),
        events=events,
        followups=followups,
        alert=alert,
        steps=steps,
        labels=labels,
        appointment_form=appointment_form,
        close_form=close_form,
        allowed=triage.ALLOWED_FROM,
    )
    return html, status


@bp.post("/referrals/<int:referral_id>/<any(contacted, seen):action>")
@requires("coordinator")
def referral_step(referral_id: int, action: str):
    with get_db().session() as session:
        item = session.get(Referral, referral_id) or abort(404)
        try:
            if action == "contacted":
                triage.mark_contacted(session, settings(), item, actor())
            else:
                triage.mark_seen(session, item, actor())
        except DomainError as error:
            flash(error.text(language()), "error")
            return redirect(url_for("console.referral", referral_id=referral_id))
    flash(
        t("Signalement %(ref)s : %(status)s.", ref=item.reference, status=t(labels.REFERRAL_STATUS[action]))
    )
    return redirect(url_for("console.referral", referral_id=referral_id))


@bp.post("/referrals/<int:referral_id>/alert/take")
@requires("coordinator")
def referral_alert_take(referral_id: int):
    """A coordinator takes the emergency in charge: the escalation to the next clinician stops."""
    with get_db().session() as session:
        alert = session.scalar(select(EmergencyAlert).where(EmergencyAlert.referral_id == referral_id))
        if alert is None:
            abort(404)
        if take_in_charge(session, alert, actor(), utcnow()):
            record_audit(
                session, actor(), AuditAction.ALERT_TAKEN_IN_CHARGE, {"referral": alert.referral.reference}
            )
            flash(t("Alerte prise en charge : la relance des médecins de garde est arrêtée."))
        else:
            flash(t("Cette alerte était déjà prise en charge."), "error")
    return redirect(url_for("console.referral", referral_id=referral_id))


@bp.post("/referrals/<int:referral_id>/forget-contact")
@requires("admin")
def referral_forget_contact(referral_id: int):
    """Erase the contact phone of the person on request; the audit log keeps who and why."""
    if not erasure_confirmed():
        return redirect(url_for("console.referral", referral_id=referral_id))
    try:
        with get_db().session() as session:
            referral = session.get(Referral, referral_id) or abort(404)
            erase_referral_contact(session, referral, actor(), request.form.get("reason"))
        flash(t("Numéro de contact effacé."))
    except DomainError as refused:
        flash(refused.text(language()), "error")
    return redirect(url_for("console.referral", referral_id=referral_id))


@bp.post("/referrals/<int:referral_id>/close")
@requires("coordinator")
def referral_close(referral_id: int):
    form = CloseReferralForm()
    with get_db().session() as session:
        item = session.get(Referral, referral_id) or abort(404)
        if form.validate():
            try:
                triage.close_referral(session, item, actor(), form.outcome.data)
            except DomainError as error:
                show_refusal(form, error, "outcome")
            else:
                flash(t("Signalement %(ref)s clos.", ref=item.reference))
                return redirect(url_for("console.referrals"))
        return _referral_page(session, referral_id, ReferralAppointmentForm(formdata=None), form, 400)


@bp.post("/referrals/<int:referral_id>/appointment")
@requires("coordinator")
def referral_appointment(referral_id: int):
    form = ReferralAppointmentForm()
    with get_db().session() as session:
        item = session.get(Referral, referral_id) or abort(404)
        form.place.choices = facility_choices(session, item)
        starts_at = form.validate() and form.checked_start(settings().tz, utcnow())
        if starts_at:
            try:
                with session.begin_nested():
                    appointment = triage.set_appointment(
                        session,
                        settings(),
                        item,
                        actor(),
                        starts_at=starts_at,
                        phone=form.phone.data or "",
                        language=form.language.data,
                        place_code=form.place.data or None,
                        mobile_unit=form.mobile_unit.data,
                    )
            except DomainError as error:
                show_refusal(form, error, "phone")
            else:
                flash(t("Rendez-vous fixé pour le patient %(ref)s.", ref=appointment.patient.reference))
                return redirect(url_for("console.referral", referral_id=referral_id))
        return _referral_page(session, referral_id, form, CloseReferralForm(formdata=None), 400)
