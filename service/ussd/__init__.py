"""The volunteers' USSD service: Africa's Talking callback, menu engine, and the CSV exports command."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Load and check the menus (a bad menu stops start-up), add the callback route and `export`."""
    from service.ussd.cli import export_cli
    from service.ussd.menu import load_menus
    from service.ussd.views import bp

    app.extensions["jigi.ussd.menus"] = load_menus()
    app.register_blueprint(bp)
    app.cli.add_command(export_cli)
