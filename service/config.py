"""Configuration, read once from the environment and checked strictly.

Every variable is documented in the README's configuration table. A bad value stops start-up with a
message that names the variable and says what is expected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

DEV_SECRET_KEY = "dev-secret-key-not-for-production"
DEV_CALLBACK_TOKEN = "dev-callback-token"


def split_phrases(raw: str) -> tuple[str, ...]:
    """`a, b c, d*` -> ("a", "b c", "d*"): a comma-separated list kept as written."""
    return tuple(phrase.strip() for phrase in raw.split(",") if phrase.strip())


class ConfigError(RuntimeError):
    """A configuration variable is missing or malformed."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


@contextmanager
def stop_on_config_error(program: str) -> Iterator[None]:
    """Stop `program` (exit status 2) with the variable at fault and why, instead of a traceback: how every
    entry point (web app, worker, `make run`) starts."""
    try:
        yield
    except ConfigError as error:
        print(f"{program} cannot start: configuration variable {error}", file=sys.stderr)
        raise SystemExit(2) from None


def parse_quiet_hours(name: str, raw: str) -> tuple[time, time] | None:
    """Parse `HH:MM-HH:MM` (may wrap past midnight); `off` means no quiet hours."""
    raw = raw.strip()
    if raw.lower() == "off":
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError:
        raise ConfigError(name, f"expected HH:MM-HH:MM or 'off', got {raw!r}") from None
    if start == end:
        raise ConfigError(name, "start and end of quiet hours must differ")
    return start, end


@dataclass(frozen=True)
class Settings:
    """All settings of one Jigi process."""

    env: str = "development"
    database_url: str = "sqlite:///instance/jigi.db"
    redis_url: str | None = None
    secret_key: str = DEV_SECRET_KEY
    at_callback_token: str = DEV_CALLBACK_TOKEN
    timezone: str = "Africa/Bamako"
    host: str = "127.0.0.1"
    port: int = 8000
    hotline: str = "+22380000000"
    sms_gateway: str = "console"
    at_username: str = "sandbox"
    at_api_key: str = ""
    at_sender_id: str | None = None
    at_api_url: str | None = None
    at_timeout_seconds: float = 10.0
    orange_api_url: str = "https://api.orange.com"
    orange_client_id: str = ""
    orange_client_secret: str = ""
    # Orange's sender for Mali is the country code followed by zeros: not a subscriber number.
    orange_sender_address: str = "tel:+2230000"
    orange_sender_name: str | None = None
    android_gateway_url: str | None = None  # the phone's local server, or the cloud server's …/3rdparty/v1
    android_gateway_username: str = ""
    android_gateway_password: str = ""
    android_gateway_signing_key: str = ""  # verifies the app's X-Signature when set
    public_url: str | None = None  # where gateways reach Jigi (callback and webhook registration)
    # PostgreSQL: how long a connection attempt, and each wait for the server, may take (USSD needs
    # an answer within a few seconds; a frozen server must not hold a request for ever).
    db_connect_timeout_seconds: int = 2
    db_wait_timeout_seconds: float = 1.5
    quiet_hours: tuple[time, time] | None = (time(20, 0), time(8, 0))
    alert_escalate_minutes: int = 15
    appointment_reminders: tuple[tuple[int, time], ...] = ((-1, time(18, 0)), (0, time(8, 0)))
    followup_after_missed_hours: int = 24
    sweep_interval_seconds: float = 2.0
    sweep_batch_size: int = 200  # fills SPREAD (4) jobs of JOB_BATCH (50): service/sms/queues.py
    claim_timeout_seconds: int = 120
    send_timeout_seconds: int = 300
    max_send_attempts: int = 6
    # Gateway calls one send job keeps open at once, each row claimed on its own and each lane holding a
    # database connection (at most 8: SQLAlchemy's pool holds 15, and the passes need theirs).
    sends_in_flight: int = 4
    # Reminders of one text (everyone's 08:00 reminder in one language) to different numbers, sent in one
    # request where the gateway can (Africa's Talking): up to this many numbers a request.
    sms_group_size: int = 10
    optout_words_extra: tuple[str, ...] = ()  # added to service/inbox/optout_words.py
    gsm7_conversion: bool = True
    forbidden_words_extra: tuple[str, ...] = ()  # added to service/outbox/forbidden_words.toml
    referral_feedback_sms: bool = True
    training_alert_phone: str | None = None  # where a trainee's emergency goes (none: nowhere)
    trusted_proxy_hops: int = 0  # proxies in front whose X-Forwarded-For and -Proto are believed
    voice_gateway: str = "console"
    at_voice_number: str | None = None  # the Africa's Talking number calls come from
    at_voice_api_url: str = "https://voice.africastalking.com"
    twiml_api_url: str = "https://api.twilio.com"  # Twilio, or a Somleng or SignalWire space
    twiml_account_sid: str | None = None
    twiml_auth_token: str | None = None
    twiml_number: str | None = None  # the TwiML provider's number calls come from
    # Local hours in which reminder calls may ring (emergencies ring at any hour); None: any hour.
    calling_hours: tuple[time, time] | None = (time(9, 0), time(19, 0))
    voice_languages: tuple[str, ...] = ("fr", "bm")
    voice_retry_seconds: int = 1800
    voice_max_attempts: int = 3
    oncall_voice: bool = False  # an emergency alert also calls the on-call clinician
    consult_soon_minutes: int = 60  # the health worker's message before each remote consultation
    consult_confirm_hours: int = 3  # coordinators are alerted when the specialist has not confirmed by then
    consult_calls: bool = False  # at the slot time, call the specialist and connect them to the CSCom
    dhis2_url: str | None = None  # the Ministry's DHIS2 (its base address, before /api)
    dhis2_token: str | None = None  # a personal access token (Authorization: ApiToken ...)
    dhis2_username: str | None = None
    dhis2_password: str | None = None
    dhis2_mapping: str | None = None  # the TOML file mapping indicators to data elements
    dhis2_push_day: int | None = (
        None  # the day of the month the month before is pushed; None: never by itself
    )
    metrics_token: str | None = None  # the bearer token Prometheus sends to /metrics; None: no /metrics
    log_format: str = "text"  # or "json": one JSON object a line

    @property
    def gateways(self) -> tuple[str, ...]:
        """The gateways of SMS_GATEWAY, in the order they are tried."""
        return tuple(name.strip() for name in self.sms_gateway.split(","))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: the process environment), one VARIABLES row at a time."""
        reader = _Reader(os.environ if environ is None else environ)
        production = reader.choice("JIGI_ENV", MODES, cls.env) == "production"
        defaults = {field.name: field.default for field in fields(cls)}
        values = {}
        for variable in VARIABLES:
            if production and variable.production_required and reader.raw(variable.name) is None:
                raise ConfigError(variable.name, "is required in production (JIGI_ENV=production)")
            values[variable.field] = variable.read(reader, variable.name, defaults[variable.field])
        settings = cls(**values)
        if production:
            check_secret("SECRET_KEY", settings.secret_key)
            check_secret("AT_CALLBACK_TOKEN", settings.at_callback_token)
        return settings


def get_settings(app: Flask | None = None) -> Settings:
    """The settings of `app` (default: the current app), read once by `create_app`."""
    return (app or current_app).extensions["jigi.settings"]


Read = Callable[["_Reader", str, Any], Any]
MODES = ("development", "production", "test")


def _bounded(kind: str, low: float, high: float) -> Read:
    return lambda reader, name, default: getattr(reader, kind)(name, default, low, high)


@dataclass(frozen=True)
class Variable:
    """One environment variable: the Settings field it fills and how it is read. `secret` ones never show
    on the console's settings page; `production_required` ones have no default in production."""

    name: str
    field: str
    read: Read
    secret: bool = False
    production_required: bool = False


def _text(reader: _Reader, name: str, default: str | None) -> str | None:
    return reader.raw(name) or default


# Every variable Jigi reads, in the README's order; the README's configuration table lists each of them
# (a test checks it) and the console's settings page shows those that are not secret.
LOG_FORMATS = ("text", "json")
VARIABLES = (
    Variable("JIGI_ENV", "env", lambda reader, name, default: reader.choice(name, MODES, default)),
    Variable("DATABASE_URL", "database_url", _text, secret=True, production_required=True),
    Variable("DB_CONNECT_TIMEOUT_SECONDS", "db_connect_timeout_seconds", _bounded("integer", 2, 60)),
    Variable("DB_WAIT_TIMEOUT_SECONDS", "db_wait_timeout_seconds", _bounded("number", 0.1, 600)),
    Variable("REDIS_URL", "redis_url", _text, secret=True, production_required=True),
    Variable("SECRET_KEY", "secret_key", _text, secret=True, production_required=True),
    Variable("AT_CALLBACK_TOKEN", "at_callback_token", _text, secret=True, production_required=True),
    Variable(
        "HOTLINE",
        "hotline",
        lambda reader, name, default: reader.phone(name, default),
        production_required=True,
    ),
    Variable("TIMEZONE", "timezone", lambda reader, name, default: reader.timezone(name, default)),
    Variable("HOST", "host", _text),
    Variable("PORT", "port", _bounded("integer", 1, 65535)),
    Variable("SMS_GATEWAY", "sms_gateway", lambda reader, name, default: reader.gateways(name, default)),
    Variable("AT_USERNAME", "at_username", _text),
    Variable("AT_API_KEY", "at_api_key", _text, secret=True),
    Variable("AT_SENDER_ID", "at_sender_id", _text),
    Variable("AT_API_URL", "at_api_url", lambda reader, name, default: reader.url(name, default)),
    Variable("AT_TIMEOUT_SECONDS", "at_timeout_seconds", _bounded("number", 0.1, 60)),
    Variable("ORANGE_CLIENT_ID", "orange_client_id", _text, secret=True),
    Variable("ORANGE_CLIENT_SECRET", "orange_client_secret", _text, secret=True),
    Variable(
        "ORANGE_SENDER_ADDRESS",
        "orange_sender_address",
        lambda reader, name, default: reader.orange_sender(name, default),
    ),
    Variable("ORANGE_SENDER_NAME", "orange_sender_name", _text),
    Variable("ORANGE_API_URL", "orange_api_url", lambda reader, name, default: reader.url(name, default)),
    Variable(
        "ANDROID_GATEWAY_URL", "android_gateway_url", lambda reader, name, default: reader.url(name, default)
    ),
    Variable("ANDROID_GATEWAY_USERNAME", "android_gateway_username", _text),
    Variable("ANDROID_GATEWAY_PASSWORD", "android_gateway_password", _text, secret=True),
    Variable("ANDROID_GATEWAY_SIGNING_KEY", "android_gateway_signing_key", _text, secret=True),
    Variable("PUBLIC_URL", "public_url", lambda reader, name, default: reader.url(name, default)),
    Variable("QUIET_HOURS", "quiet_hours", lambda reader, name, default: reader.quiet_hours(name, default)),
    Variable(
        "APPOINTMENT_REMINDERS",
        "appointment_reminders",
        lambda reader, name, default: reader.reminder_offsets(name, default),
    ),
    Variable("FOLLOWUP_AFTER_MISSED_HOURS", "followup_after_missed_hours", _bounded("integer", 1, 24 * 14)),
    Variable("ALERT_ESCALATE_MINUTES", "alert_escalate_minutes", _bounded("integer", 1, 24 * 60)),
    Variable("SWEEP_INTERVAL_SECONDS", "sweep_interval_seconds", _bounded("number", 0.05, 60)),
    Variable("SWEEP_BATCH_SIZE", "sweep_batch_size", _bounded("integer", 1, 10_000)),
    Variable("CLAIM_TIMEOUT_SECONDS", "claim_timeout_seconds", _bounded("integer", 1, 86_400)),
    Variable("SEND_TIMEOUT_SECONDS", "send_timeout_seconds", _bounded("integer", 1, 86_400)),
    Variable("MAX_SEND_ATTEMPTS", "max_send_attempts", _bounded("integer", 1, 100)),
    Variable("SENDS_IN_FLIGHT", "sends_in_flight", _bounded("integer", 1, 8)),
    Variable("SMS_GROUP_SIZE", "sms_group_size", _bounded("integer", 1, 100)),
    Variable(
        "GSM7_CONVERSION", "gsm7_conversion", lambda reader, name, default: reader.boolean(name, default)
    ),
    Variable(
        "OPTOUT_WORDS_BM", "optout_words_extra", lambda reader, name, default: reader.words(name, default)
    ),
    Variable(
        "FORBIDDEN_WORDS",
        "forbidden_words_extra",
        lambda reader, name, default: reader.phrases(name, default),
    ),
    Variable(
        "TRAINING_ALERT_PHONE",
        "training_alert_phone",
        lambda reader, name, default: reader.optional_phone(name),
    ),
    Variable(
        "REFERRAL_FEEDBACK_SMS",
        "referral_feedback_sms",
        lambda reader, name, default: reader.boolean(name, default),
    ),
    Variable("TRUSTED_PROXY_HOPS", "trusted_proxy_hops", _bounded("integer", 0, 5)),
    Variable("VOICE_GATEWAY", "voice_gateway", lambda reader, name, default: reader.gateways(name, default)),
    Variable("AT_VOICE_NUMBER", "at_voice_number", lambda reader, name, default: reader.optional_phone(name)),
    Variable("AT_VOICE_API_URL", "at_voice_api_url", lambda reader, name, default: reader.url(name, default)),
    Variable("TWIML_API_URL", "twiml_api_url", lambda reader, name, default: reader.url(name, default)),
    Variable("TWIML_ACCOUNT_SID", "twiml_account_sid", _text),
    Variable("TWIML_AUTH_TOKEN", "twiml_auth_token", _text, secret=True),
    Variable("TWIML_NUMBER", "twiml_number", _text),
    Variable(
        "CALLING_HOURS", "calling_hours", lambda reader, name, default: reader.quiet_hours(name, default)
    ),
    Variable(
        "VOICE_LANGUAGES",
        "voice_languages",
        lambda reader, name, default: reader.language_codes(name, default),
    ),
    Variable("VOICE_RETRY_SECONDS", "voice_retry_seconds", _bounded("integer", 60, 86_400)),
    Variable("VOICE_MAX_ATTEMPTS", "voice_max_attempts", _bounded("integer", 1, 10)),
    Variable("ONCALL_VOICE", "oncall_voice", lambda reader, name, default: reader.boolean(name, default)),
    Variable("CONSULT_SOON_MINUTES", "consult_soon_minutes", _bounded("integer", 5, 24 * 60)),
    Variable("CONSULT_CONFIRM_HOURS", "consult_confirm_hours", _bounded("integer", 1, 72)),
    Variable("CONSULT_CALLS", "consult_calls", lambda reader, name, default: reader.boolean(name, default)),
    Variable("DHIS2_URL", "dhis2_url", lambda reader, name, default: reader.url(name, default)),
    Variable("DHIS2_TOKEN", "dhis2_token", _text, secret=True),
    Variable("DHIS2_USERNAME", "dhis2_username", _text),
    Variable("DHIS2_PASSWORD", "dhis2_password", _text, secret=True),
    Variable("DHIS2_MAPPING", "dhis2_mapping", _text),
    Variable("DHIS2_PUSH_DAY", "dhis2_push_day", _bounded("integer", 1, 28)),
    Variable("METRICS_TOKEN", "metrics_token", _text, secret=True),
    Variable(
        "LOG_FORMAT", "log_format", lambda reader, name, default: reader.choice(name, LOG_FORMATS, default)
    ),
)
BY_NAME = {variable.name: variable for variable in VARIABLES}
# Variables a command reads, not a setting of the service (the README lists them too).
COMMAND_VARIABLES = ("JIGI_PASSWORD",)


def value_of(settings: Settings, name: str) -> Any:
    """The value of the environment variable `name` in `settings`."""
    return getattr(settings, BY_NAME[name].field)


def shown(value: Any) -> str:
    """A setting's value as the console's settings page and the README write it."""
    if value is None or value == ():
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and all(isinstance(part, time) for part in value):  # quiet hours
        return "-".join(f"{moment:%H:%M}" for moment in value)
    if isinstance(value, tuple) and all(isinstance(part, tuple) for part in value):  # reminder offsets
        return ",".join(f"{days}@{at:%H:%M}" for days, at in value)
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def visible_settings(settings: Settings) -> dict[str, str]:
    """Each variable that is not secret, with its value in force."""
    return {
        variable.name: shown(value_of(settings, variable.name))
        for variable in VARIABLES
        if not variable.secret
    }


# Secrets a production service refuses: the development defaults, anything shorter than this, and the
# placeholders of docs/deploy.md (anyone who read the docs could sign a session with them).
MIN_SECRET_LENGTH = 32
KNOWN_SECRETS = (DEV_SECRET_KEY, DEV_CALLBACK_TOKEN, "test-callback-token")
MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
PLACEHOLDER_MARKS = ("change-me", "changeme", "placeholder", "example", "secret-key", "xxxx")


def check_secret(name: str, value: str) -> None:
    """Refuse, naming the variable, a secret that is known, a placeholder or under 32 characters."""
    folded = value.lower()
    if value in KNOWN_SECRETS:
        raise ConfigError(name, "is a development default: set a long random value")
    if any(mark in folded for mark in PLACEHOLDER_MARKS):
        raise ConfigError(name, "is a placeholder from the docs: set a long random value")
    if len(value) < MIN_SECRET_LENGTH or len(set(value)) < 8:
        raise ConfigError(
            name, f"is too weak: use at least {MIN_SECRET_LENGTH} random characters ({MAKE_ONE})"
        )


class _Reader:
    """Typed access to environment variables with errors that name the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, name: str) -> str | None:
        value = self.env.get(name)
        return value.strip() if value is not None and value.strip() != "" else None

    def text(self, name: str, default: str | None) -> str:
        value = self.raw(name)
        if value is None:
            if default is None:
                raise ConfigError(name, "is required in production (JIGI_ENV=production)")
            return default
        return value

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = (self.raw(name) or default).lower()
        if value not in allowed:
            raise ConfigError(name, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(name, f"must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(name, f"must be between {low} and {high}, got {number}")
        return number

    def number(self, name: str, default: float, low: float, high: float) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(name, f"must be a number, got {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(name, f"must be between {low} and {high}, got {number}")
        return number

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(name, f"must be true or false, got {value!r}")

    def timezone(self, name: str, default: str) -> str:
        value = self.raw(name) or default
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(name, f"unknown time zone {value!r} (e.g. Africa/Bamako)") from None
        return value

    def phone(self, name: str, default: str | None) -> str:
        from service.phones import InvalidPhone, normalize_phone

        value = self.text(name, default)
        try:
            return normalize_phone(value)
        except InvalidPhone as error:
            raise ConfigError(name, str(error)) from None

    def optional_phone(self, name: str) -> str | None:
        return self.phone(name, None) if self.raw(name) is not None else None

    def gateways(self, name: str, default: str) -> str:
        """One gateway, or several in the order they are tried, comma-separated (which names have an
        adapter is the gateways' own check: `service.gateways.check_settings`)."""
        value = (self.raw(name) or default).lower()
        names = [part.strip() for part in value.split(",")]
        if not all(names) or len(set(names)) != len(names):
            raise ConfigError(name, f"must be gateway names, comma-separated, without repeats, got {value!r}")
        return ",".join(names)

    def orange_sender(self, name: str, default: str) -> str:
        """`tel:+` and digits (Mali's is `tel:+2230000`, not a subscriber number, so not checked as one)."""
        value = self.raw(name) or default
        digits = value.removeprefix("tel:+")
        if not value.startswith("tel:+") or not digits.isascii() or not digits.isdigit():
            raise ConfigError(name, f"must look like tel:+2230000, got {value!r}")
        return value

    def url(self, name: str, default: str | None) -> str | None:
        value = self.raw(name)
        if value is not None and not value.startswith(("http://", "https://")):
            raise ConfigError(name, f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/") if value else default

    def quiet_hours(self, name: str, default: tuple[time, time] | None) -> tuple[time, time] | None:
        value = self.raw(name)
        return default if value is None else parse_quiet_hours(name, value)

    def language_codes(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """`fr,bm,khq`: language codes (2 or 3 lowercase letters), French and Bambara always among them."""
        value = self.raw(name)
        if value is None:
            return default
        codes = tuple(dict.fromkeys(code.strip().lower() for code in value.split(",") if code.strip()))
        if not all(code.isascii() and code.isalpha() and 2 <= len(code) <= 3 for code in codes):
            raise ConfigError(name, f"must be language codes like fr,bm,khq,taq,ff, got {value!r}")
        return tuple(dict.fromkeys(("fr", "bm", *codes)))

    def phrases(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.raw(name)
        return default if value is None else split_phrases(value)

    def words(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.raw(name)
        if value is None:
            return default
        return tuple(word.strip().upper() for word in value.split(",") if word.strip())

    def reminder_offsets(
        self, name: str, default: tuple[tuple[int, time], ...]
    ) -> tuple[tuple[int, time], ...]:
        """Parse `-1@18:00,0@08:00`: days relative to the appointment day, at a local time."""
        value = self.raw(name)
        if value is None:
            return default
        offsets = []
        for part in value.split(","):
            try:
                days, at = part.strip().split("@")
                offsets.append((int(days), time.fromisoformat(at)))
            except ValueError:
                raise ConfigError(name, f"expected a list like -1@18:00,0@08:00, got {value!r}") from None
            if offsets[-1][0] > 0:
                raise ConfigError(name, "reminders must come on or before the appointment day")
        return tuple(offsets)
