"""`flask --app app referrals ...`: what an operator does to a referral from the command line, and
`volunteers wipe-training` (trainees' referrals and visit requests)."""

from __future__ import annotations

import click
from sqlalchemy import select

from service.accounts import AuditAction, record_audit
from service.care.erasure import erase_referral_contact
from service.cli import CLI_ACTOR, Commands, fail, volunteers_cli
from service.db import get_db
from service.models import Referral
from service.referrals.training import wipe_training_records

referrals_cli = Commands("referrals", help="Referrals reported by volunteers.")


@referrals_cli.command("forget-contact")
@click.argument("reference")
@click.option("--reason", required=True, help="Why (e.g. the person asked); written to the audit log.")
@click.option("--by", "erased_by", default=CLI_ACTOR, show_default=True, help="Who erases.")
def referrals_forget_contact(reference: str, reason: str, erased_by: str) -> None:
    """Erase the contact phone a volunteer gave for the person, on request; the referral stays."""
    with get_db().session() as session:
        referral = session.scalar(select(Referral).where(Referral.reference == reference.strip().upper()))
        if referral is None:
            fail(f"no referral with reference {reference}")
        erase_referral_contact(session, referral, erased_by, reason)
    click.echo(f"Contact phone of referral {reference.upper()} erased.")


@volunteers_cli.command("wipe-training")
def volunteers_wipe_training() -> None:
    """Delete every record reported by trainees' phones (after a training session); trainees stay."""
    with get_db().session() as session:
        counts = wipe_training_records(session)
        record_audit(session, CLI_ACTOR, AuditAction.TRAINING_WIPED, counts)
    click.echo(
        f"Training records wiped: {counts['referrals']} referrals, {counts['visit_requests']} visit requests."
    )
