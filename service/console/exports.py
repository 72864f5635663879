"""CSV downloads of referrals, visits, appointments, remote consultations and messages for a date range
(audited).

The downloads are de-identified; a full export of referrals, visits or consultations is for admins, with a
reason, and is written to the audit log as such."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask import Response, abort, render_template, request

from service.accounts import AuditAction, record_audit, required_reason
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.web import actor, day_range, language, parse_day, requested_range
from service.db import get_db
from service.errors import DomainError
from service.exports import (
    FULL_EXPORTS,
    export_appointments,
    export_consultations,
    export_messages,
    export_referrals,
    export_visits,
)
from service.i18n import _

DEFAULT_DAYS = 30


EXPORTS: dict[str, tuple[str, Callable]] = {
    "referrals": (_("Signalements"), export_referrals),
    "visits": (_("Demandes de visite"), export_visits),
    "appointments": (_("Rendez-vous"), export_appointments),
    "consultations": (_("Consultations à distance"), export_consultations),
    "messages": (_("SMS"), export_messages),
}


@bp.get("/exports")
@requires("coordinator")
def exports_page():
    return _page(requested_range(DEFAULT_DAYS))


def _page(days, reason_error: str | None = None, status: int = 200):
    html = render_template(
        "console/exports.html", days=days, exports=EXPORTS, full=FULL_EXPORTS, reason_error=reason_error
    )
    return html, status


@bp.post("/exports/full")
@requires("admin")
def export_full():
    """Referrals, visits or consultations with their identifying details: why is asked."""
    what = request.form.get("what", "")
    if what not in FULL_EXPORTS:
        abort(404)
    days = day_range(parse_day(request.form.get("since")), parse_day(request.form.get("until")))
    try:
        reason = required_reason(request.form.get("reason"))
    except DomainError as refused:
        return _page(days, refused.text(language()), 400)
    out = io.StringIO()
    with get_db().session() as session:
        rows = EXPORTS[what][1](session, out, since=days.since, until=days.until, full=True)
        detail = {"what": what, "since": days.first, "until": days.last, "rows": rows, "reason": reason}
        record_audit(session, actor(), AuditAction.EXPORT_FULL, detail)
    return _csv(f"jigi-{what}-full-{days.first}-{days.last}.csv", out.getvalue())


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
            session,
            actor(),
            AuditAction.EXPORT,
            {"what": what, "since": days.first, "until": days.last, "rows": rows},
        )
    return _csv(f"jigi-{what}-{days.first}-{days.last}.csv", out.getvalue())


def _csv(name: str, text: str) -> Response:
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
