"""The mobile-unit rounds page: open requests by place and week, the form that plans a round (ahead of
any request too), and each round's change of date or cancellation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import MoveRoundForm, RoundForm
from service.console.web import actor, language, local_today, show_refusal, t, tn
from service.db import get_db
from service.errors import DomainError
from service.models import MobileUnitRound, Place, PlaceLevel
from service.referrals.rounds import (
    RequestGroup,
    cancel_round,
    move_round,
    open_request_groups,
    plan_round,
    recent_rounds,
)


def _place_choices(session: Session, groups: list[RequestGroup]) -> dict[int, str]:
    """The places with open requests first (with how many people wait), then every other village."""
    choices: dict[int, str] = {}
    for group in groups:
        waiting = tn("%(n)s personne attend", "%(n)s personnes attendent", group.people_waiting)
        choices.setdefault(group.place.id, f"{group.place.name} ({waiting})")
    villages = select(Place).where(Place.level == PlaceLevel.VILLAGE).order_by(Place.name)
    for place in session.scalars(villages):
        choices.setdefault(place.id, place.name)
    return choices


@bp.route("/rounds", methods=["GET", "POST"])
@requires("coordinator")
def rounds():
    form = RoundForm()
    with get_db().session() as session:
        groups = open_request_groups(session)
        form.places.choices = _place_choices(session, groups)
        if form.validate_on_submit():
            try:
                round_, planned = plan_round(
                    session,
                    unit=form.unit.data,
                    visit_date=form.visit_date.data,
                    place_ids=form.places.data,
                    actor=actor(),
                    note=form.note.data,
                    today=local_today(),
                )
            except DomainError as error:
                show_refusal(form, error, "places")
            else:
                flash(
                    tn(
                        "Tournée %(unit)s planifiée : %(n)s demande, les relais sont prévenus par SMS.",
                        "Tournée %(unit)s planifiée : %(n)s demandes, les relais sont prévenus par SMS.",
                        len(planned),
                        unit=round_.unit,
                    )
                )
                return redirect(url_for("console.rounds"))
        status = 400 if form.errors else 200
        return (
            render_template(
                "console/rounds.html",
                form=form,
                groups=groups,
                rounds=recent_rounds(session),
                move_form=MoveRoundForm(formdata=None),
                labels=labels,
            ),
            status,
        )


@bp.post("/rounds/<int:round_id>/<any(move, cancel):change>")
@requires("coordinator")
def round_change(round_id: int, change: str):
    """Move a round to another date, or cancel it; the volunteers it serves are told by SMS."""
    form = MoveRoundForm()
    with get_db().session() as session:
        round_ = session.get(MobileUnitRound, round_id) or abort(404)
        try:
            with session.begin_nested():
                if change == "cancel":
                    told = cancel_round(session, round_, actor())
                elif form.validate():
                    told = move_round(session, round_, form.visit_date.data, actor(), today=local_today())
                else:
                    flash(t("Donnez la nouvelle date."), "error")
                    return redirect(url_for("console.rounds"))
        except DomainError as error:
            flash(error.text(language()), "error")
        else:
            done = t("Tournée annulée.") if change == "cancel" else t("Tournée déplacée.")
            flash(
                f"{done} " + tn("%(n)s relais prévenu par SMS.", "%(n)s relais prévenus par SMS.", len(told))
            )
    return redirect(url_for("console.rounds"))
