"""Commands for scripting and bulk loads: `patients`, `appointments` and `medication`."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from service.care.appointments import appointment_by_id, cancel_appointment, schedule_appointment
from service.care.dates import parse_date, parse_local_datetime, parse_times
from service.care.demo import load_demo_care
from service.care.erasure import erase_patient
from service.care.imports import import_appointments, import_patients
from service.care.medication import add_medication_plan
from service.care.patients import add_patient, find_patient, place_for
from service.cli import CLI_ACTOR, DEMO_DIR, Commands, fail
from service.config import get_settings
from service.db import get_db
from service.errors import DomainError
from service.i18n import format_local
from service.models import Patient, PatientChannel, values
from service.timeutil import local_date, utcnow

patients_cli = Commands("patients", help="Patients who receive SMS reminders.")
appointments_cli = Commands("appointments", help="Appointments and their SMS reminders.")
medication_cli = Commands("medication", help="Medication plans and their SMS reminders.")


def _patient(session, phone_or_reference: str) -> Patient:
    patient = find_patient(session, phone_or_reference)
    if patient is None:
        fail(f"no patient {phone_or_reference}: add them with `flask --app app patients add`")
    return patient


def _progress(what: str):
    def show(done: int, total: int) -> None:
        click.echo(f"{what}: {done}/{total} imported", err=True)

    return show


@patients_cli.command("add")
@click.argument("phone")
@click.option("--language", type=click.Choice(["fr", "bm"]), default="fr", show_default=True)
@click.option("--shared-phone", is_flag=True, help="The phone is shared: messages stay discreet.")
@click.option("--quiet-hours", help="Local HH:MM-HH:MM without SMS, e.g. 21:00-07:00 (default: QUIET_HOURS).")
@click.option("--no-consent", is_flag=True, help="Record the patient without consent to SMS.")
@click.option("--place", "place_code", help="Code of the patient's village or health area.")
@click.option("--channel", type=click.Choice(values(PatientChannel)), default="sms", show_default=True)
@click.option(
    "--voice-language", help="The language calls are played in (VOICE_LANGUAGES); default: --language."
)
def patients_add(
    phone: str,
    language: str,
    shared_phone: bool,
    quiet_hours: str | None,
    no_consent: bool,
    place_code: str | None,
    channel: str,
    voice_language: str | None,
) -> None:
    """Register a patient; prints the patient's reference."""
    with get_db().session() as session:
        patient = add_patient(
            session,
            phone,
            language,
            shared_phone,
            quiet_hours,
            not no_consent,
            place_code,
            channel=channel,
            voice_language=voice_language,
            voice_languages=get_settings().voice_languages,
        )
        click.echo(patient.reference)
        if patient.opted_out:
            click.echo(f"Note: {patient.phone} has opted out of SMS; no reminder will be sent.", err=True)


@patients_cli.command("list")
def patients_list() -> None:
    """Print patients: reference, phone, language, shared, quiet hours, SMS state."""
    with get_db().session() as session:
        for patient in session.scalars(select(Patient).order_by(Patient.id)):
            state = "opted-out" if patient.opted_out else ("sms" if patient.sms_consent else "no-consent")
            shared = "shared" if patient.shared_phone else "own"
            click.echo(
                f"{patient.reference}\t{patient.phone}\t{patient.language}\t{shared}\t"
                f"{patient.quiet_hours or '-'}\t{state}"
            )


@patients_cli.command("forget")
@click.argument("reference")
@click.option("--reason", required=True, help="Why (e.g. the person asked); written to the audit log.")
@click.option("--by", "erased_by", default=CLI_ACTOR, show_default=True, help="Who erases.")
def patients_forget(reference: str, reason: str, erased_by: str) -> None:
    """Erase a patient on request: phone, SMS texts, replies and referral links go; counts stay."""
    with get_db().session() as session:
        patient = session.scalar(select(Patient).where(Patient.reference == reference.strip().upper()))
        if patient is None:
            fail(f"no patient with reference {reference}")
        erase_patient(session, patient, erased_by, reason, utcnow())
    click.echo(f"Patient {reference.upper()} erased: phone, SMS texts, replies and referral links removed.")


@patients_cli.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def patients_import(csv_file) -> None:
    """Load patients from a CSV: phone,language[,shared_phone,quiet_hours,sms_consent,place_code]."""
    with get_db().session() as session:
        count = import_patients(session, csv_file, _progress("patients"), get_settings().voice_languages)
    click.echo(f"Patients: {count} imported.")


@patients_cli.command("demo")
def patients_demo() -> None:
    """Load the demo patients and give the first one reminders due within minutes (after `demo load`)."""
    try:
        with get_db().session() as session:
            for line in load_demo_care(session, DEMO_DIR, get_settings(), utcnow()):
                click.echo(line)
    except (LookupError, DomainError) as error:
        fail(f"{error}: load the demo places first with `flask --app app demo load`")


@appointments_cli.command("add")
@click.argument("patient")
@click.option("--at", "at_text", required=True, help='Local date and time, e.g. "2026-12-01 09:00".')
@click.option("--place", "place_code", help="Code of the health centre or village.")
@click.option("--mobile-unit", is_flag=True, help="A visit of the mobile unit.")
def appointments_add(patient: str, at_text: str, place_code: str | None, mobile_unit: bool) -> None:
    """Schedule an appointment for PATIENT (phone or reference) and its reminders."""
    settings = get_settings()
    with get_db().session() as session:
        appointment = schedule_appointment(
            session,
            settings,
            _patient(session, patient),
            parse_local_datetime(at_text, settings),
            place=place_for(session, place_code),
            mobile_unit=mobile_unit,
        )
        when = format_local(appointment.starts_at, "yyyy-MM-dd HH:mm", "fr", settings.tz)
        click.echo(f"Appointment {appointment.id} for {appointment.patient.reference} on {when}.")


@appointments_cli.command("cancel")
@click.argument("appointment_id", type=int)
def appointments_cancel(appointment_id: int) -> None:
    """Cancel an appointment and its waiting reminders."""
    with get_db().session() as session:
        cancel_appointment(session, appointment_by_id(session, appointment_id))
        click.echo(f"Appointment {appointment_id} cancelled.")


@appointments_cli.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def appointments_import(csv_file) -> None:
    """Load appointments from a CSV: patient,starts_at[,place_code,mobile_unit] (local times)."""
    with get_db().session() as session:
        count = import_appointments(session, get_settings(), csv_file, utcnow(), _progress("appointments"))
    click.echo(f"Appointments: {count} imported, with their reminders.")


@medication_cli.command("add")
@click.argument("patient")
@click.option("--times", required=True, help="Local times of the doses, e.g. 08:00,20:00.")
@click.option("--days", type=click.IntRange(1, 366), required=True, help="How many days the plan lasts.")
@click.option("--weekdays", help="Days of the week, 0=Monday ... 6=Sunday (default every day).")
@click.option("--start", "start_text", help="First day, YYYY-MM-DD (default today).")
def medication_add(patient: str, times: str, days: int, weekdays: str | None, start_text: str | None) -> None:
    """Add a medication plan for PATIENT (phone or reference) with a reminder for each dose."""
    settings = get_settings()
    now = utcnow()
    start = parse_date(start_text) if start_text else local_date(now, settings.tz)
    with get_db().session() as session:
        plan = add_medication_plan(
            session,
            settings,
            _patient(session, patient),
            parse_times(times),
            weekdays,
            start,
            start + timedelta(days=days - 1),
            now=now,
        )
        click.echo(f"Medication plan {plan.id}: {plan.times} from {plan.start_date} to {plan.end_date}.")
