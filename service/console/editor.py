"""The SMS template editor: live preview, checked saving of both languages, versions, diff and restore."""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import TemplateForm
from service.console.web import actor, json_object, settings, t
from service.db import get_db
from service.i18n import LANGUAGES
from service.input_guard import id_or_none
from service.models import MessageTemplate
from service.outbox.kinds import KINDS, MESSAGE_KINDS, default_texts
from service.outbox.templates import Check, check_body, current_body, save_template


def _kind_or_404(kind: str) -> str:
    if kind not in MESSAGE_KINDS:
        abort(404)
    return kind


def _messages(check: Check) -> list[str]:
    return [t(message, **params) for message, params in check.errors]


@bp.get("/templates")
@requires("coordinator")
def templates():
    with get_db().session() as session:
        rows = []
        for kind in MESSAGE_KINDS:
            latest = session.scalar(
                select(MessageTemplate)
                .where(MessageTemplate.kind == kind)
                .order_by(MessageTemplate.created_at.desc(), MessageTemplate.id.desc())
                .limit(1)
            )
            rows.append((kind, latest))
        return render_template("console/templates.html", rows=rows, labels=labels)


@bp.route("/templates/<kind>", methods=["GET", "POST"])
@requires("coordinator")
def template_edit(kind: str):
    _kind_or_404(kind)
    form = TemplateForm()
    with get_db().session() as session:
        current = {language: current_body(session, kind, language) for language in LANGUAGES}
        if not form.is_submitted():
            form.body_fr.data, form.body_bm.data = current["fr"], current["bm"]
        fields = {"fr": form.body_fr, "bm": form.body_bm}
        checks = {
            language: check_body(fields[language].data or "", kind, language, settings())
            for language in LANGUAGES
        }
        if form.validate_on_submit():
            for language, check in checks.items():
                fields[language].errors = list(fields[language].errors) + _messages(check)
            if not any(field.errors for field in fields.values()):
                saved = _save_changed(session, kind, {lang: fields[lang].data for lang in LANGUAGES}, current)
                if saved:
                    flash(t("Modèle enregistré (%(versions)s).", versions=", ".join(saved)))
                else:
                    flash(t("Aucun changement à enregistrer."))
                return redirect(url_for("console.template_edit", kind=kind))
        return (
            render_template(
                "console/template_edit.html",
                kind=kind,
                form=form,
                fields=fields,
                checks=checks,
                placeholders=KINDS[kind].allowed_placeholders,
                labels=labels,
            ),
            400 if form.errors or any(field.errors for field in fields.values()) else 200,
        )


def _save_changed(session: Session, kind: str, bodies: dict[str, str], current: dict[str, str]) -> list[str]:
    """Save each language whose text changed as a new version; audit what was saved."""
    saved = []
    for language, body in bodies.items():
        if body != current[language]:
            template = save_template(session, kind, language, body, actor(), settings())
            saved.append(f"{language} v{template.version}")
    if saved:
        record_audit(session, actor(), AuditAction.TEMPLATE_SAVED, {"kind": kind, "versions": saved})
    return saved


@bp.post("/templates/<kind>/preview")
@requires("coordinator")
def template_preview(kind: str):
    """The preview of a body being typed (JSON, for the editor's script)."""
    _kind_or_404(kind)
    data = json_object()
    language = data.get("language")
    if language not in LANGUAGES or not isinstance(data.get("body"), str):
        abort(400)
    check = check_body(data["body"], kind, language, settings())
    return jsonify(
        preview=asdict(check.preview) if check.preview else None, errors=_messages(check), budget=check.budget
    )


@bp.get("/templates/<kind>/versions")
@requires("coordinator")
def template_versions(kind: str):
    _kind_or_404(kind)
    language = request.args.get("language", "fr")
    if language not in LANGUAGES:
        abort(404)
    with get_db().session() as session:
        versions = session.scalars(
            select(MessageTemplate)
            .where(MessageTemplate.kind == kind, MessageTemplate.language == language)
            .order_by(MessageTemplate.version.desc())
        ).all()
        by_number = {version.version: version.body for version in versions}
        by_number[0] = default_texts()[kind][language]
        newest = versions[0].version if versions else 0
        new_number = id_or_none(request.args.get("b")) or newest
        old_number = id_or_none(request.args.get("a")) or max(new_number - 1, 0)
        if old_number not in by_number or new_number not in by_number:
            abort(404)
        return render_template(
            "console/template_versions.html",
            kind=kind,
            language=language,
            versions=versions,
            default_body=by_number[0],
            a=old_number,
            b=new_number,
            diff=word_diff(by_number[old_number], by_number[new_number]),
            labels=labels,
        )


@bp.post("/templates/<kind>/versions/<int:template_id>/restore")
@requires("coordinator")
def template_restore(kind: str, template_id: int):
    """Make an old version the newest again (as a new version), if it still passes today's checks."""
    _kind_or_404(kind)
    with get_db().session() as session:
        old = session.get(MessageTemplate, template_id)
        if old is None or old.kind != kind:
            abort(404)
        _restore(session, kind, old.language, old.body, old.version)
    return redirect(url_for("console.template_versions", kind=kind, language=old.language))


@bp.post("/templates/<kind>/<any(fr, bm):language>/restore-shipped")
@requires("coordinator")
def template_restore_shipped(kind: str, language: str):
    """Make the shipped text (v0) the newest version again, like any other version."""
    _kind_or_404(kind)
    with get_db().session() as session:
        _restore(session, kind, language, default_texts()[kind][language], 0)
    return redirect(url_for("console.template_versions", kind=kind, language=language))


def _restore(session: Session, kind: str, language: str, body: str, version: int) -> None:
    """Save `body` (version `version`) as a new version if it passes today's checks; say what happened."""
    check = check_body(body, kind, language, settings())
    if check.errors:
        why = " ".join(_messages(check))
        flash(t("Cette version ne peut plus être utilisée : %(why)s", why=why), "error")
        return
    template = save_template(session, kind, language, body, actor(), settings())
    record_audit(
        session,
        actor(),
        AuditAction.TEMPLATE_RESTORED,
        {"kind": kind, "language": language, "from": version, "to": template.version},
    )
    flash(t("Version %(old)s rétablie comme version %(new)s.", old=version, new=template.version))


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(`equal`|`delete`|`insert`, text) pieces turning `old` into `new`, word by word."""
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    pieces = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("equal", "".join(old_words[a1:a2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(("delete", "".join(old_words[a1:a2])))
        if op in ("insert", "replace"):
            pieces.append(("insert", "".join(new_words[b1:b2])))
    return pieces
