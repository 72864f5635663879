"""CSV downloads of referrals, visits, appointments and messages for a date range (audited)."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Response, abort, render_template

from service.accounts import record_audit
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.csv_export import export_appointments, export_messages
from service.console.web import actor, requested_range
from service.db import get_db
from service.i18n import _

DEFAULT_DAYS = 30


def available_exports() -> dict[str, tuple[str, Callable | None]]:
    """What can be downloaded: label and function (None while the USSD area's exports are not there)."""
    try:
        from service import exports as ussd_exports
    except ImportError:
        ussd_exports = None
    return {
        "referrals": (_("Signalements"), getattr(ussd_exports, "export_referrals", None)),
        "visits": (_("Demandes de visite"), getattr(ussd_exports, "export_visits", None)),
        "appointments": (_("Rendez-vous"), export_appointments),
        "messages": (_("SMS"), export_messages),
    }


@bp.get("/exports")
@requires("coordinator")
def exports_page():
    return render_template(
        "console/exports.html", days=requested_range(DEFAULT_DAYS), exports=available_exports()
    )


@bp.get("/exports/<what>.csv")
@requires("coordinator")
def export_csv(what: str):
    export = available_exports().get(what, ("", None))[1]
    if export is None:
        abort(404)
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
