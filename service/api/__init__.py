"""Partner JSON API under /api/v1, with bearer tokens managed by `flask tokens ...`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from service.api import consultations, reads, writes  # noqa: F401  (their routes join the blueprint)
    from service.api.blueprint import bp
    from service.api.cli import tokens_cli

    app.register_blueprint(bp)
    app.cli.add_command(tokens_cli)
