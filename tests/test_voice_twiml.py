"""The TwiML voice gateway's own edges: the signature on every callback, what each answer of the `Calls`
resource means, and its settings. The calls themselves run through both providers in test_voice_calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from service.config import ConfigError, Settings
from service.devtools.twiml_server import TwimlServer
from service.gateways.port import Outcome, OutgoingCall
from service.gateways.registry import check_settings
from service.gateways.twiml import SIGNATURE_HEADER, TwimlVoice, signature

TOKEN = "twiml-edge-token"
PUBLIC = "https://jigi.example.org"


@pytest.fixture
def twiml_settings(settings) -> Settings:
    return replace(
        settings,
        voice_gateway="twiml",
        twiml_account_sid="ACedge",
        twiml_auth_token=TOKEN,
        twiml_number="+22320220000",
        public_url=PUBLIC,
    )


@pytest.fixture
def twiml_client(app, twiml_settings):
    app.extensions["jigi.settings"] = twiml_settings
    return app.test_client()


@pytest.fixture
def provider(twiml_settings) -> Iterator[TwimlServer]:
    with TwimlServer(account_sid="ACedge", auth_token=TOKEN) as server:
        yield server


def signed_post(client, path: str, form: dict[str, str], token: str = TOKEN):
    return client.post(
        path, data=form, headers={SIGNATURE_HEADER: signature(token, PUBLIC + path, form.items())}
    )


def test_a_callback_signed_with_the_auth_token_gets_twiml(twiml_client):
    response = signed_post(
        twiml_client, "/twiml/voice?step=start", {"CallSid": "CA1", "Direction": "inbound"}
    )
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response')


def test_an_unsigned_or_wrongly_signed_callback_is_refused(twiml_client):
    form = {"CallSid": "CA1", "Direction": "inbound"}
    assert twiml_client.post("/twiml/voice", data=form).status_code == 403
    assert signed_post(twiml_client, "/twiml/voice", form, token="someone-else").status_code == 403
    tampered = {"CallSid": "CA1", "Direction": "inbound"}
    headers = {SIGNATURE_HEADER: signature(TOKEN, PUBLIC + "/twiml/voice", form.items())}
    tampered["Digits"] = "9"  # a field added after signing
    assert twiml_client.post("/twiml/voice", data=tampered, headers=headers).status_code == 403


def test_a_signed_callback_without_a_call_sid_or_with_absurd_fields_gets_a_4xx_or_200(twiml_client):
    assert signed_post(twiml_client, "/twiml/voice", {"Direction": "inbound"}).status_code == 400
    assert signed_post(twiml_client, "/twiml/voice", {"CallSid": "C" * 65}).status_code == 400
    absurd = {"CallSid": "CA2", "Digits": "9" * 5000, "CallStatus": "completed", "CallDuration": "-4"}
    assert signed_post(twiml_client, "/twiml/voice/status?call=jigi-999999", absurd).status_code == 200
    assert signed_post(twiml_client, "/twiml/voice?call=jigi-x", absurd).status_code == 200


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("21211", Outcome.PERMANENT),  # the To number is not valid
        ("21215", Outcome.CONFIG_ERROR),  # the country is not enabled on the account
        ("20003", Outcome.CONFIG_ERROR),  # authentication failed
        ("20429", Outcome.TRANSIENT),  # too many requests
    ],
)
def test_each_refusal_of_the_calls_resource_is_classified_by_its_code(
    twiml_settings, provider, code, outcome
):
    provider.refuse_next(code)
    gateway = TwimlVoice(replace(twiml_settings, twiml_api_url=provider.url))
    result = gateway.call(OutgoingCall("jigi-1", "+22376123456"))
    assert result.outcome is outcome and code in (result.reason or "")
    assert provider.calls() == []


def test_a_placed_call_carries_the_providers_sid_and_wrong_credentials_alert(twiml_settings, provider):
    gateway = TwimlVoice(replace(twiml_settings, twiml_api_url=provider.url, public_url=None))
    placed = gateway.call(OutgoingCall("jigi-1", "+22376123456"))
    assert placed.outcome is Outcome.ACCEPTED and (placed.message_id or "").startswith("CA")
    wrong = TwimlVoice(replace(twiml_settings, twiml_api_url=provider.url, twiml_auth_token="wrong"))
    assert wrong.call(OutgoingCall("jigi-2", "+22376123456")).outcome is Outcome.CONFIG_ERROR


def test_a_provider_that_is_down_or_overloaded_means_try_again(twiml_settings, provider):
    provider.refuse_next(http_status=503)
    gateway = TwimlVoice(replace(twiml_settings, twiml_api_url=provider.url))
    assert gateway.call(OutgoingCall("jigi-1", "+22376123456")).outcome is Outcome.TRANSIENT
    url = provider.url
    provider.stop()
    down = TwimlVoice(replace(twiml_settings, twiml_api_url=url))
    assert down.call(OutgoingCall("jigi-1", "+22376123456")).outcome is Outcome.TRANSIENT


def test_the_twiml_gateway_needs_its_account_token_number_and_a_public_address(settings):
    complete = replace(
        settings,
        voice_gateway="twiml",
        twiml_account_sid="AC1",
        twiml_auth_token="t",
        twiml_number="+15005550006",
        public_url=PUBLIC,
    )
    check_settings(complete)
    for variable, field in (("TWIML_AUTH_TOKEN", "twiml_auth_token"), ("PUBLIC_URL", "public_url")):
        with pytest.raises(ConfigError) as missing:
            check_settings(replace(complete, **{field: None}))
        assert missing.value.name == variable
