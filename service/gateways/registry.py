"""Which gateways exist: the SMS and voice adapters by the names SMS_GATEWAY and VOICE_GATEWAY give them,
the check of their settings, their callbacks and commands registered on the app."""

from __future__ import annotations

from types import ModuleType

import redis
from flask import Flask

from service.cli import Commands
from service.config import ConfigError, Settings, check_secret, get_settings, value_of
from service.gateways import africastalking, android, console, orange, twiml
from service.gateways.chain import GatewayChain, GatewayHealth
from service.gateways.port import Gateway, VoiceGateway
from service.redis_conn import get_redis

# SMS_GATEWAY value -> the gateway's module and its adapter class (each takes the Settings).
GATEWAYS: dict[str, tuple[ModuleType, type]] = {
    console.NAME: (console, console.ConsoleGateway),
    africastalking.NAME: (africastalking, africastalking.AfricasTalkingGateway),
    orange.NAME: (orange, orange.OrangeGateway),
    android.NAME: (android, android.AndroidGateway),
}

# VOICE_GATEWAY value -> the gateway's module and its voice adapter class.
VOICE_GATEWAYS: dict[str, tuple[ModuleType, type]] = {
    console.NAME: (console, console.ConsoleVoice),
    africastalking.NAME: (africastalking, africastalking.AfricasTalkingVoice),
    twiml.NAME: (twiml, twiml.TwimlVoice),
}

gateways_cli = Commands("gateways", help="SMS gateways: register Jigi's callback addresses with them.")
gateways_cli.add_command(orange.subscribe_command)
gateways_cli.add_command(android.register_webhooks_command)


def check_settings(settings: Settings) -> None:
    """Refuse, naming the variable, an SMS_GATEWAY or VOICE_GATEWAY without an adapter, or a chosen gateway
    whose required variables are empty."""
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
    if settings.voice_gateway not in VOICE_GATEWAYS:
        known = ", ".join(VOICE_GATEWAYS)
        raise ConfigError("VOICE_GATEWAY", f"must be one of {known}, got {settings.voice_gateway!r}")
    module, _adapter = VOICE_GATEWAYS[settings.voice_gateway]
    for variable in module.VOICE_REQUIRED:
        if not value_of(settings, variable):
            raise ConfigError(variable, f"required when VOICE_GATEWAY is {settings.voice_gateway}")


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


def make_voice_gateway(settings: Settings) -> VoiceGateway:
    """The voice adapter VOICE_GATEWAY names."""
    _module, adapter = VOICE_GATEWAYS[settings.voice_gateway]
    return adapter(settings)


def get_voice_gateway(app: Flask) -> VoiceGateway:
    """The app's voice adapter, made on first use."""
    gateway = app.extensions.get("jigi.voice_gateway")
    if gateway is None:
        gateway = app.extensions["jigi.voice_gateway"] = make_voice_gateway(get_settings(app))
    return gateway


def init_app(app: Flask) -> None:
    """Check the chosen gateways' settings; register every gateway's callbacks and the commands."""
    check_settings(get_settings(app))
    modules = {module.__name__: module for module, _adapter in [*GATEWAYS.values(), *VOICE_GATEWAYS.values()]}
    for module in modules.values():
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
    app.cli.add_command(gateways_cli)
