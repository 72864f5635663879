"""The recordings page: which message kinds and call prompts have a recording in each voice language, and
the form that uploads (or replaces) one, listened to in the page."""

from __future__ import annotations

from babel.dates import get_day_names, get_month_names
from flask import abort, flash, redirect, render_template, request, url_for

from service.accounts import AuditAction, record_audit
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import RecordingForm
from service.console.web import actor, language, settings, show_refusal, t
from service.db import get_db
from service.i18n import BABEL_LOCALES
from service.timeutil import utcnow
from service.voice.pieces import PIECES, kind_of_piece
from service.voice.recordings import (
    MAX_BYTES,
    PROMPTS,
    RecordingError,
    coverage,
    find_recording,
    recordable,
    save_recording,
)


def _label(name: str) -> str:
    """What the console calls a recordable name, in its language."""
    piece = kind_of_piece(name)
    if piece is None:
        return t(labels.MESSAGE_KIND.get(name) or labels.PROMPT.get(name) or name)
    group, value = piece
    locale = BABEL_LOCALES[language()]
    if group == "weekday":
        return t("Jour : %(day)s", day=get_day_names("wide", locale=locale)[value - 1])
    if group == "month":
        return t("Mois : %(month)s", month=get_month_names("wide", locale=locale)[value])
    if group == "hour":
        return t("Heure : %(hour)s h", hour=value)
    return t("Nombre : %(n)s", n=value)


@bp.get("/recordings")
@requires("coordinator")
def recordings():
    current = settings()
    with get_db().session() as session:
        have = coverage(session, current)
    rows = [
        (name, _label(name), [have[(name, language)] for language in current.voice_languages])
        for name in recordable()
    ]
    pieces = [row for row in rows if row[0] in PIECES]
    return render_template(
        "console/recordings.html",
        rows=[row for row in rows if row[0] not in PIECES],
        pieces=pieces,
        pieces_done=[sum(row[2][index] for row in pieces) for index in range(len(current.voice_languages))],
        languages=current.voice_languages,
    )


@bp.route("/recordings/<name>/<language>", methods=["GET", "POST"])
@requires("coordinator")
def recording_edit(name: str, language: str):
    current = settings()
    if name not in recordable() or language not in current.voice_languages:
        abort(404)
    request.max_content_length = MAX_BYTES + 64 * 1024  # a recording is larger than any other form
    form = RecordingForm()
    with get_db().session() as session:
        if form.validate_on_submit():
            data = form.audio.data.read()
            try:
                save_recording(
                    session, current, name, language, data, form.transcript.data, actor(), utcnow()
                )
            except RecordingError as error:
                show_refusal(form, error, "audio")
            else:
                record_audit(
                    session, actor(), AuditAction.RECORDING_SAVED, {"name": name, "language": language}
                )
                flash(t("Enregistrement déposé."))
                return redirect(url_for("console.recording_edit", name=name, language=language))
        recording = find_recording(session, name, language)
        if recording is not None and request.method == "GET":
            form.transcript.data = recording.transcript
        french = PROMPTS.get(name)
        return (
            render_template(
                "console/recording_edit.html",
                form=form,
                name=name,
                label=_label(name),
                language=language,
                recording=recording,
                french=french,
            ),
            400 if form.errors else 200,
        )
