"""Bad input gets a 4xx with a message, never a 5xx: NUL characters (which PostgreSQL refuses), ids beyond
the database's integer range and absurdly nested JSON, on every edge."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import CALLBACK_TOKEN, examples
from console_support import sign_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.api.tokens import create_token

INBOUND_FORM = {"from": "+22376123456", "to": "36123", "text": "STOP", "date": "2026-11-30", "id": "ATXid_1"}
TOO_BIG = "99999999999999999999"


@pytest.mark.parametrize("field", sorted(INBOUND_FORM))
def test_a_nul_in_any_field_of_an_incoming_sms_is_a_400(client, field):
    form = {**INBOUND_FORM, field: INBOUND_FORM[field] + "\x00"}
    response = client.post(f"/at/sms/inbound?token={CALLBACK_TOKEN}", data=form)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


def test_a_nul_in_a_delivery_report_id_is_a_400_and_in_a_ussd_text_an_invalid_choice(client, demo):
    report = {"id": "ATXid\x00", "status": "Success", "phoneNumber": "+22376123456"}
    assert client.post(f"/at/sms/delivery?token={CALLBACK_TOKEN}", data=report).status_code == 400
    ussd = {"sessionId": "s1", "serviceCode": "*384#", "phoneNumber": "+22376123456", "text": "1\x00"}
    answer = client.post(f"/at/ussd?token={CALLBACK_TOKEN}", data=ussd)
    assert answer.status_code == 200 and answer.get_data(as_text=True).startswith("CON ")


@pytest.mark.parametrize(
    "url",
    [
        "/console/referrals?status=new%00",
        "/console/referrals?urgency=%00",
        "/console/referrals?category=x%00",
        "/console/patients?q=%00",
        "/console/messages?kind=%00",
        "/console/audit?actor=%00",
        "/console/audit?action=%00",
    ],
)
def test_a_nul_in_a_console_filter_is_a_400(app, client, db, url):
    sign_in(app, client, db, "admin")
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/console/patients/{TOO_BIG}", 404),
        (f"/console/referrals/{TOO_BIG}", 404),
        (f"/console/referrals?district={TOO_BIG}", 200),
        (f"/console/messages?page={TOO_BIG}", 200),
    ],
)
def test_ids_beyond_the_database_range_name_nothing(app, client, db, url, status):
    sign_in(app, client, db, "admin")
    assert client.get(url).status_code == status


@pytest.fixture
def api_headers(db) -> dict[str, str]:
    with db.session() as session:
        return {"Authorization": f"Bearer {create_token(session, 'partner', 'write', 'test')}"}


def test_absurdly_nested_or_nul_json_is_a_400_from_the_api(client, api_headers):
    deep = "[" * 100_000 + "]" * 100_000
    nested = client.post("/api/v1/patients", data=deep, headers=api_headers, content_type="application/json")
    assert nested.status_code == 400 and nested.json["error"]["message"] == "the body nests too deeply"
    nul = client.post("/api/v1/patients", json={"phone": "76123456\u0000"}, headers=api_headers)
    assert nul.status_code == 400 and "NUL" in nul.json["error"]["message"]
    assert client.get(f"/api/v1/appointments/{TOO_BIG}", headers=api_headers).status_code == 404


@pytest.fixture
def admin(app, client, db):
    return sign_in(app, client, db, "admin")


@settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(value=st.text(max_size=30))
def test_no_console_filter_value_makes_a_server_error(client, admin, value):
    for name in ("status", "urgency", "category", "district", "since", "q"):
        assert client.get("/console/referrals", query_string={name: value}).status_code < 500


# Text that forms and JSON can carry, NUL and other control characters included.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
CALLBACKS = {
    "/at/ussd": ("sessionId", "serviceCode", "phoneNumber", "text", "networkCode"),
    "/at/sms/inbound": ("from", "to", "text", "date", "id", "linkId"),
    "/at/sms/delivery": ("id", "status", "failureReason", "phoneNumber", "retryCount", "networkCode"),
}


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    path=st.sampled_from(sorted(CALLBACKS)),
    data=st.data(),
)
def test_no_callback_form_makes_a_server_error(client, demo, path, data):
    names = st.sampled_from(CALLBACKS[path]) | ANY_TEXT
    form = data.draw(st.dictionaries(names, ANY_TEXT, max_size=8))
    response = client.post(f"{path}?token={CALLBACK_TOKEN}", data=form)
    assert response.status_code < 500, (path, form, response.get_data(as_text=True))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
ID_OR_JUNK = st.integers(min_value=-1, max_value=2**40).map(str) | ANY_TEXT


def api_operations(app) -> list[tuple[str, str]]:
    """Every (method, URL rule) of the partner API."""
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


@settings(max_examples=examples(80), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_no_api_request_makes_a_server_error(app, client, api_headers, data):
    method, rule = data.draw(st.sampled_from(api_operations(app)))
    path = rule
    for argument in rule.split("<")[1:]:
        placeholder = "<" + argument.split(">")[0] + ">"
        path = path.replace(placeholder, quote(data.draw(ID_OR_JUNK), safe="") or "1", 1)
    query = data.draw(st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3))
    body = data.draw(JSON) if method in ("POST", "PATCH", "PUT") else None
    response = client.open(path, method=method, query_string=query, json=body, headers=api_headers)
    assert response.status_code < 500, (method, path, query, body, response.get_data(as_text=True))


def console_pages(app) -> list[str]:
    """Every console page that a GET without path arguments opens."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console/")
        and "GET" in rule.methods
        and not rule.arguments
        and "static" not in rule.endpoint
        and "logout" not in rule.endpoint
    )


@settings(max_examples=examples(80), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_no_console_query_string_makes_a_server_error(app, client, admin, data):
    page = data.draw(st.sampled_from(console_pages(app)))
    names = (
        st.sampled_from(
            (
                "status",
                "urgency",
                "category",
                "district",
                "since",
                "until",
                "q",
                "kind",
                "actor",
                "action",
                "page",
                "from",
                "to",
                "language",
                "role",
            )
        )
        | ANY_TEXT
    )
    query = data.draw(st.dictionaries(names, ANY_TEXT, max_size=4))
    response = client.get(page, query_string=query)
    assert response.status_code < 500, (page, query, response.get_data(as_text=True)[:300])


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    path=st.sampled_from(["/gateways/orange/delivery", "/gateways/orange/inbound"]),
    body=JSON
    | st.fixed_dictionaries(  # Orange's shapes with any values inside
        {
            "deliveryInfoNotification": st.fixed_dictionaries(
                {"callbackData": JSON, "deliveryInfo": st.fixed_dictionaries({"deliveryStatus": JSON})}
            )
        }
    )
    | st.fixed_dictionaries(
        {
            "inboundSMSMessageNotification": st.fixed_dictionaries(
                {
                    "inboundSMSMessage": st.dictionaries(
                        st.sampled_from(["messageId", "message", "senderAddress", "destinationAddress"]), JSON
                    )
                }
            )
        }
    ),
)
def test_no_json_callback_body_makes_a_server_error(client, path, body):
    response = client.post(f"{path}?token={CALLBACK_TOKEN}", json=body)
    assert response.status_code < 500, (path, body, response.get_data(as_text=True))


@pytest.mark.parametrize(
    "path",
    [
        "/console/phone/dial",
        "/console/phone/call",
        "/console/templates/referral_ack/preview",
        "/console/translations/preview?m=Jigi",
    ],
)
@pytest.mark.parametrize("body", ["[1, 2]", "42", '"text"', "null", "{not json"])
def test_a_console_script_endpoint_answers_json_that_is_no_object_with_a_400(app, client, db, path, body):
    sign_in(app, client, db, "admin")

    answer = client.post(path, data=body, content_type="application/json")

    assert answer.status_code == 400
