"""SMS gateways: one module per provider, each holding its adapter, its status tables, its callbacks and
its commands; the provider-neutral port (`port.py`), the ordered chain with fallback (`chain.py`) and
delivery reports (`reports.py`).

A new provider is a new module with a `NAME`, the variables it `REQUIRED` (and the secrets a production
service must have strong, `PRODUCTION_SECRETS`), an adapter class and (if the
provider calls back) a blueprint `bp`, listed in GATEWAYS below.
"""

from __future__ import annotations

from types import ModuleType

import redis
from flask import Flask

from service.cli import Commands
from service.config import ConfigError, Settings, check_secret, get_settings, value_of
from service.gateways import africastalking, android, console, orange
from service.gateways.chain import GatewayChain, GatewayHealth
from service.gateways.port import Gateway
from service.redis_conn import get_redis

# SMS_GATEWAY value -> the gateway's module and its adapter class (each takes the Settings).
GATEWAYS: dict[str, tuple[ModuleType, type]] = {
    console.NAME: (console, console.ConsoleGateway),
    africastalking.NAME: (africastalking, africastalking.AfricasTalkingGateway),
    orange.NAME: (orange, orange.OrangeGateway),
    android.NAME: (android, android.AndroidGateway),
}

gateways_cli = Commands("gateways", help="SMS gateways: register Jigi's callback addresses with them.")
gateways_cli.add_command(orange.subscribe_command)
gateways_cli.add_command(android.register_webhooks_command)


def check_settings(settings: Settings) -> None:
    """Refuse, naming the variable, an SMS_GATEWAY without an adapter or a chosen gateway whose required
    variables are empty."""
    unknown = [name for name in settings.gateways if name not in GATEWAYS]
    if unknown:
        raise ConfigError("SMS_GATEWAY", f"must be one or more of {', '.join(GATEWAYS)}, got {unknown[0]!r}")
    for name in settings.gateways:
        module, _adapter = GATEWAYS[name]
        for variable in module.REQUIRED:
            if not value_of(settings, variable):
                raise ConfigError(variable, f"required when SMS_GATEWAY includes {name}")
        if settings.is_production:
            for variable in getattr(module, "PRODUCTION_SECRETS", ()):
                check_secret(variable, value_of(settings, variable))


def make_adapter(name: str, settings: Settings) -> Gateway:
    """The adapter of the gateway `name`."""
    _module, adapter = GATEWAYS[name]
    return adapter(settings)


def make_gateway(settings: Settings, health: redis.Redis | None = None) -> Gateway:
    """The chain of the adapters SMS_GATEWAY names, in order; `health` keeps their state for the console."""
    adapters = [make_adapter(name, settings) for name in settings.gateways]
    return GatewayChain(adapters, GatewayHealth(health) if health is not None else None)


def get_gateway(app: Flask) -> Gateway:
    """The app's gateway chain, made on first use."""
    gateway = app.extensions.get("jigi.gateway")
    if gateway is None:
        gateway = make_gateway(get_settings(app), get_redis(app))
        app.extensions["jigi.gateway"] = gateway
    return gateway


def init_app(app: Flask) -> None:
    """Check the chosen gateways' settings; register every gateway's callbacks and the commands."""
    check_settings(get_settings(app))
    for module, _adapter in GATEWAYS.values():
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
    app.cli.add_command(gateways_cli)
