"""The mobile-unit rounds page: open requests by place and week, and the form that plans a round."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import RoundForm
from service.console.web import actor, show_refusal, tn
from service.db import get_db
from service.errors import DomainError
from service.referrals.rounds import open_request_groups, plan_round, recent_rounds


@bp.route("/rounds", methods=["GET", "POST"])
@requires("coordinator")
def rounds():
    form = RoundForm()
    with get_db().session() as session:
        groups = open_request_groups(session)
        places = {group.place.id: group.place for group in groups}
        form.places.choices = {place_id: place.name for place_id, place in places.items()}
        if form.validate_on_submit():
            try:
                round_, planned = plan_round(
                    session,
                    unit=form.unit.data,
                    visit_date=form.visit_date.data,
                    place_ids=form.places.data,
                    actor=actor(),
                    note=form.note.data,
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
                "console/rounds.html", form=form, groups=groups, rounds=recent_rounds(session), labels=labels
            ),
            status,
        )
