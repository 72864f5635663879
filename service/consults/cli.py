"""`flask --app app psychiatrists|healthworkers|consults ...`: remote consultations from the command line."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from service.care.dates import parse_date, parse_local_datetime, parse_times
from service.care.patients import find_patient
from service.cli import CLI_ACTOR, Commands
from service.config import get_settings
from service.consults import booking
from service.consults.people import (
    ROLES,
    ConsultError,
    add_health_worker,
    add_specialist,
    health_worker_by_phone,
    set_active,
    specialist_by_phone,
)
from service.consults.sessions import add_session, free_slots
from service.db import get_db
from service.errors import ErrorKind
from service.models import ClinicSession, Consultation, HealthWorker, PlaceLevel, Specialist
from service.places import by_code
from service.timeutil import utcnow

psychiatrists_cli = Commands(
    "psychiatrists", help="Psychiatrists and psychologists who see patients remotely."
)
healthworkers_cli = Commands(
    "healthworkers", help="CSCom health workers who sit with patients in consultations."
)
consults_cli = Commands("consults", help="Remote consultations: sessions, bookings, cancellations, outcomes.")
LANGUAGE = click.Choice(["fr", "bm"])


@psychiatrists_cli.command("add")
@click.argument("phone")
@click.option("--name", required=True)
@click.option("--language", type=LANGUAGE, default="fr", show_default=True)
@click.option("--hospital", default="", help="The referral hospital they work at.")
@click.option("--role", type=click.Choice(ROLES), default="psychiatrist", show_default=True)
def psychiatrists_add(phone: str, name: str, language: str, hospital: str, role: str) -> None:
    """Register a psychiatrist (or a psychologist) by phone number."""
    with get_db().session() as session:
        specialist = add_specialist(session, phone, name, language, hospital, role)
        click.echo(f"{specialist.name} ({specialist.phone}) added.")


@psychiatrists_cli.command("list")
def psychiatrists_list() -> None:
    """Print every specialist: phone, name, role, language, hospital, active."""
    with get_db().session() as session:
        for person in session.scalars(select(Specialist).order_by(Specialist.name)):
            state = "active" if person.active else "inactive"
            click.echo(
                f"{person.phone}\t{person.name}\t{person.role}\t{person.language}\t{person.hospital}\t{state}"
            )


@psychiatrists_cli.command("deactivate")
@click.argument("phone")
def psychiatrists_deactivate(phone: str) -> None:
    """Book this specialist no more (their consultations stay)."""
    with get_db().session() as session:
        person = specialist_by_phone(session, phone)
        set_active(person, False)
        click.echo(f"Specialist {person.phone} deactivated.")


@healthworkers_cli.command("add")
@click.argument("phone")
@click.option("--name", required=True)
@click.option("--area", "area_code", required=True, help="Code of the CSCom's health area.")
@click.option("--language", type=LANGUAGE, default="fr", show_default=True)
def healthworkers_add(phone: str, name: str, area_code: str, language: str) -> None:
    """Register a CSCom health worker by phone number."""
    with get_db().session() as session:
        worker = add_health_worker(session, phone, name, area_code, language)
        click.echo(f"{worker.name} ({worker.phone}) added to {area_code}.")


@healthworkers_cli.command("list")
def healthworkers_list() -> None:
    """Print every health worker: phone, name, language, area, active."""
    with get_db().session() as session:
        for person in session.scalars(select(HealthWorker).order_by(HealthWorker.name)):
            state = "active" if person.active else "inactive"
            click.echo(f"{person.phone}\t{person.name}\t{person.language}\t{person.area.code}\t{state}")


@healthworkers_cli.command("deactivate")
@click.argument("phone")
def healthworkers_deactivate(phone: str) -> None:
    """Book this health worker no more (their consultations stay)."""
    with get_db().session() as session:
        person = health_worker_by_phone(session, phone)
        set_active(person, False)
        click.echo(f"Health worker {person.phone} deactivated.")


@consults_cli.command("session")
@click.argument("psychiatrist")
@click.option("--date", "first", required=True, help="YYYY-MM-DD: the session's date (the first, if weekly).")
@click.option("--hours", required=True, help="Start and end, local: 09:00-12:00.")
@click.option("--areas", required=True, help="Codes of the health areas served, comma separated.")
@click.option("--weekly-until", default=None, help="YYYY-MM-DD: repeat every week on that day until then.")
@click.option(
    "--slot", "slot_minutes", type=int, default=30, show_default=True, help="Minutes per consultation."
)
def consults_session(
    psychiatrist: str, first: str, hours: str, areas: str, weekly_until: str | None, slot_minutes: int
) -> None:
    """Add a specialist's remote clinic session."""
    times = parse_times(hours.replace("-", ","))
    if len(times) != 2:
        raise ConsultError("Give the hours as start-end, like 09:00-12:00.", field="hours")
    with get_db().session() as session:
        clinic = add_session(
            session,
            specialist_by_phone(session, psychiatrist),
            first_date=parse_date(first),
            starts=times[0],
            ends=times[1],
            area_codes=[code for code in areas.split(",") if code.strip()],
            weekly_until=parse_date(weekly_until) if weekly_until else None,
            slot_minutes=slot_minutes,
        )
        every = f"every week until {clinic.last_date}" if clinic.weekday is not None else "once"
        click.echo(f"Session {clinic.id}: {clinic.first_date} {clinic.starts}-{clinic.ends}, {every}.")


@consults_cli.command("slots")
@click.argument("psychiatrist")
@click.option("--days", type=int, default=14, show_default=True)
def consults_slots(psychiatrist: str, days: int) -> None:
    """Print the specialist's free slots over the next DAYS days: local time, areas served."""
    settings = get_settings()
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    with get_db().session() as session:
        specialist = specialist_by_phone(session, psychiatrist)
        for slot in free_slots(session, specialist, today, today + timedelta(days=days), settings.tz, now):
            areas = ",".join(place.code for place in slot.session.areas)
            click.echo(f"{slot.starts_at.astimezone(settings.tz):%Y-%m-%d %H:%M}\t{areas}")


@consults_cli.command("book")
@click.argument("patient")
@click.option("--psychiatrist", required=True, help="The specialist's phone.")
@click.option("--at", "at", required=True, help='Local start: "YYYY-MM-DD HH:MM".')
@click.option("--area", "area_code", required=True, help="Code of the CSCom's health area.")
@click.option("--health-worker", default=None, help="The health worker's phone (default: the area's).")
@click.option("--mode", type=click.Choice(["phone", "video"]), default="phone", show_default=True)
def consults_book(
    patient: str, psychiatrist: str, at: str, area_code: str, health_worker: str | None, mode: str
) -> None:
    """Book a remote consultation for PATIENT (reference or phone); prints its reference."""
    settings = get_settings()
    with get_db().session() as session:
        person = find_patient(session, patient)
        if person is None:
            raise ConsultError(
                "No patient has the reference or phone %(patient)s.",
                kind=ErrorKind.NOT_FOUND,
                field="patient",
                patient=patient,
            )
        consult = booking.book(
            session,
            settings,
            patient=person,
            specialist=specialist_by_phone(session, psychiatrist),
            area=by_code(session, area_code, PlaceLevel.AREA, field="area"),
            starts_at=parse_local_datetime(at, settings),
            health_worker=health_worker_by_phone(session, health_worker) if health_worker else None,
            mode=mode,
        )
        click.echo(consult.reference)


@consults_cli.command("move")
@click.argument("reference")
@click.option("--at", "at", required=True, help='New local start: "YYYY-MM-DD HH:MM".')
def consults_move(reference: str, at: str) -> None:
    """Move a consultation to another free slot; the patient, health worker and specialist are told."""
    settings = get_settings()
    with get_db().session() as session:
        consult = booking.move(
            session, settings, booking.by_reference(session, reference), parse_local_datetime(at, settings)
        )
        when = consult.starts_at.astimezone(settings.tz)
        click.echo(f"Consultation {consult.reference} moved to {when:%Y-%m-%d %H:%M}.")


@consults_cli.command("cancel")
@click.argument("reference")
@click.option("--reason", required=True)
def consults_cancel(reference: str, reason: str) -> None:
    """Cancel a consultation; the patient, health worker and specialist are told."""
    with get_db().session() as session:
        consult = booking.cancel(session, get_settings(), booking.by_reference(session, reference), reason)
        click.echo(f"Consultation {consult.reference} cancelled.")


@consults_cli.command("cancel-session")
@click.argument("session_id", type=int)
@click.option("--date", "day", required=True, help="YYYY-MM-DD: the date the session does not take place.")
@click.option("--reason", required=True)
def consults_cancel_session(session_id: int, day: str, reason: str) -> None:
    """The specialist cannot hold a session on a date: its consultations are cancelled, their people told."""
    with get_db().session() as session:
        clinic = session.get(ClinicSession, session_id)
        if clinic is None:
            raise ConsultError(
                "No session has the number %(id)s.", kind=ErrorKind.NOT_FOUND, field="session", id=session_id
            )
        cancelled = booking.cancel_session_day(session, get_settings(), clinic, parse_date(day), reason)
        click.echo(f"Session {session_id} cancelled on {day}: {len(cancelled)} consultations cancelled.")


@consults_cli.command("record")
@click.argument("reference")
@click.option("--attended/--missed", required=True, help="Whether the patient came.")
@click.option("--followup", "followup", default=None, help="YYYY-MM-DD: the follow-up date (attended).")
@click.option("--treatment-started", is_flag=True, help="A treatment was started (attended).")
@click.option("--by", "by", default=CLI_ACTOR, show_default=True)
def consults_record(
    reference: str, attended: bool, followup: str | None, treatment_started: bool, by: str
) -> None:
    """Record whether the patient came to the consultation."""
    with get_db().session() as session:
        consult = booking.record_outcome(
            session,
            get_settings(),
            booking.by_reference(session, reference),
            attended=attended,
            by=by,
            followup_date=parse_date(followup) if followup else None,
            treatment_started=treatment_started if attended else None,
        )
        click.echo(f"Consultation {consult.reference}: {consult.status}.")


@consults_cli.command("list")
@click.option("--days", type=int, default=14, show_default=True)
def consults_list(days: int) -> None:
    """Print the consultations of the next DAYS days: reference, local time, status, patient, area."""
    settings = get_settings()
    now = utcnow()
    with get_db().session() as session:
        query = (
            select(Consultation)
            .where(
                Consultation.starts_at >= now - timedelta(days=1),
                Consultation.starts_at < now + timedelta(days=days),
            )
            .order_by(Consultation.starts_at)
        )
        for consult in session.scalars(query):
            when = consult.starts_at.astimezone(settings.tz)
            click.echo(
                f"{consult.reference}\t{when:%Y-%m-%d %H:%M}\t{consult.status}\t{consult.patient.reference}"
                f"\t{consult.area.code}\t{consult.specialist.phone}"
            )
