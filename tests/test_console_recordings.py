"""The recordings page: coverage of every kind and prompt by voice language, upload, listen, replace."""

from __future__ import annotations

import io
from datetime import timedelta
from html import unescape

from console_support import sign_in
from sms_fixtures import add_message
from sqlalchemy import select
from test_voice_calls import wav

from service.care.patients import add_patient
from service.models import AuditEntry, OutboundMessage, Patient, Recording
from service.timeutil import utcnow
from service.voice.recordings import save_recording


def test_a_coordinator_uploads_a_recording_and_hears_it_on_the_page(app, client, db):
    sign_in(app, client, db, "coordinator")
    assert "manquant" in client.get("/console/recordings").get_data(as_text=True)

    sent = client.post(
        "/console/recordings/medication/bm",
        data={"audio": (io.BytesIO(wav()), "rappel.wav"), "transcript": "I ka fura ta sisan."},
        content_type="multipart/form-data",
    )

    assert sent.status_code == 302
    page = client.get("/console/recordings/medication/bm").get_data(as_text=True)
    with db.session() as session:
        recording = session.scalars(select(Recording)).one()
        audited = session.scalars(select(AuditEntry.action)).all()
    assert f"/voice/recordings/{recording.token}" in page and "<audio" in page
    assert "recording_saved" in audited


def test_a_file_that_is_not_audio_is_refused_next_to_the_field_in_french(app, client, db):
    sign_in(app, client, db, "coordinator")
    sent = client.post(
        "/console/recordings/medication/fr",
        data={"audio": (io.BytesIO(b"hello"), "note.txt"), "transcript": "Bonjour."},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 400
    assert "n'est pas un enregistrement WAV ou MP3" in unescape(sent.get_data(as_text=True))
    assert client.get("/console/recordings/medicine/fr").status_code == 404


def test_the_sms_page_counts_calls_minutes_and_cost_per_month_beside_sms(app, client, db):
    now = utcnow()
    for channel, status, seconds, cost in (
        ("voice", "delivered", 90, "25.0"),
        ("voice", "failed", 0, "0"),
        ("sms", "sent", None, None),
    ):
        message_id = add_message(db, channel=channel, due_at=now - timedelta(minutes=5))
        with db.session() as session:
            row = session.get(OutboundMessage, message_id)
            row.status, row.sent_at, row.duration_seconds, row.cost, row.currency = (
                status,
                now,
                seconds,
                cost,
                "XOF",
            )
    sign_in(app, client, db, "coordinator")

    page = unescape(client.get("/console/messages").get_data(as_text=True))

    row = page[page.index("Par mois : SMS et appels") :].split("<tbody>")[1].split("</tr>")[0]
    cells = [cell.split("</td>")[0] for cell in row.split("<td>")[1:]]
    assert cells[1:] == ["1", "2", "1", "1.5", "25.0 XOF", "0"]


def test_the_pieces_of_dates_are_counted_per_language_and_named_in_the_consoles_language(app, client, db):
    sign_in(app, client, db, "coordinator")
    sent = client.post(
        "/console/recordings/weekday_1/bm",
        data={"audio": (io.BytesIO(wav()), "ntenen.wav"), "transcript": "ntɛnɛ"},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302

    page = unescape(client.get("/console/recordings").get_data(as_text=True))
    assert "Dates et heures" in page and "1 / 102" in page and "0 / 102" in page
    assert "Jour : lundi" in page and "Mois : décembre" in page and "Heure : 14 h" in page
    edit = unescape(client.get("/console/recordings/weekday_1/bm?lang=bm").get_data(as_text=True))
    assert "Don : ntɛnɛ" in edit


def test_the_demo_call_plays_the_real_flow_but_stops_and_confirms_no_one(app, client, db, settings):
    sign_in(app, client, db, "coordinator")
    with db.session() as session:
        patient = add_patient(session, "+22376123456", "fr")
        patient_id = patient.id
    for name in ("medication", "voice_keys", "voice_stop_check", "voice_stopped"):
        with db.session() as session:
            save_recording(session, settings, name, "fr", wav(), "Jigi.", "test", utcnow())

    def step(**body):
        return client.post("/console/phone/call", json={"kind": "medication", "language": "fr", **body})

    start = step(step="start").get_json()
    assert start["recorded"] and len(start["plays"]) == 2 and start["gather"] == "keys"
    assert start["plays"][0].startswith("/voice/recordings/") and start["redirect"] == "silence"
    assert step(step="keys", key="9").get_json()["gather"] == "stop"
    assert step(step="stop", key="9").get_json()["plays"]
    with db.session() as session:
        assert not session.get(Patient, patient_id).opted_out
        assert session.scalars(select(OutboundMessage)).all() == []
    assert step(step="start", language="xx").status_code == 400
    assert step(step="dance").status_code == 400 and step(step="keys", key="12").status_code == 400
    assert client.post("/console/phone/call", json={"kind": "bulk", "language": "fr"}).status_code == 400
