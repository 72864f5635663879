"""CSV downloads of referrals, visits, appointments and messages for a date range (audited)."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Response, abort, render_template

from service.accounts import record_audit
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.web import actor, requested_range
from service.db import get_db
from service.exports import export_appointments, export_messages, export_referrals, export_visits
from service.i18n import _

DEFAULT_DAYS = 30


EXPORTS: dict[str, tuple[str, Callable]] = {
    "referrals": (_("Signalements"), export_referrals),
    "visits": (_("Demandes de visite"), export_visits),
    "appointments": (_("Rendez-vous"), export_appointments),
    "messages": (_("SMS"), export_messages),
}


@bp.get("/exports")
@requires("coordinator")
def exports_page():
    return render_template("console/exports.html", days=requested_range(DEFAULT_DAYS), exports=EXPORTS)


@bp.get("/exports/<what>.csv")
@requires("coordinator")
def export_csv(what: str):
    if what not in EXPORTS:
        abort(404)
    export = EXPORTS[what][1]
    days = requested_range(DEFAULT_DAYS)
    out = io.StringIO()
    with get_db().session() as session:
        rows = export(session, out, since=days.since, until=days.until)
        record_audit(
            session, actor(), "export", {"what": what, "since": days.first, "until": days.last, "rows": rows}
        )
    name = f"jigi-{what}-{days.first}-{days.last}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
