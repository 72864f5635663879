"""Jigi: USSD and SMS for community mental-health referrals and follow-up in Mali."""

from __future__ import annotations

from flask import Flask, redirect
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix

from service.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app: configuration, database, and each area's routes and commands.

    Nothing is started and nothing connects here: Redis is reached on first use.
    """
    from service import (
        api,
        care,
        cli,
        console,
        consults,
        db,
        dhis2,
        headers,
        health,
        input_guard,
        logs,
        metrics,
        referrals,
        sms,
        translations,
        ussd,
        voice,
        worker,
    )
    from service.gateways import registry
    from service.outbox.templates import check_defaults

    settings = settings or Settings.from_env()
    check_defaults(settings)
    logs.configure(settings.log_format)
    app = Flask(__name__, instance_relative_config=False)
    # Bodies are small forms and JSON; anything larger is refused before it is parsed.
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=1024 * 1024)
    app.extensions["jigi.settings"] = settings
    db.init_app(
        app, settings.database_url, settings.db_connect_timeout_seconds, settings.db_wait_timeout_seconds
    )
    logs.init_app(app)
    input_guard.init_app(app)
    headers.init_app(app, settings.is_production)
    cli.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    ussd.init_app(app)
    referrals.init_app(app)
    sms.init_app(app)
    worker.init_app(app)
    voice.init_app(app)
    consults.init_app(app)
    dhis2.init_app(app)
    registry.init_app(app)
    care.init_app(app)
    api.init_app(app)
    console.init_app(app)
    translations.init_app(app)
    if settings.trusted_proxy_hops:  # the client's address as the HTTPS proxy saw it (login throttling, logs)
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    Compress(app)  # pages are text: gzip makes the dashboard about a tenth of its size on a slow link
    app.add_url_rule("/", "home", lambda: redirect("/console/"))
    return app
