"""Voice: reminders as recorded calls through the real voice protocols of Africa's Talking and of TwiML
(Twilio, Somleng, SignalWire), each against its local compatible server that plays the phone (answers,
presses keys, is busy, never answers). A test that takes `voice_server` runs once per provider."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from conftest import free_port
from console_support import make_referral, sign_in
from sms_fixtures import NOON, add_message, served
from sqlalchemy import event, select
from test_referrals_alerts import FIRST, emergency

from service import create_app
from service.care.appointments import schedule_appointment
from service.care.imports import import_patients
from service.care.patients import add_patient
from service.config import ConfigError, Settings
from service.devtools.at_voice_server import ATVoiceServer
from service.devtools.twiml_server import TwimlServer
from service.devtools.voice_phone import Pickup, VoicePhoneServer
from service.errors import ImportRefused
from service.gateways.registry import check_settings, make_voice_gateway
from service.models import Appointment, EmergencyAlert, MessageEvent, OutboundMessage, Patient, Referral
from service.sms.calls import place_call, place_calls
from service.sms.jobs import send_job
from service.sms.sweeper import claim_due
from service.timeutil import utcnow
from service.voice.calls import CallEnd, calling_moment, end_call
from service.voice.flow import Gather, Step, answer
from service.voice.recordings import RecordingError, save_recording

PHONE = "+22376123456"
API_KEY = "voice-test-key"
AUTH_TOKEN = "twiml-test-token"
# How each provider names a call nobody answered.
NO_ANSWER = {"africastalking": "NO_ANSWER", "twiml": "no-answer"}


def wav(seconds: float = 2.0) -> bytes:
    """A real WAV file of silence."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * int(8000 * seconds))
    return out.getvalue()


@pytest.fixture(params=["africastalking", "twiml"])
def voice_server(request, settings) -> Iterator[VoicePhoneServer]:
    if request.param == "twiml":
        server: VoicePhoneServer = TwimlServer(account_sid="ACtest", auth_token=AUTH_TOKEN)
    else:
        server = ATVoiceServer(api_key=API_KEY, token=settings.at_callback_token)
    server.provider = request.param  # type: ignore[attr-defined]
    with server:
        yield server


@pytest.fixture
def voice_settings(settings, voice_server) -> Settings:
    return replace(
        settings,
        voice_gateway=getattr(voice_server, "provider", "africastalking"),
        at_api_key=API_KEY,
        at_voice_number="+22320220000",
        at_voice_api_url=voice_server.url,
        twiml_api_url=voice_server.url,
        twiml_account_sid="ACtest",
        twiml_auth_token=AUTH_TOKEN,
        twiml_number="+22320220000",
        voice_languages=("fr", "bm", "khq"),
        quiet_hours=None,
        calling_hours=None,
        voice_max_attempts=2,
        voice_retry_seconds=1800,
    )


@pytest.fixture
def live(voice_settings, voice_server, db) -> Iterator[Settings]:
    """Jigi over HTTP on loopback (PUBLIC_URL), where the voice server posts every step of a call."""
    port = free_port()
    settings = replace(voice_settings, public_url=f"http://127.0.0.1:{port}")
    with served(create_app(settings), port) as url:
        voice_server.service_url = url
        yield settings


def record(
    db, settings, name: str, language: str = "khq", transcript: str = "Rendez-vous demain au CSCom."
) -> str:
    with db.session() as session:
        return save_recording(session, settings, name, language, wav(), transcript, "test", NOON).token


def voice_patient(db, settings, channel: str = "voice", language: str = "khq") -> tuple[int, int]:
    """A patient reminded by calls in `language`, with an appointment tomorrow; (patient, appointment)."""
    with db.session() as session:
        patient = add_patient(
            session,
            PHONE,
            "fr",
            channel=channel,
            voice_language=language,
            voice_languages=settings.voice_languages,
        )
        appointment = schedule_appointment(
            session, settings, patient, utcnow() + timedelta(days=3), mobile_unit=True
        )
        return patient.id, appointment.id


def first_call_due(db) -> datetime:
    """When the first reminder call is due (callbacks come at the real time, so the tests run on it)."""
    with db.session() as session:
        query = select(OutboundMessage.due_at).where(OutboundMessage.channel == "voice")
        return min(session.scalars(query))


def call_due(db, settings, at: datetime) -> list[str]:
    """What the sweeper and a worker do: claim the rows due at `at`, then place each call."""
    with db.session() as session:
        claimed = [message_id for message_id, _priority in claim_due(session, 100, at)]
    gateway = make_voice_gateway(settings)
    return [place_call(db, gateway, settings, message_id, at) for message_id in claimed]


def voice_rows(db) -> list[OutboundMessage]:
    with db.session() as session:
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        session.expunge_all()
        return list(rows)


def test_a_voice_patients_reminders_are_call_rows_in_their_voice_language(db, voice_settings):
    voice_patient(db, voice_settings)
    rows = voice_rows(db)
    assert rows and {(row.channel, row.voice_language) for row in rows} == {("voice", "khq")}
    assert all(row.dedupe_key.endswith(":voice") for row in rows)


def test_a_patient_reminded_both_ways_gets_an_sms_and_a_call_of_each_reminder(db, voice_settings):
    voice_patient(db, voice_settings, channel="both")
    rows = voice_rows(db)
    by_channel = {
        channel: [row.kind for row in rows if row.channel == channel] for channel in ("sms", "voice")
    }
    assert by_channel["sms"] and by_channel["sms"] == by_channel["voice"]


def test_an_answered_call_plays_the_recording_and_key_1_confirms_the_appointment(db, live, voice_server):
    token = record(db, live, "appointment_day_before")
    record(db, live, "voice_keys", transcript="Appuyez sur 1 pour confirmer.")
    _patient, appointment_id = voice_patient(db, live)
    voice_server.next_calls(Pickup(keys=("1",), seconds=40))

    outcomes = call_due(db, live, first_call_due(db))
    (call,) = voice_server.wait_calls(1)

    assert outcomes == ["sent"] and call.to == PHONE and "jigi-" in call.reference + call.url
    assert call.played[0].endswith(f"/voice/recordings/{token}") and call.pressed == ["1"]
    assert all(status == 200 and kind == "audio/wav" for _url, status, kind in call.fetched)
    (row,) = [row for row in voice_rows(db) if row.status != "scheduled"]
    assert (row.status, row.digits, row.duration_seconds) == ("delivered", "1", 40)
    assert row.gateway_message_id == call.session_id
    if live.voice_gateway == "africastalking":  # a TwiML status callback carries no price
        assert row.cost and row.currency == "XOF" and row.hangup_cause == "NORMAL_CLEARING"
    with db.session() as session:
        assert session.get(Appointment, appointment_id).status == "confirmed"
        events = session.scalars(select(MessageEvent.status).where(MessageEvent.message_id == row.id)).all()
    assert "key:1" in events and "delivered" in events


def test_nine_pressed_twice_stops_every_message_to_the_phone(db, live, voice_server):
    record(db, live, "appointment_day_before")
    patient_id, _appointment = voice_patient(db, live)
    voice_server.next_calls(Pickup(keys=("9", "9")))

    call_due(db, live, first_call_due(db))
    (call,) = voice_server.wait_calls(1)

    assert call.pressed == ["9", "9"]
    with db.session() as session:
        assert session.get(Patient, patient_id).opted_out
    waiting = [row for row in voice_rows(db) if row.channel == "voice" and row.status == "scheduled"]
    assert waiting == []


def test_a_silent_listener_hears_the_message_twice_then_goodbye(db, live, voice_server):
    token = record(db, live, "appointment_day_before")
    voice_patient(db, live)
    voice_server.next_calls(Pickup(keys=()))

    call_due(db, live, first_call_due(db))
    (call,) = voice_server.wait_calls(1)

    assert [url.endswith(token) for url in call.played] == [True, True]
    assert len(call.answers) == 3 and "GetDigits" not in call.answers[-1]


def test_a_busy_phone_is_called_again_later_then_reached_by_sms(db, live, voice_server):
    settings = live  # two calls at most, half an hour apart
    record(db, settings, "appointment_day_before")
    voice_patient(db, settings)
    voice_server.next_calls(Pickup.busy(), Pickup.no_answer())
    before = utcnow()

    call_due(db, settings, first_call_due(db))
    voice_server.wait_calls(1)
    (again,) = [row for row in voice_rows(db) if row.attempts == 1]
    assert again.status == "scheduled" and again.due_at >= before + timedelta(seconds=1800)

    # "sent", or "skipped" when the unanswered call's end reached Jigi before the provider's answer did.
    assert call_due(db, settings, again.due_at) in (["sent"], ["skipped"])
    assert len(voice_server.wait_calls(2)) == 2

    rows = voice_rows(db)
    (failed,) = [row for row in rows if row.status == "failed"]
    (by_sms,) = [row for row in rows if row.channel == "sms"]
    assert failed.hangup_cause == NO_ANSWER[settings.voice_gateway] and failed.attempts == 2
    assert (by_sms.kind, by_sms.recipient, by_sms.status) == (failed.kind, PHONE, "scheduled")


def test_without_a_recording_in_the_voice_language_the_reminder_goes_by_sms(db, live, voice_server):
    record(db, live, "appointment_day_before", language="bm")  # Bambara only; the patient hears Songhai
    voice_patient(db, live)

    outcomes = call_due(db, live, first_call_due(db))

    assert outcomes == ["by_sms"] and voice_server.calls() == []
    assert [row.channel for row in voice_rows(db) if row.kind == "appointment_day_before"] == ["sms"]
    with db.session() as session:
        assert session.scalars(select(MessageEvent.status).where(MessageEvent.status == "by_sms")).all() == [
            "by_sms"
        ]


def test_reminder_calls_wait_for_calling_hours_and_the_patients_quiet_hours(settings):
    settings = replace(
        settings, calling_hours=(time(9, 0), time(19, 0)), quiet_hours=(time(20, 0), time(8, 0))
    )
    evening = datetime(2025, 5, 12, 19, 30, tzinfo=UTC)  # Bamako is UTC
    assert calling_moment(settings, None, evening) == datetime(2025, 5, 13, 9, 0, tzinfo=UTC)
    assert calling_moment(settings, "09:00-11:00", datetime(2025, 5, 13, 9, 30, tzinfo=UTC)) == datetime(
        2025, 5, 13, 11, 0, tzinfo=UTC
    )
    assert calling_moment(settings, None, NOON) == NOON


def test_the_voice_callback_answers_every_well_formed_step_and_refuses_the_rest(client, settings):
    url = f"/at/voice?token={settings.at_callback_token}"
    unknown = client.post(url, data={"sessionId": "ATVId_x", "isActive": "1", "dtmfDigits": "9" * 5000})
    assert unknown.status_code == 200 and unknown.mimetype == "application/xml"
    assert unknown.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response')
    ended = client.post(url, data={"sessionId": "ATVId_x", "isActive": "0", "durationInSeconds": "-5"})
    assert ended.status_code == 200
    assert client.post(url, data={"isActive": "1"}).status_code == 400
    assert client.post("/at/voice?token=wrong", data={"sessionId": "ATVId_x"}).status_code == 403
    assert client.post(url, data={"sessionId": "ATVId_\x00"}).status_code == 400
    huge = {"sessionId": "ATVId_y", "isActive": "1", "clientRequestId": "jigi-99999999999999999999"}
    assert client.post(url, data=huge).status_code == 200


def test_a_recording_must_be_real_audio_of_a_usable_length_saying_nothing_revealing(db, settings):
    with db.session() as session:
        for data, transcript, field in (
            (b"not audio at all", "Rendez-vous demain.", "file"),
            (wav(0.1), "Rendez-vous demain.", "file"),
            (wav(), "Votre traitement contre la dépression", "transcript"),
            (wav(), "   ", "transcript"),
        ):
            with pytest.raises(RecordingError) as refused:
                save_recording(session, settings, "medication", "bm", data, transcript, "test", NOON)
            assert refused.value.field == field and refused.value.text("fr") != refused.value.message
        with pytest.raises(RecordingError) as refused:
            save_recording(session, settings, "medication", "xx", wav(), "Bonjour.", "test", NOON)
        assert refused.value.field == "language"


def test_a_replaced_recording_is_served_at_a_new_address_and_the_old_one_is_gone(client, db, settings):
    first = record(db, settings, "medication", language="bm")
    second = record(db, settings, "medication", language="bm")
    assert first != second
    assert client.get(f"/voice/recordings/{first}").status_code == 404
    served_now = client.get(f"/voice/recordings/{second}")
    assert served_now.status_code == 200 and served_now.mimetype == "audio/wav" and served_now.data == wav()


def test_recordings_are_added_and_listed_from_the_command_line(runner, tmp_path):
    audio = tmp_path / "rappel.wav"
    audio.write_bytes(wav())
    added = runner.invoke(
        args=["recordings", "add", "medication", "bm", str(audio), "--transcript", "I ka fura ta."]
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["recordings", "list"]).output.splitlines()
    assert "medication\tbm\t2.0 s" in listed and "medication\tfr\tmissing" in listed
    refused = runner.invoke(
        args=["recordings", "add", "medication", "bm", str(tmp_path / "rappel.wav"), "--transcript", ""]
    )
    assert refused.exit_code == 1 and "Error:" in refused.output


def test_the_africas_talking_voice_gateway_needs_its_number_and_a_public_address(settings):
    with pytest.raises(ConfigError) as missing:
        check_settings(
            replace(settings, voice_gateway="africastalking", at_api_key="k", public_url="https://x.test")
        )
    assert missing.value.name == "AT_VOICE_NUMBER"
    with pytest.raises(ConfigError) as unknown:
        check_settings(replace(settings, voice_gateway="pigeon"))
    assert unknown.value.name == "VOICE_GATEWAY"


def test_the_patients_csv_import_takes_a_channel_and_a_voice_language(db, voice_settings):
    good = io.StringIO("phone,language,channel,voice_language\n76123470,fr,voice,khq\n76123471,bm,,\n")
    with db.session() as session:
        assert import_patients(session, good, voice_languages=voice_settings.voice_languages) == 2
        channels = {
            phone: channel for phone, channel in session.execute(select(Patient.phone, Patient.channel))
        }
    assert channels == {"+22376123470": "voice", "+22376123471": "sms"}
    bad = io.StringIO("phone,language,channel,voice_language\n76123472,fr,fax,\n76123473,fr,voice,zz\n")
    with db.session() as session, pytest.raises(ImportRefused) as refused:
        import_patients(session, bad, voice_languages=voice_settings.voice_languages)
    assert [problem.split(":")[0] for problem in refused.value.problems] == ["line 2", "line 3"]


def test_a_workers_job_places_the_calls_and_sends_the_sms_it_is_given(app, db, settings, capsys):
    record(db, settings, "followup_checkin", language="bm")
    call = add_message(db, channel="voice", voice_language="bm", due_at=utcnow() - timedelta(minutes=1))
    sms = add_message(db, due_at=utcnow() - timedelta(minutes=1))
    with db.session() as session:
        claimed = sorted(message_id for message_id, _priority in claim_due(session, 10, utcnow()))
    assert claimed == sorted([call, sms])

    # Whatever the hour the suite runs at: neither quiet hours nor calling hours hold these rows.
    app.extensions["jigi.settings"] = replace(settings, quiet_hours=None, calling_hours=None)
    with app.app_context():
        counts = send_job(*claimed)

    assert counts == {"sent": 2}
    printed = capsys.readouterr().out
    assert "CALL to +22376123456" in printed and "SMS to +22376123456" in printed


def test_a_job_places_its_calls_several_at_once_each_once(db, live, voice_server):
    record(db, live, "followup_checkin", language="bm")
    recipients = [f"+2237600{n:04d}" for n in range(9)]
    for recipient in recipients:
        add_message(db, channel="voice", voice_language="bm", recipient=recipient, due_at=utcnow())
    with db.session() as session:
        claimed = sorted(message_id for message_id, _priority in claim_due(session, 100, utcnow()))

    app = create_app(replace(live, quiet_hours=None, calling_hours=None, sends_in_flight=4))
    with app.app_context():
        counts = send_job(*claimed)

    # A call's last callback may come before the worker records the provider's answer: then it is skipped.
    assert sum(counts.values()) == 9 and set(counts) <= {"sent", "skipped"}
    voice_server.wait_calls(9)
    assert sorted(call.to for call in voice_server.calls()) == recipients
    assert not {row.status for row in voice_rows(db)} & {"queued", "sending", "unknown"}


def test_a_jobs_calls_read_their_rows_and_the_recordings_once_however_many_they_are(
    db, voice_settings, voice_server
):
    voice_server.ring = False  # no callback ends a call before its answer is recorded
    settings = replace(voice_settings, public_url="http://127.0.0.1:9", sends_in_flight=4)
    record(db, settings, "followup_checkin", language="bm")
    gateway = make_voice_gateway(settings)

    def reads_to_place(numbers: range) -> int:
        for n in numbers:
            add_message(
                db, channel="voice", voice_language="bm", recipient=f"+2237600{n:04d}", due_at=utcnow()
            )
        with db.session() as session:
            claimed = [message_id for message_id, _priority in claim_due(session, 100, utcnow())]
        reads: list[str] = []

        def counted(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                reads.append(statement)

        event.listen(db.engine, "before_cursor_execute", counted)
        try:
            assert place_calls(db, gateway, settings, claimed) == ["sent"] * len(numbers)
        finally:
            event.remove(db.engine, "before_cursor_execute", counted)
        return len(reads)

    assert reads_to_place(range(1)) == reads_to_place(range(1, 9)) == 2


def test_each_calls_answer_is_recorded_with_the_claim_of_the_next_one_commit_per_call(
    db, voice_settings, voice_server
):
    voice_server.ring = False  # no callback ends a call before its answer is recorded
    settings = replace(voice_settings, public_url="http://127.0.0.1:9", sends_in_flight=1)
    record(db, settings, "followup_checkin", language="bm")
    for n in range(8):
        add_message(db, channel="voice", voice_language="bm", recipient=f"+2237600{n:04d}", due_at=utcnow())
    with db.session() as session:
        claimed = [message_id for message_id, _priority in claim_due(session, 100, utcnow())]
    commits: list[object] = []

    def committed(connection) -> None:
        commits.append(connection)

    event.listen(db.engine, "commit", committed)
    try:
        outcomes = place_calls(db, make_voice_gateway(settings), settings, claimed)
    finally:
        event.remove(db.engine, "commit", committed)

    assert outcomes == ["sent"] * 8
    # The job's read, 8 claims (each but the first with the answer before it), the last answer alone.
    assert len(commits) == 1 + 8 + 1
    assert {row.gateway_message_id is not None for row in voice_rows(db)} == {True}


def test_an_emergency_rings_the_on_call_clinician_and_pressing_1_takes_it_in_charge(
    db, demo, live, voice_server
):
    record(
        db, live, "emergency_alert", language="fr", transcript="Jigi : une urgence vous attend. Lisez le SMS."
    )
    alert_id, _reference = emergency(db, live, call=True)
    rows = voice_rows(db)
    assert sorted((row.channel, row.recipient) for row in rows) == [("sms", FIRST), ("voice", FIRST)]
    (call_row,) = [row for row in rows if row.channel == "voice"]
    assert call_row.priority == 0 and call_row.ignore_quiet_hours
    voice_server.next_calls(Pickup(keys=("1",)))

    gateway = make_voice_gateway(live)
    with db.session() as session:
        claim_due(session, 100, utcnow())
    assert place_call(db, gateway, live, call_row.id) == "sent"
    voice_server.wait_calls(1)

    with db.session() as session:
        alert = session.get(EmergencyAlert, alert_id)
        assert alert.acknowledged_at is not None and alert.next_escalation_at is None


def test_an_unanswered_emergency_call_is_not_retried_nor_resent_by_sms(db, demo, live, voice_server):
    record(db, live, "emergency_alert", language="fr", transcript="Jigi : une urgence vous attend.")
    emergency(db, live, call=True)
    voice_server.next_calls(Pickup.no_answer())
    (call_row,) = [row for row in voice_rows(db) if row.channel == "voice"]
    with db.session() as session:
        claim_due(session, 100, utcnow())

    place_call(db, make_voice_gateway(live), live, call_row.id)
    voice_server.wait_calls(1)

    rows = voice_rows(db)
    assert [row.status for row in rows if row.channel == "voice"] == ["failed"]
    assert len([row for row in rows if row.channel == "sms"]) == 1


def test_a_patient_who_rings_jigi_hears_their_next_reminder_and_can_confirm_it(db, live, voice_server):
    token = record(db, live, "appointment_day_before")
    _patient, appointment_id = voice_patient(db, live)

    call = voice_server.ring_jigi(PHONE, Pickup(keys=("1",)))

    assert call.played[0].endswith(token) and call.pressed == ["1"]
    with db.session() as session:
        assert session.get(Appointment, appointment_id).status == "confirmed"


def test_a_missed_call_from_a_patient_is_called_back_once_with_their_reminder(db, live, voice_server):
    record(db, live, "appointment_day_before")
    voice_patient(db, live)
    before = len(voice_rows(db))

    voice_server.ring_jigi(PHONE, Pickup(answer=False))
    voice_server.ring_jigi(PHONE, Pickup(answer=False))

    rows = voice_rows(db)
    (callback,) = [row for row in rows if (row.dedupe_key or "").startswith("callback:")]
    assert len(rows) == before + 1 and callback.kind == "appointment_day_before"
    assert callback.due_at <= utcnow() and callback.channel == "voice"
    assert voice_server.ring_jigi("+22376999999", Pickup(answer=False)).answers == []


def test_after_two_reminders_no_call_reached_the_volunteer_is_asked_once_to_visit(
    db, demo, voice_settings, client
):
    referral_id = make_referral(db).id
    with db.session() as session:
        patient = add_patient(
            session, PHONE, "fr", channel="voice", voice_languages=voice_settings.voice_languages
        )
        referral = session.get(Referral, referral_id)
        referral.patient_id = patient.id
        volunteer_phone, reference, patient_id = referral.volunteer.phone, referral.reference, patient.id
    calls = [add_message(db, channel="voice", patient_id=patient_id, due_at=utcnow()) for _ in range(3)]
    for message_id in calls:
        with db.session() as session:
            row = session.get(OutboundMessage, message_id)
            row.status, row.attempts = "sent", voice_settings.voice_max_attempts
            session.flush()
            end_call(session, voice_settings, row, CallEnd.UNREACHED, utcnow(), cause="NO_ANSWER")

    with db.session() as session:
        asked = session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "not_reached")).all()
        assert [(row.recipient, row.params["reference"]) for row in asked] == [(volunteer_phone, reference)]
    sign_in(client.application, client, db, "coordinator")
    assert "pas joint" in client.get(f"/console/patients/{patient_id}").get_data(as_text=True)


def test_a_patient_reminded_both_ways_without_a_recording_gets_each_sms_once(db, live, voice_server):
    voice_patient(db, live, channel="both")  # no recording at all

    outcomes = call_due(db, live, first_call_due(db))

    day_before = [row for row in voice_rows(db) if row.kind == "appointment_day_before"]
    assert "cancelled" in outcomes and voice_server.calls() == []
    assert sorted((row.channel, row.status) for row in day_before) == [
        ("sms", "queued"),
        ("voice", "cancelled"),
    ]


def test_a_reminder_call_says_its_date_and_hour_from_recorded_pieces(db, live, voice_server):
    kind = record(db, live, "appointment_day_before")
    _patient, appointment_id = voice_patient(db, live)
    with db.session() as session:
        starts = session.get(Appointment, appointment_id).starts_at.astimezone(live.tz)
    date = (f"weekday_{starts.isoweekday()}", f"number_{starts.day}", f"month_{starts.month}")
    hour = (f"hour_{starts.hour}",) + ((f"number_{starts.minute}",) if starts.minute else ())
    tokens = {piece: record(db, live, piece, transcript=piece) for piece in {*date, *hour}}
    voice_server.next_calls(Pickup(keys=("1",)))

    call_due(db, live, first_call_due(db))
    (call,) = voice_server.wait_calls(1)

    played = [url.rsplit("/", 1)[1] for url in call.played]
    assert played == [kind, *(tokens[piece] for piece in (*date, *hour))]


def test_a_calls_step_reads_its_recordings_in_one_query_without_their_audio(db, voice_settings):
    for name in ("appointment_day_before", "voice_keys", "weekday_1", "number_5", "month_5", "hour_9"):
        record(db, voice_settings, name, transcript=name)
    _patient, _appointment = voice_patient(db, voice_settings)
    (row,) = [row for row in voice_rows(db) if row.kind == "appointment_day_before"]
    statements: list[str] = []

    def counted(_conn, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        with db.session() as session:
            instructions = answer(session, voice_settings, row, Step.START, "", utcnow())
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)

    (recordings,) = [statement for statement in statements if "FROM recordings" in statement]
    assert "audio" not in recordings
    assert instructions and isinstance(instructions[0], Gather) and instructions[0].plays


def test_a_date_missing_one_piece_is_left_out_whole_and_the_hour_still_said(db, live, voice_server):
    kind = record(db, live, "appointment_day_before")
    _patient, appointment_id = voice_patient(db, live)
    with db.session() as session:
        starts = session.get(Appointment, appointment_id).starts_at.astimezone(live.tz)
    record(db, live, f"weekday_{starts.isoweekday()}", transcript="weekday")  # no day number, no month
    hour = (f"hour_{starts.hour}",) + ((f"number_{starts.minute}",) if starts.minute else ())
    tokens = [record(db, live, piece, transcript=piece) for piece in hour]
    voice_server.next_calls(Pickup(keys=("1",)))

    call_due(db, live, first_call_due(db))
    (call,) = voice_server.wait_calls(1)

    assert [url.rsplit("/", 1)[1] for url in call.played] == [kind, *tokens]


def test_the_pieces_of_dates_are_added_from_a_folder_and_counted(runner, tmp_path):
    for name in ("weekday_1", "month_5", "hour_9", "number_30"):
        (tmp_path / f"{name}.wav").write_bytes(wav(1.0))
    (tmp_path / "number_31.wav").write_bytes(b"not audio")
    (tmp_path / "notes.txt").write_text("ignored")

    added = runner.invoke(args=["recordings", "add-pieces", "bm", str(tmp_path)])

    assert added.exit_code == 1 and "Refused number_31.wav" in added.output
    assert "4 pieces stored in bm" in added.output
    listed = runner.invoke(args=["recordings", "list"]).output.splitlines()
    assert "pieces\tbm\t4/102" in listed and not any(line.startswith("weekday_1") for line in listed)
    assert "weekday_1\tbm\t1.0 s" in runner.invoke(args=["recordings", "list", "--pieces"]).output


def test_a_patient_switched_to_calls_gets_their_waiting_doses_as_calls_and_no_dose_twice(db, voice_settings):
    from service.care.medication import add_medication_plan, replan_medication

    with db.session() as session:
        patient = add_patient(session, PHONE, "fr", voice_languages=voice_settings.voice_languages)
        today = utcnow().date()
        plan = add_medication_plan(
            session, voice_settings, patient, [time(8), time(20)], None, today + timedelta(days=1),
            today + timedelta(days=3),
        )  # fmt: skip
        first = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.medication_plan_id == plan.id)
            .order_by(OutboundMessage.due_at)
        ).first()
        first.status = "sent"  # this dose already went by SMS
        patient.channel, patient.voice_language = "voice", "khq"
        replan_medication(session, voice_settings, patient)
        patient.voice_language = "bm"
        replan_medication(session, voice_settings, patient)
        rows = session.scalars(
            select(OutboundMessage).where(OutboundMessage.medication_plan_id == plan.id)
        ).all()
        by_state = sorted({(row.channel, row.status, row.voice_language) for row in rows})
        waiting_calls = [row for row in rows if row.channel == "voice" and row.status == "scheduled"]
        sent_dose = first.params["dose_at"]
    assert by_state == [("sms", "cancelled", None), ("sms", "sent", None), ("voice", "scheduled", "bm")]
    assert len(waiting_calls) == 5 and sent_dose not in {row.params["dose_at"] for row in waiting_calls}


def test_at_a_consultations_time_the_specialist_is_called_and_connected_to_the_cscom(
    db, demo, live, voice_server
):
    from console_support import make_consultation

    settings = replace(live, consult_calls=True)
    with db.session() as session:
        patient_id = add_patient(session, PHONE, "fr").id
    make_consultation(db, settings, patient_id)
    with db.session() as session:
        bridge = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == "consult_bridge")
        ).one()
        assert (bridge.channel, bridge.recipient, bridge.ignore_quiet_hours) == (
            "voice",
            "+22376300001",
            True,
        )
        starts_at = bridge.due_at

    outcomes = call_due(db, settings, starts_at)
    (call,) = voice_server.wait_calls(1)

    assert "sent" in outcomes and call.to == "+22376300001" and call.dialled == "+22376300002"
    (row,) = [row for row in voice_rows(db) if row.kind == "consult_bridge"]
    assert row.status == "delivered"
