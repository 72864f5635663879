"""The volunteers' USSD service: Africa's Talking callback and the menu engine."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Load and check the menus (a bad menu stops start-up) and add the callback route."""
    from service.ussd.menu import load_menus
    from service.ussd.views import bp

    app.extensions["jigi.ussd.menus"] = load_menus()
    app.register_blueprint(bp)
