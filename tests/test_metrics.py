"""`GET /metrics`: guarded by METRICS_TOKEN, counting USSD requests and sends, reading the service's state
(backlog, unacknowledged emergencies, gateway health, the last DHIS2 push) at each scrape, and adding up
the counters of several processes in prometheus_client's multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

from conftest import CALLBACK_TOKEN
from console_support import make_referral
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from service.models import Referral
from service.outbox.rows import schedule_message
from service.referrals.alerts import raise_emergency_alert
from service.timeutil import utcnow

TOKEN = "metrics-test-token"


def scrape(client) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for sample in family.samples
    }


def ussd(client, text: str) -> None:
    body = f"sessionId=ATUid_m&serviceCode=%2A384%23&phoneNumber=%2B22376000001&networkCode=63902&text={text}"
    client.post(
        f"/at/ussd?token={CALLBACK_TOKEN}", data=body, content_type="application/x-www-form-urlencoded"
    )


def test_metrics_need_the_token_and_answer_404_without_one(app, client, settings):
    assert client.get("/metrics").status_code == 404
    app.extensions["jigi.settings"] = replace(settings, metrics_token=TOKEN)
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "METRICS_TOKEN" in wrong.get_data(as_text=True)


def test_metrics_count_ussd_requests_and_read_the_backlog_and_emergencies(app, client, db, demo, settings):
    app.extensions["jigi.settings"] = replace(settings, metrics_token=TOKEN)
    before = scrape(client)
    ussd(client, "")
    client.post(f"/at/ussd?token={CALLBACK_TOKEN}", data={"text": ""})  # no sessionId: a 400
    make_referral(db, reference="R1", urgency="emergency")
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        raise_emergency_alert(session, referral, timedelta(minutes=5))
        schedule_message(
            session,
            kind="appointment_same_day",
            recipient="+22376000009",
            language="fr",
            params={},
            due_at=utcnow() - timedelta(minutes=10),
        )
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("jigi_ussd_requests_total", outcome="con") == 1
    assert grew("jigi_ussd_requests_total", outcome="refused") == 1
    assert grew("jigi_ussd_request_seconds_count") == 2
    assert after[("jigi_emergencies_unacknowledged", ())] >= 1
    assert after[("jigi_outbox_due", ())] >= 1
    assert after[("jigi_outbox_oldest_due_age_seconds", ())] >= 600
    assert after[("jigi_gateway_up", (("gateway", "console"),))] == 1


def test_several_processes_counters_add_up_in_multiprocess_mode(app, client, settings, tmp_path, monkeypatch):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    program = "from service.metrics import count_send; count_send('sms', 'africastalking', 'accepted')"
    for _worker in range(2):
        subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    app.extensions["jigi.settings"] = replace(settings, metrics_token=TOKEN)

    found = scrape(client)

    key = (
        "jigi_messages_total",
        (("channel", "sms"), ("gateway", "africastalking"), ("result", "accepted")),
    )
    assert found[key] == 2
