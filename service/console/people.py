"""Volunteers and on-call clinicians: lists, registration, deactivation and recent activity."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import OnCallForm, VolunteerForm
from service.console.web import actor, erasure_confirmed, paginate, show_refusal, t
from service.db import get_db
from service.errors import DomainError
from service.models import FollowUp, OnCallClinician, Place, Referral, VisitRequest, Volunteer
from service.people import add_oncall, add_volunteer, deactivate_volunteer
from service.referrals.training import wipe_training_records

RECENT = 20


def place_choices(session: Session, level: str) -> dict[str, str]:
    places = session.scalars(select(Place).where(Place.level == level).order_by(Place.name))
    return {place.code: f"{place.name} ({place.code})" for place in places}


@bp.route("/volunteers", methods=["GET", "POST"])
@requires("coordinator")
def volunteers():
    form = VolunteerForm()
    with get_db().session() as session:
        form.area.choices = place_choices(session, "area")
        if form.validate_on_submit():
            try:
                volunteer = add_volunteer(
                    session,
                    form.phone.data,
                    form.name.data,
                    form.language.data,
                    form.area.data,
                    training=form.training.data,
                )
            except DomainError as error:
                show_refusal(form, error, "phone")
            else:
                record_audit(session, actor(), AuditAction.VOLUNTEER_ADDED, {"phone": volunteer.phone})
                flash(t("Relais %(name)s enregistré.", name=volunteer.name))
                return redirect(url_for("console.volunteers"))
        page = paginate(session, select(Volunteer).order_by(Volunteer.active.desc(), Volunteer.name))
        status = 400 if form.errors else 200
        return render_template("console/volunteers.html", form=form, page=page), status


@bp.post("/volunteers/wipe-training")
@requires("admin")
def volunteers_wipe_training():
    """After a training session: every record of trainees' phones goes; the trainees stay."""
    if not erasure_confirmed():
        return redirect(url_for("console.volunteers"))
    with get_db().session() as session:
        counts = wipe_training_records(session)
        record_audit(session, actor(), AuditAction.TRAINING_WIPED, counts)
    flash(
        t(
            "Données de formation effacées. Signalements : %(referrals)s ; demandes de visite : %(visits)s.",
            referrals=counts["referrals"],
            visits=counts["visit_requests"],
        )
    )
    return redirect(url_for("console.volunteers"))


@bp.get("/volunteers/<int:volunteer_id>")
@requires("coordinator")
def volunteer(volunteer_id: int):
    with get_db().session() as session:
        person = session.get(Volunteer, volunteer_id) or abort(404)
        referrals = session.scalars(
            select(Referral)
            .where(Referral.volunteer_id == person.id)
            .order_by(Referral.created_at.desc())
            .limit(RECENT)
        ).all()
        requests = session.scalars(
            select(VisitRequest)
            .where(VisitRequest.volunteer_id == person.id)
            .order_by(VisitRequest.created_at.desc())
            .limit(RECENT)
        ).all()
        followups = session.scalars(
            select(FollowUp)
            .where(FollowUp.volunteer_id == person.id)
            .order_by(FollowUp.created_at.desc())
            .limit(RECENT)
        ).all()
        return render_template(
            "console/volunteer.html",
            volunteer=person,
            referrals=referrals,
            requests=requests,
            followups=followups,
            labels=labels,
        )


@bp.post("/volunteers/<int:volunteer_id>/deactivate")
@requires("coordinator")
def volunteer_deactivate(volunteer_id: int):
    with get_db().session() as session:
        person = session.get(Volunteer, volunteer_id) or abort(404)
        deactivate_volunteer(session, person.phone)
        record_audit(session, actor(), AuditAction.VOLUNTEER_DEACTIVATED, {"phone": person.phone})
    flash(t("Relais %(name)s désactivé.", name=person.name))
    return redirect(url_for("console.volunteer", volunteer_id=volunteer_id))


@bp.route("/oncall", methods=["GET", "POST"])
@requires("coordinator")
def oncall():
    form = OnCallForm()
    with get_db().session() as session:
        form.district.choices = place_choices(session, "district")
        if form.validate_on_submit():
            try:
                clinician = add_oncall(
                    session, form.phone.data, form.name.data, form.district.data, form.language.data
                )
            except DomainError as error:
                show_refusal(form, error, "phone")
            else:
                record_audit(
                    session,
                    actor(),
                    AuditAction.ONCALL_ADDED,
                    {"phone": clinician.phone, "district": form.district.data},
                )
                flash(
                    t(
                        "%(name)s est de garde, en position %(rank)s.",
                        name=clinician.name,
                        rank=clinician.rank,
                    )
                )
                return redirect(url_for("console.oncall"))
        clinicians = session.scalars(
            select(OnCallClinician)
            .join(Place, OnCallClinician.district_id == Place.id)
            .order_by(Place.name, OnCallClinician.rank)
        ).all()
        status = 400 if form.errors else 200
        return render_template("console/oncall.html", form=form, clinicians=clinicians), status


@bp.post("/oncall/<int:clinician_id>/deactivate")
@requires("coordinator")
def oncall_deactivate(clinician_id: int):
    with get_db().session() as session:
        clinician = session.get(OnCallClinician, clinician_id) or abort(404)
        clinician.active = False
        record_audit(
            session,
            actor(),
            AuditAction.ONCALL_DEACTIVATED,
            {"phone": clinician.phone, "district": clinician.district_id},
        )
    flash(t("%(name)s ne reçoit plus les alertes.", name=clinician.name))
    return redirect(url_for("console.oncall"))
