"""The translators' texts in force, in every web process: reloaded at most every RELOAD_SECONDS once a
response has left, and at once in the process that saved one."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import get_db
from service.i18n import set_overrides
from service.models import Translation
from service.translations.catalogs import shipped
from service.translations.workflow import fill_problem

log = logging.getLogger(__name__)
RELOAD_SECONDS = 5.0


def load(session: Session) -> dict[tuple[str, str], str]:
    """The translators' texts in force; one that cannot be filled in (stored before the check existed,
    or by hand) is left out, so the shipped text shows instead, and reported in the log."""
    areas = {row.msgid: row.area for row in shipped("fr")}
    texts = {}
    for row in session.scalars(select(Translation)):
        problem = fill_problem(areas.get(row.msgid, "console"), row.msgid, row.msgstr)
        if problem:
            log.warning(
                "translation %s of %r cannot be filled (%s): the shipped text is used",
                row.language,
                row.msgid[:60],
                problem,
            )
            continue
        texts[(row.language, row.msgid)] = row.msgstr
    return texts


def init_app(app: Flask) -> None:
    """Reload translators' texts at most every RELOAD_SECONDS, once a response has left: no caller ever
    waits for it, even with the database frozen."""
    loaded = {"at": float("-inf")}

    def reload() -> None:
        try:
            with get_db(app).session() as session:
                set_overrides(load(session))
        except Exception:  # the texts in force stay; the next reload tries again
            log.warning("could not reload the translators' texts", exc_info=True)

    @app.after_request
    def _reload_translations_later(response: Response) -> Response:
        if time.monotonic() - loaded["at"] >= RELOAD_SECONDS:
            loaded["at"] = time.monotonic()
            response.call_on_close(reload)
        return response


def reload_now(session: Session) -> None:
    """After a save: this process shows the new text at once (others within RELOAD_SECONDS)."""
    set_overrides(load(session))
