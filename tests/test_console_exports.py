"""CSV exports: downloads in the console (audited) and the `export appointments|messages` commands."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from console_support import make_referral, sign_in
from sqlalchemy import select

from service.exports import spreadsheet_safe
from service.models import Appointment, AuditEntry, OutboundMessage, Patient
from service.timeutil import utcnow


@pytest.fixture
def rows(db, demo):
    soon = utcnow() + timedelta(days=2)
    with db.session() as session:
        patient = Patient(reference="P7K2", phone="+22376555555")
        session.add(patient)
        session.flush()
        session.add(Appointment(patient_id=patient.id, starts_at=soon, mobile_unit=True))
        session.add(Appointment(patient_id=patient.id, starts_at=soon + timedelta(days=60), mobile_unit=True))
        session.add(
            OutboundMessage(
                kind="medication",
                recipient="+22376555555",
                language="fr",
                params={},
                due_at=soon,
                status="failed",
                last_error="AbsentSubscriber",
                patient_id=patient.id,
            )
        )
    return soon


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_console_download_of_appointments_is_a_csv_for_the_range_and_is_audited(app, client, db, rows):
    sign_in(app, client, db, "coordinator")
    day = rows.date()
    response = client.get(f"/console/exports/appointments.csv?since={day}&until={day}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = read(response.get_data(as_text=True))
    assert [(row["patient_reference"], row["mobile_unit"]) for row in table] == [("P7K2", "1")]
    assert "+22376555555" not in response.get_data(as_text=True)
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert '"what": "appointments"' in entry.detail and '"rows": 1' in entry.detail


def test_messages_export_keeps_the_failure_reason_but_no_phone(app, client, db, rows):
    sign_in(app, client, db, "coordinator")
    response = client.get(f"/console/exports/messages.csv?since={rows.date()}&until={rows.date()}")
    table = read(response.get_data(as_text=True))
    assert table[0]["last_error"] == "AbsentSubscriber" and table[0]["patient_reference"] == "P7K2"
    assert "+22376555555" not in response.get_data(as_text=True)


def test_exports_page_links_each_export(app, client, db):
    sign_in(app, client, db, "coordinator")
    page = client.get("/console/exports").get_data(as_text=True)
    assert "/console/exports/appointments.csv" in page and "/console/exports/messages.csv" in page
    assert client.get("/console/exports/nothing.csv").status_code == 404


def test_cli_exports_appointments_and_messages(runner, db, rows, tmp_path):
    day = rows.date().isoformat()
    target = tmp_path / "appointments.csv"
    result = runner.invoke(args=["export", "appointments", "--since", day, "--until", day, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert [row["patient_reference"] for row in read(target.read_text(encoding="utf-8"))] == ["P7K2"]
    result = runner.invoke(args=["export", "messages", "--since", day, "--until", day])
    assert read(result.stdout)[0]["kind"] == "medication"
    with db.session() as session:
        assert session.scalars(select(AuditEntry.actor)).all() == ["cli", "cli"]


def test_a_full_export_is_for_admins_who_say_why_and_is_audited(app, client, db, demo):
    make_referral(db, reference="R5KX")
    sign_in(app, client, db, "coordinator")
    assert "Export complet" not in client.get("/console/exports").get_data(as_text=True)
    assert client.post("/console/exports/full", data={"what": "referrals", "reason": "x"}).status_code == 403

    sign_in(app, client, db, "admin")
    assert "Export complet" in client.get("/console/exports").get_data(as_text=True)
    refused = client.post("/console/exports/full", data={"what": "referrals", "reason": " "})
    assert refused.status_code == 400 and "Dites pourquoi" in refused.get_data(as_text=True)

    answer = client.post("/console/exports/full", data={"what": "referrals", "reason": "Audit du district"})

    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    [row] = read(answer.get_data(as_text=True))
    assert (row["reference"], row["volunteer_phone"], row["place_code"]) == (
        "R5KX",
        "+22376123456",
        "TBK-V09",
    )
    with db.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export_full")).one()
    assert "Audit du district" in entry.detail


def test_the_default_referral_download_names_no_phone_and_no_village(app, client, db, demo):
    make_referral(db, reference="R5KY")
    sign_in(app, client, db, "coordinator")
    text = client.get("/console/exports/referrals.csv").get_data(as_text=True)
    assert "R5KY" in text and "+223" not in text and "TBK-V09" not in text


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(app, client, db, rows):
    with db.session() as session:
        message = session.scalars(select(OutboundMessage)).one()
        message.last_error = '=HYPERLINK("http://x.example","clic")'
    sign_in(app, client, db, "coordinator")

    response = client.get(f"/console/exports/messages.csv?since={rows.date()}&until={rows.date()}")

    assert read(response.get_data(as_text=True))[0]["last_error"] == '\'=HYPERLINK("http://x.example","clic")'


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("-2+3", "'-2+3"),
        ("+22376123456", "+22376123456"),
        ("-5", "-5"),
        ("AbsentSubscriber", "AbsentSubscriber"),
        (3, 3),
    ],
)
def test_only_would_be_formulas_are_neutralised(value, shown):
    assert spreadsheet_safe(value) == shown
