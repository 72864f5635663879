"""Referrals, visit requests and follow-ups: how they are recorded (`intake`), triaged (`triage`), and how
an emergency reaches an on-call clinician and escalates (`alerts`). USSD, the console and the API call
these functions; none of them holds a referral rule of its own."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `referrals` commands (and `volunteers wipe-training`)."""
    from service.referrals.cli import referrals_cli

    app.cli.add_command(referrals_cli)
