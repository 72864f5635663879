"""The translators' pages: every message with its French and Bambara side by side, filtered by area and
status, and one message's editor with how a basic phone will show it."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from service import translations
from service.accounts import AuditAction, record_audit
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.web import actor, json_object, language, page_of, t, tn
from service.db import get_db
from service.errors import DomainError
from service.gsm7 import to_gsm7
from service.i18n import LANGUAGES
from service.timeutil import utcnow


def _language() -> str:
    chosen = request.values.get("in", "bm")
    return chosen if chosen in LANGUAGES else "bm"


@bp.get("/translations")
@requires("translator")
def translations_page():
    target = _language()
    area, status = request.args.get("area", ""), request.args.get("status", "")
    with get_db().session() as session:
        shown = [
            message
            for message in translations.messages(session, target)
            if (not area or message.area == area) and (not status or message.status == status)
        ]
        counts = translations.completeness(session)
    return render_template(
        "console/translations.html",
        page=page_of(shown),
        counts=counts,
        target=target,
        area=area,
        status=status,
        labels=labels,
    )


@bp.route("/translations/edit", methods=["GET", "POST"])
@requires("translator")
def translation_edit():
    target, msgid = _language(), request.values.get("m", "")
    error = None
    with get_db().session() as session:
        try:
            message = translations.find(session, target, msgid)
        except DomainError:
            abort(404)
        text = message.text
        if request.method == "POST":
            text = request.form.get("text", "")
            reviewed = request.form.get("reviewed") == "1"
            try:
                translations.save(session, target, msgid, text, actor(), reviewed, utcnow())
            except DomainError as refused:
                error = refused.text(language())
            else:
                record_audit(
                    session,
                    actor(),
                    AuditAction.TRANSLATION_SAVED,
                    {"language": target, "reviewed": reviewed},
                )
                translations.reload_now(session)
                flash(t("Traduction enregistrée : elle s'affiche dès le prochain écran."))
                return redirect(url_for("console.translations_page", **{"in": target, "area": message.area}))
    page = render_template(
        "console/translation_edit.html",
        message=message,
        target=target,
        text=text,
        preview=_preview(message, text),
        error=error,
        labels=labels,
    )
    return page, 400 if error else 200


@bp.post("/translations/preview")
@requires("translator")
def translation_preview():
    """How a text being typed shows on a basic phone, and why it would be refused (JSON, for the editor's
    script; the same check as saving)."""
    data = json_object()
    target, text = data.get("language"), data.get("body")
    if target not in LANGUAGES or not isinstance(text, str):
        abort(400)
    with get_db().session() as session:
        try:
            message = translations.find(session, target, request.args.get("m", ""))
        except DomainError:
            abort(404)
    try:
        translations.check(message, text.strip())
    except DomainError as refused:
        errors = [refused.text(language())]
    else:
        errors = []
    return jsonify(preview=_preview(message, text), errors=errors)


def _preview(message: translations.Message, text: str) -> dict[str, str]:
    """The GSM-7 spelling of `text` and its length, against one screen for a USSD text."""
    gsm7 = to_gsm7(text.strip())
    length = tn("%(n)s caractère", "%(n)s caractères", len(gsm7))
    if message.area == "ussd":
        length += ", " + t("un écran en a %(most)s au plus", most=translations.SCREEN)
    return {"gsm7": gsm7, "length": length}
