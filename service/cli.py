"""Core commands: database, places, volunteers, on-call clinicians, demo data, CSV exports."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from service import migrate, translations
from service.accounts import AuditAction, record_audit, required_reason
from service.config import get_settings
from service.db import get_db, unbounded
from service.errors import DomainError, ImportRefused
from service.exports import (
    FULL_EXPORTS,
    export_appointments,
    export_consultations,
    export_messages,
    export_referrals,
    export_visits,
)
from service.models import OnCallClinician, Place, Volunteer
from service.people import add_oncall, add_volunteer, deactivate_volunteer
from service.places import import_places
from service.timeutil import local_days, utcnow

DEMO_DIR = Path(__file__).resolve().parent / "demo"

CLI_ACTOR = "cli"
SHOWN_PROBLEMS = 50
# What `export NAME` writes, and what its help says it leaves out.
EXPORTS: dict[str, tuple[Callable[..., int], str]] = {
    "referrals": (
        export_referrals,
        "Referrals reported in the date range, de-identified: no phone, the health area instead of the "
        "village, age bands, no danger sign (--full --reason for those).",
    ),
    "visits": (
        export_visits,
        "Mobile-unit visit requests made in the date range (no phone; --full adds it).",
    ),
    "appointments": (export_appointments, "Appointments starting in the date range (no phone numbers)."),
    "consultations": (
        export_consultations,
        "Remote consultations starting in the date range: times, area, mode, status, outcome (no phone; "
        "--full --reason adds the patient's reference and the clinicians' phones).",
    ),
    "messages": (export_messages, "Outbound SMS due in the date range (no phone numbers or text)."),
}


def init_app(app: Flask) -> None:
    for group in (db_cli, places_cli, volunteers_cli, oncall_cli, demo_cli, export_cli, translations_cli):
        app.cli.add_command(group)


def fail(message: str) -> NoReturn:
    """Stop a command with a message on stderr and exit status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


class Commands(AppGroup):
    """A command group whose commands' domain refusals end as an error message and exit status 1: the
    command line's one mapping of DomainError (in English, as the rest of the command line).

    Its commands may wait on the database as long as they need (a migration, a large import or export):
    an operator is there to press Ctrl-C, unlike the phone behind a USSD request."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with unbounded():
                return super().invoke(ctx)
        except ImportRefused as refused:
            click.echo("Nothing was imported. Fix these rows and import again:", err=True)
            for problem in refused.problems[:SHOWN_PROBLEMS]:
                click.echo(f"  {problem}", err=True)
            if len(refused.problems) > SHOWN_PROBLEMS:
                click.echo(f"  ... and {len(refused.problems) - SHOWN_PROBLEMS} more", err=True)
            sys.exit(1)
        except DomainError as error:
            fail(str(error))


db_cli = Commands("db", help="Database schema (migrations).")
places_cli = Commands("places", help="The health map: regions, districts, areas, villages.")
volunteers_cli = Commands("volunteers", help="Community volunteers who use the USSD service.")
oncall_cli = Commands("oncall", help="On-call clinicians who receive emergency alerts.")
demo_cli = Commands("demo", help="Demonstration data for training and development.")
export_cli = Commands("export", help="CSV exports for a date range.")
translations_cli = Commands(
    "translations", help="The words users read, as PO files for translators working offline."
)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    db = get_db()
    migrate.upgrade(db, revision)
    click.echo(f"Database at revision {migrate.current(db)}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    migrate.downgrade(get_db(), revision)
    click.echo(f"Database at revision {migrate.current(get_db())}.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--rev-id", required=True, help="e.g. 0003")
def db_revision(message: str, rev_id: str) -> None:
    """Write a migration for what the models add (review it before committing)."""
    migrate.revision(get_db(), message, rev_id)


@places_cli.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def places_import(csv_file) -> None:
    """Load places from a CSV with the header code,name,level,parent_code."""
    with get_db().session() as session:
        counts = import_places(session, csv_file)
    levels = ", ".join(f"{n} {level}" for level, n in counts.by_level.items())
    click.echo(
        f"Places: {counts.created} created, {counts.updated} updated, "
        f"{counts.unchanged} unchanged ({levels})."
    )


@places_cli.command("list")
@click.option("--level", type=click.Choice(["region", "district", "area", "village"]))
def places_list(level: str | None) -> None:
    """Print places as code, level, name."""
    with get_db().session() as session:
        query = select(Place).order_by(Place.level, Place.code)
        if level:
            query = query.where(Place.level == level)
        for place in session.scalars(query):
            click.echo(f"{place.code}\t{place.level}\t{place.name}")


@volunteers_cli.command("add")
@click.argument("phone")
@click.option("--name", required=True)
@click.option("--language", type=click.Choice(["fr", "bm"]), default="fr", show_default=True)
@click.option("--area", "area_code", required=True, help="Code of the volunteer's health area.")
@click.option("--training", is_flag=True, help="A trainee's phone: its records are training, alert nobody.")
def volunteers_add(phone: str, name: str, language: str, area_code: str, training: bool) -> None:
    """Register a volunteer by phone number."""
    with get_db().session() as session:
        volunteer = add_volunteer(session, phone, name, language, area_code, training)
        kind = "Trainee" if training else "Volunteer"
        click.echo(f"{kind} {volunteer.name} ({volunteer.phone}) added to {area_code}.")


@volunteers_cli.command("list")
def volunteers_list() -> None:
    """Print every volunteer: phone, name, language, area, active."""
    with get_db().session() as session:
        for volunteer in session.scalars(select(Volunteer).order_by(Volunteer.name)):
            state = ("active" if volunteer.active else "inactive") + (
                ", training" if volunteer.training else ""
            )
            click.echo(
                f"{volunteer.phone}\t{volunteer.name}\t{volunteer.language}\t{volunteer.area.code}\t{state}"
            )


@volunteers_cli.command("deactivate")
@click.argument("phone")
def volunteers_deactivate(phone: str) -> None:
    """Stop a volunteer's access to the USSD service (their records stay)."""
    with get_db().session() as session:
        volunteer = deactivate_volunteer(session, phone)
        click.echo(f"Volunteer {volunteer.phone} deactivated.")


@oncall_cli.command("add")
@click.argument("phone")
@click.option("--name", required=True)
@click.option("--district", "district_code", required=True, help="Code of the health district.")
@click.option("--language", type=click.Choice(["fr", "bm"]), default="fr", show_default=True)
def oncall_add(phone: str, name: str, district_code: str, language: str) -> None:
    """Add an on-call clinician; clinicians of a district are called in the order they were added."""
    with get_db().session() as session:
        clinician = add_oncall(session, phone, name, district_code, language)
        click.echo(f"{clinician.name} ({clinician.phone}) is number {clinician.rank} for {district_code}.")


@oncall_cli.command("list")
def oncall_list() -> None:
    """Print on-call clinicians by district, in call order."""
    with get_db().session() as session:
        query = select(OnCallClinician).order_by(OnCallClinician.district_id, OnCallClinician.rank)
        for clinician in session.scalars(query):
            click.echo(f"{clinician.district.code}\t{clinician.rank}\t{clinician.phone}\t{clinician.name}")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo places, volunteers and on-call clinicians; running it again changes nothing."""
    from service.config import get_settings
    from service.demo import load_demo

    with get_db().session() as session:
        for line in load_demo(session, DEMO_DIR, get_settings()):
            click.echo(line)


def _export_command(what: str, export: Callable[..., int], help_text: str) -> click.Command:
    @click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First local day (YYYY-MM-DD).")
    @click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last local day, included.")
    @click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-", show_default=True)
    def command(
        since: datetime | None,
        until: datetime | None,
        output: TextIO,
        full: bool = False,
        reason: str | None = None,
    ) -> None:
        given_reason = required_reason(reason) if full else None
        first, last = since and since.date(), until and until.date()
        start, end = local_days(first, last, get_settings().tz)
        with get_db().session() as session:
            options = {"full": True} if full else {}
            rows = export(session, output, since=start, until=end, **options)
            detail = {"what": what, "since": first, "until": last, "rows": rows, **options}
            if given_reason:
                detail["reason"] = given_reason
            record_audit(session, CLI_ACTOR, AuditAction.EXPORT_FULL if full else AuditAction.EXPORT, detail)
        click.echo(f"{rows} {what} exported.", err=True)

    if what in FULL_EXPORTS:
        command = click.option("--reason", help="Why the full export is needed (written to the audit log).")(
            click.option("--full", is_flag=True, help="Add the identifying details (needs --reason).")(
                command
            )
        )
    return export_cli.command(what, help=help_text)(command)


for _what, (_export, _help) in EXPORTS.items():
    _export_command(_what, _export, _help)


@translations_cli.command("export")
@click.option("--language", type=click.Choice(["fr", "bm"]), default="bm", show_default=True)
@click.option("--area", type=click.Choice(sorted(translations.AREAS)), required=True)
@click.option("-o", "--output", type=click.File("wb"), default="-", show_default=True)
def translations_export(language: str, area: str, output: Any) -> None:
    """Write the texts users read now as a PO file (unreviewed ones marked fuzzy, the French in comments)."""
    with get_db().session() as session:
        count = translations.export_po(session, language, area, output)
    click.echo(f"{count} messages exported.", err=True)


@translations_cli.command("import")
@click.argument("po_file", type=click.File("rb"))
@click.option("--language", type=click.Choice(["fr", "bm"]), default="bm", show_default=True)
@click.option("--by", "translator", required=True, help="Who translated (written with each text).")
@click.option("--reviewed", is_flag=True, help="The texts were reviewed by a native speaker (--by).")
def translations_import(po_file: Any, language: str, translator: str, reviewed: bool) -> None:
    """Store a translator's PO file over the shipped texts (all or nothing); it shows within seconds."""
    with get_db().session() as session:
        count = translations.import_po(session, language, po_file, translator, reviewed, utcnow())
        record_audit(
            session, translator, AuditAction.TRANSLATIONS_IMPORTED, {"language": language, "rows": count}
        )
    click.echo(f"{count} texts stored.")


@translations_cli.command("update-console")
def translations_update_console() -> None:
    """Bring locales/bm/LC_MESSAGES/console.po in step with the console's code and templates."""
    count, translated = translations.update_console_catalog()
    click.echo(f"console.po: {count} messages, {translated} translated into Bambara.")
