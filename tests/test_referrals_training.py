"""Training: trainees' phones use the real USSD service, alert no on-call clinician, count nowhere, and
their records are wiped in one action; the console's phone dials as a trainee."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from console_support import sign_in
from sqlalchemy import func, select
from test_ussd_endpoint import walk

from service.api.tokens import create_token
from service.models import AuditEntry, EmergencyAlert, OutboundMessage, Referral, VisitRequest, Volunteer

TRAINEE = "+22376999001"
# Self-harm/suicide, woman, 16, first village, thoughts or act of self-harm, consent, shared phone.
EMERGENCY = "1*1*2*16*1*1*1*2*76543210*1"
TRAINER = "+22370000009"


@pytest.fixture
def trainee(runner, demo):
    result = runner.invoke(
        args=[
            "volunteers",
            "add",
            TRAINEE,
            "--name",
            "Stagiaire",
            "--language",
            "bm",
            "--area",
            "TBK-A3",
            "--training",
        ]
    )
    assert result.exit_code == 0, result.output
    return TRAINEE


@pytest.mark.parametrize("training, start", [(True, "END EXERCICE "), (False, "END URGENCE ")])
def test_the_emergency_end_screen_in_french_says_whether_help_is_alerted(
    client, runner, demo, training, start
):
    phone = "+22376999002"
    args = ["volunteers", "add", phone, "--name", "Awa", "--language", "fr", "--area", "TBK-A3"]
    assert runner.invoke(args=args + ["--training"] * training).exit_code == 0

    done = walk(client, EMERGENCY, phone=phone)[-1]

    assert done.startswith(start)
    assert ("personne n'est alerté" in done) == training and ("secours sont alertés" in done) != training


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_trainees_emergency_alerts_no_clinician_and_says_it_is_an_exercise(client, db, trainee):
    done = walk(client, EMERGENCY, phone=trainee)[-1]

    assert done.startswith("END KALAN ") and "si ma lasòmi" in done  # in its GSM-7 spelling
    assert "welela" not in done  # "help is alerted" is for real emergencies
    with db.session() as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.urgency, referral.training) == ("emergency", True)
    assert count(db, EmergencyAlert) == 0 and count(db, OutboundMessage) == 0


def test_a_trainees_emergency_goes_to_the_training_alert_phone_when_set(app, db, trainee, settings):
    trained = replace(settings, training_alert_phone=TRAINER)
    app.extensions["jigi.settings"] = trained

    walk(app.test_client(), EMERGENCY, phone=trainee)

    with db.session() as session:
        [message] = session.scalars(select(OutboundMessage)).all()
    assert (message.kind, message.recipient, message.alert_id) == ("emergency_alert", TRAINER, None)
    assert count(db, EmergencyAlert) == 0


def test_training_records_appear_in_no_queue_dashboard_export_or_api(app, client, db, trainee, runner):
    walk(client, EMERGENCY, phone=trainee)
    walk(client, "2*1*12*1*1", phone=trainee, session="ATUid_visit")  # a mobile-team visit request
    assert count(db, VisitRequest) == 1
    sign_in(app, client, db, "admin")
    with db.session() as session:
        reference = session.scalars(select(Referral.reference)).one()
        token = create_token(session, "partner", "read", "test")

    queue = client.get("/console/referrals").get_data(as_text=True)
    dashboard = client.get("/console/").get_data(as_text=True)
    exported = runner.invoke(args=["export", "referrals"]).stdout
    visits = runner.invoke(args=["export", "visits"]).stdout
    api = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).get_json()
    one = client.get(f"/api/v1/referrals/{reference}", headers={"Authorization": f"Bearer {token}"})

    assert reference not in queue and reference not in dashboard
    assert (
        list(csv.DictReader(io.StringIO(exported))) == [] and list(csv.DictReader(io.StringIO(visits))) == []
    )
    assert api["items"] == [] and one.status_code == 404


def test_training_records_are_wiped_in_one_action_and_the_trainee_stays(runner, client, db, trainee):
    walk(client, EMERGENCY, phone=trainee)
    walk(client, "2*1*12*1*1", phone=trainee, session="ATUid_visit")

    result = runner.invoke(args=["volunteers", "wipe-training"])

    assert result.exit_code == 0 and "1 referrals, 1 visit requests" in result.output
    assert count(db, Referral) == 0 and count(db, VisitRequest) == 0
    with db.session() as session:
        assert session.scalar(select(Volunteer.training).where(Volunteer.phone == TRAINEE)) is True
        assert session.scalars(select(AuditEntry.action)).all()[-1] == "training_wiped"


def test_only_an_admin_wipes_training_from_the_console(app, client, db, trainee):
    walk(client, EMERGENCY, phone=trainee)
    sign_in(app, client, db, "coordinator")
    assert client.post("/console/volunteers/wipe-training").status_code == 403

    sign_in(app, client, db, "admin")
    client.post("/console/volunteers/wipe-training")
    assert count(db, Referral) == 1  # not confirmed: nothing erased
    confirmed = client.post(
        "/console/volunteers/wipe-training", data={"confirm": "yes"}, follow_redirects=True
    )

    page = confirmed.get_data(as_text=True)
    assert "Données de formation effacées. Signalements : 1 ;" in page and count(db, Referral) == 0


def test_the_console_phone_dials_the_real_service_as_a_trainee_only(app, client, db, trainee):
    sign_in(app, client, db, "coordinator")

    first = client.post("/console/phone/dial", json={"phone": trainee, "session_id": "t1", "text": ""})
    answers = EMERGENCY.split("*")
    report = [
        client.post(
            "/console/phone/dial", json={"phone": trainee, "session_id": "t1", "text": "*".join(answers[:n])}
        ).get_json()
        for n in range(1, len(answers) + 1)
    ]
    real = client.post("/console/phone/dial", json={"phone": "+22376000001", "session_id": "t2", "text": ""})

    assert first.status_code == 200 and first.get_json()["end"] is False
    assert report[-1]["end"] is True
    with db.session() as session:
        assert session.scalars(select(Referral.training)).one() is True
    assert real.status_code == 400
    assert "Téléphone de formation" in client.get("/console/phone").get_data(as_text=True)
