"""Random `text` chains never break a session: always 200, a CON/END prefix, 160 GSM-7 characters at most."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from conftest import CALLBACK_TOKEN, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.gsm7 import is_gsm7, measure

PHONES = ["+22376000001", "+22376123456", "+22376999999"]
INPUT = st.one_of(
    st.sampled_from(["0", "00", "98", "1", "2", "3", "4", "5", "6", "8", "99", "120", "76123456", ""]),
    st.integers(min_value=-5, max_value=1000).map(str),
    st.text(alphabet="0123456789#+ ", max_size=12),
    st.text(max_size=40),  # any unicode, including Bambara letters and control characters
    st.text(alphabet="9", min_size=100, max_size=400),
)


@settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inputs=st.lists(INPUT, max_size=14), phone=st.sampled_from(PHONES), stepwise=st.booleans())
def test_random_input_never_breaks_the_session(app, demo, inputs, phone, stepwise):
    client = app.test_client()
    session_id = f"ATUid_{uuid.uuid4().hex}"
    texts = ["*".join(inputs[:n]) for n in range(len(inputs) + 1)] if stepwise else ["*".join(inputs)]
    for text in texts:
        form = {
            "sessionId": session_id,
            "serviceCode": "*384#",
            "phoneNumber": phone,
            "networkCode": "63902",
            "text": text,
        }
        response = client.post(
            f"/at/ussd?token={CALLBACK_TOKEN}",
            data=urlencode(form),
            content_type="application/x-www-form-urlencoded",
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 200, body
        assert body[:4] in ("CON ", "END "), body
        assert measure(body[4:]).length <= 160 and is_gsm7(body[4:]), body
        assert "problème est survenu" not in body, body  # no input may reach the error screen
