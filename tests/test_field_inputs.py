"""Inputs the security test found answering 500 or tying up a worker, each answered at once: dates far
in the past or future, an incoming SMS dated in year 1, a non-ASCII signature, a template that formats its
values, a login `next` with CR/LF, a megabyte of USSD text, a 20,000-digit answer."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
from conftest import CALLBACK_TOKEN
from console_support import PASSWORD, make_user, sign_in
from sqlalchemy import select
from test_ussd_endpoint import MOUSSA, post, screen

from service.api.tokens import create_token
from service.gateways.android import signature_ok
from service.models import InboundMessage


@pytest.fixture
def admin(app, client, db, demo):
    return sign_in(app, client, db, "admin")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("path", ["/console/", "/console/referrals", "/console/messages", "/console/audit"])
def test_a_console_filter_date_outside_the_years_is_a_400_that_says_so(client, admin, path, name, day):
    response = client.get(f"{path}?{name}={day}")
    assert response.status_code == 400 and "2000 à 2100" in response.get_data(as_text=True)


@pytest.fixture
def api_headers(db):
    with db.session() as session:
        token = create_token(session, "partner", "write", "test")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_api_filter_or_plan_date_outside_the_years_is_a_400_that_says_so(client, api_headers, demo, day):
    listed = client.get(f"/api/v1/referrals?since={day}", headers=api_headers)
    patient = client.post(
        "/api/v1/patients", json={"phone": "+22376111222", "language": "fr"}, headers=api_headers
    ).json
    planned = client.post(
        f"/api/v1/patients/{patient['reference']}/medication-plans",
        json={"times": ["08:00"], "start_date": day, "end_date": day},
        headers=api_headers,
    )
    booked = client.post(
        f"/api/v1/patients/{patient['reference']}/appointments",
        json={"starts_at": f"{day}T09:00", "place_code": "TBK-A3"},
        headers=api_headers,
    )
    for response in (listed, planned, booked):
        assert response.status_code in (400, 422) and "2000" in response.get_data(as_text=True)


@pytest.mark.parametrize("moment", ["0001-01-01T09:00", "9999-12-31T09:00"])
def test_an_appointment_outside_the_years_is_refused_next_to_the_field(client, admin, db, moment):
    with db.session() as session:
        from service.care.patients import add_patient

        patient_id = add_patient(session, "+22376111223", "fr").id
    response = client.post(
        f"/console/patients/{patient_id}/appointments", data={"starts_at": moment, "mobile_unit": "y"}
    )
    assert response.status_code == 400 and "Donnez une année de 2000 à 2100." in response.get_data(
        as_text=True
    )


def test_the_command_line_refuses_an_appointment_in_year_9999(runner, demo):
    added = runner.invoke(args=["patients", "add", "+22376111224", "--language", "fr"])
    reference = added.output.strip().split()[-1]
    result = runner.invoke(
        args=["appointments", "add", reference, "--at", "9999-12-31 09:00", "--mobile-unit"]
    )
    assert result.exit_code == 1 and "Error: Give a year from 2000 to 2100." in result.output


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/at/sms/inbound",
            {
                "from": "+22376123456",
                "to": "36123",
                "text": "OUI",
                "id": "ATXid_9",
                "date": "0001-01-01T00:00:00+14:00",
            },
        ),
    ],
)
def test_an_incoming_sms_dated_year_one_is_stored_with_its_arrival_time(client, db, demo, path, body):
    before = time.time()
    response = client.post(f"{path}?token={CALLBACK_TOKEN}", data=body)
    assert response.status_code == 200
    with db.session() as session:
        stored = session.scalars(select(InboundMessage)).one()
        assert stored.received_at.timestamp() >= before - 1


def test_an_orange_sms_dated_year_one_is_stored_too(client, db, demo):
    note = {
        "inboundSMSMessageNotification": {
            "inboundSMSMessage": {
                "senderAddress": "tel:+22376123456",
                "destinationAddress": "tel:+2230000",
                "message": "OUI",
                "messageId": "orange-1",
                "dateTime": "0001-01-01T00:00:00+14:00",
            }
        }
    }
    response = client.post(f"/gateways/orange/inbound?token={CALLBACK_TOKEN}", json=note)
    assert response.status_code == 200
    with db.session() as session:
        assert session.scalars(select(InboundMessage)).one().text == "OUI"


def test_a_signature_with_other_than_ascii_is_simply_wrong():
    assert signature_ok("key", b"{}", str(int(time.time())), "é" * 64) is False


@pytest.mark.parametrize("body", ["Appelez {hotline:>20000000}", "Appelez {hotline:d}", "Code {reference!r}"])
def test_a_template_that_formats_its_values_is_refused_at_once(client, admin, body):
    started = time.monotonic()
    response = client.post("/console/templates/referral_ack/preview", json={"language": "fr", "body": body})
    saved = client.post("/console/templates/referral_ack", data={"body_fr": body, "body_bm": body})

    assert response.status_code == 200 and len(response.data) < 10_000
    assert "seule entre accolades" in " ".join(response.json["errors"])
    assert saved.status_code == 400 and time.monotonic() - started < 5


@pytest.mark.parametrize("target", ["/console/\r\nSet-Cookie: x=1", "/console/%0d%0aX: y", "//evil.example"])
def test_a_login_next_with_cr_lf_or_another_site_leads_home(app, client, db, target):
    app.config["WTF_CSRF_ENABLED"] = False
    make_user(db, "coordinator")
    response = client.post(
        f"/console/login?next={quote(target)}", data={"email": "coordinator@jigi.ml", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/console/"


def test_a_megabyte_of_ussd_text_gets_an_ordinary_end_screen_at_once(client, demo):
    started = time.monotonic()
    body = screen(client, "1*" * 200_000 + "1")  # 800 KB once form-encoded: under the largest body read
    assert body.startswith("END ") and "trop longue" in body and time.monotonic() - started < 5


def test_a_twenty_thousand_digit_answer_is_an_invalid_choice(client, demo):
    answer = screen(client, "9" * 20_000)
    assert answer.startswith("CON Choix invalide.")
    assert post(client, "1*" + "9" * 20_000, phone=MOUSSA).status_code == 200


def test_an_api_body_is_read_as_json_only_once_small(client, api_headers):
    assert client.post("/api/v1/patients", data=json.dumps([1] * 10), headers=api_headers).status_code in (
        400,
        415,
        422,
    )
