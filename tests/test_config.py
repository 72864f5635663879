import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from service.config import COMMAND_VARIABLES, VARIABLES, ConfigError, Settings, visible_settings
from service.gateways.registry import check_settings


def settings_of(environ):
    """What a process started with `environ` runs on: the settings, checked by the gateways too."""
    settings = Settings.from_env(environ)
    check_settings(settings)
    return settings


def test_development_defaults_need_no_environment():
    settings = settings_of({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.timezone == "Africa/Bamako"
    assert settings.port == 8000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("TIMEZONE", "Mars/Olympus"),
        ("HOTLINE", "12"),
        ("QUIET_HOURS", "20h-8h"),
        ("SMS_GATEWAY", "pigeon"),
        ("APPOINTMENT_REMINDERS", "tomorrow"),
        ("AT_API_URL", "ftp://example.org"),
    ],
)
def test_malformed_value_fails_naming_the_variable(name, value):
    with pytest.raises(ConfigError) as raised:
        settings_of({name: value})
    assert raised.value.name == name
    assert name in str(raised.value)


def test_production_requires_secrets():
    environ = {"JIGI_ENV": "production", "DATABASE_URL": "sqlite:///x.db", "REDIS_URL": "redis://r:6379/0"}
    with pytest.raises(ConfigError) as raised:
        settings_of(environ)
    assert raised.value.name == "SECRET_KEY"


STRONG = "k3J9-vQx2_Lm8RtZpW4nYc6HbF1sDgEa"  # 32 random-looking characters
PRODUCTION = {
    "JIGI_ENV": "production",
    "DATABASE_URL": "sqlite:///x.db",
    "REDIS_URL": "redis://r:6379/0",
    "HOTLINE": "+22380000000",
    "SECRET_KEY": STRONG,
    "AT_CALLBACK_TOKEN": STRONG[::-1],
}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "CHANGE-ME-long-random"),  # copied from docs/deploy.md
        ("SECRET_KEY", "dev-secret-key-not-for-production"),
        ("AT_CALLBACK_TOKEN", "dev-callback-token"),
        ("AT_CALLBACK_TOKEN", "short-but-random-9f3k"),
        ("SECRET_KEY", "a" * 40),
        ("SECRET_KEY", "CHANGE-ME" + STRONG),
    ],
)
def test_production_refuses_a_known_placeholder_or_weak_secret_naming_it(name, value):
    with pytest.raises(ConfigError) as raised:
        settings_of({**PRODUCTION, name: value})
    assert raised.value.name == name


def test_production_starts_with_long_random_secrets():
    assert settings_of(PRODUCTION).is_production


def test_production_with_the_android_gateway_needs_a_strong_signing_key():
    android = {
        **PRODUCTION,
        "SMS_GATEWAY": "android",
        "ANDROID_GATEWAY_URL": "http://192.0.2.1:8080",
        "ANDROID_GATEWAY_USERNAME": "jigi",
        "ANDROID_GATEWAY_PASSWORD": "pw",
    }
    for weak in ("", "CHANGE-ME"):
        with pytest.raises(ConfigError) as raised:
            settings_of({**android, "ANDROID_GATEWAY_SIGNING_KEY": weak})
        assert raised.value.name == "ANDROID_GATEWAY_SIGNING_KEY"
    assert settings_of({**android, "ANDROID_GATEWAY_SIGNING_KEY": STRONG}).gateways == ("android",)


def test_production_refuses_the_embedded_redis():
    with pytest.raises(ConfigError) as raised:
        settings_of({"JIGI_ENV": "production", "DATABASE_URL": "sqlite:///x.db"})
    assert raised.value.name == "REDIS_URL"


def test_africastalking_gateway_requires_an_api_key():
    with pytest.raises(ConfigError) as raised:
        settings_of({"SMS_GATEWAY": "africastalking"})
    assert raised.value.name == "AT_API_KEY"


def test_quiet_hours_off_disables_them():
    assert settings_of({"QUIET_HOURS": "off"}).quiet_hours is None


def test_hotline_is_normalised_to_e164():
    assert settings_of({"HOTLINE": "80 00 12 34"}).hotline == "+22380001234"


@pytest.mark.parametrize(
    ("entry_point", "program"), [("import app", "Jigi"), ("import worker; worker.main()", "Jigi worker")]
)
def test_entry_points_stop_with_the_variable_at_fault_not_a_traceback(entry_point, program):
    root = Path(__file__).resolve().parent.parent
    environment = {**os.environ, "QUIET_HOURS": "late"}
    environment.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", entry_point],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"{program} cannot start: configuration variable QUIET_HOURS")
    assert "Traceback" not in result.stderr


def test_several_gateways_are_read_in_order():
    settings = settings_of(
        {
            "SMS_GATEWAY": " Orange , android",
            "ORANGE_CLIENT_ID": "id",
            "ORANGE_CLIENT_SECRET": "secret",
            "ANDROID_GATEWAY_URL": "http://192.0.2.10:8080",
            "ANDROID_GATEWAY_USERNAME": "jigi",
            "ANDROID_GATEWAY_PASSWORD": "secret",
        }
    )

    assert settings.gateways == ("orange", "android")


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"SMS_GATEWAY": "orange,orange"}, "SMS_GATEWAY"),
        ({"SMS_GATEWAY": "orange,pigeon"}, "SMS_GATEWAY"),
        ({"SMS_GATEWAY": "orange", "ORANGE_CLIENT_ID": "id"}, "ORANGE_CLIENT_SECRET"),
        (
            {"SMS_GATEWAY": "console,android", "ANDROID_GATEWAY_URL": "http://192.0.2.10:8080"},
            "ANDROID_GATEWAY_USERNAME",
        ),
        ({"ORANGE_SENDER_ADDRESS": "+2230000"}, "ORANGE_SENDER_ADDRESS"),
    ],
)
def test_a_gateway_without_what_it_needs_is_refused_naming_the_variable(environ, variable):
    with pytest.raises(ConfigError) as refused:
        settings_of(environ)

    assert refused.value.name == variable


def _readme_variables() -> list[str]:
    """The variables of the README's configuration table, in its order."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])]


def test_the_readme_lists_every_variable_jigi_reads_in_the_table_order():
    assert _readme_variables() == [variable.name for variable in VARIABLES] + list(COMMAND_VARIABLES)


def test_every_settings_field_is_filled_by_exactly_one_variable():
    assert sorted(variable.field for variable in VARIABLES) == sorted(f.name for f in fields(Settings))


def test_the_settings_page_shows_values_in_force_and_no_secret():
    settings = Settings.from_env(
        {"QUIET_HOURS": "21:00-07:00", "AT_API_KEY": "k" * 40, "FORBIDDEN_WORDS": "a,b"}
    )
    shown = visible_settings(settings)
    assert shown["QUIET_HOURS"] == "21:00-07:00"
    assert shown["APPOINTMENT_REMINDERS"] == "-1@18:00,0@08:00"
    assert shown["FORBIDDEN_WORDS"] == "a, b" and shown["GSM7_CONVERSION"] == "true"
    assert shown["AT_SENDER_ID"] == "—"
    secrets = {"SECRET_KEY", "AT_CALLBACK_TOKEN", "AT_API_KEY", "DATABASE_URL", "REDIS_URL"}
    assert secrets <= {variable.name for variable in VARIABLES if variable.secret}
    assert not secrets & shown.keys() and "k" * 40 not in shown.values()
