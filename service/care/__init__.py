"""Patients, appointments and medication plans with their reminder rows, opt-outs, erasure on request and
CSV imports. Incoming SMS are the inbox's (`service/inbox/`), emergency alerts the referrals'."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `patients`, `appointments`, `medication` commands."""
    from service.care.cli import appointments_cli, medication_cli, patients_cli

    for group in (patients_cli, appointments_cli, medication_cli):
        app.cli.add_command(group)
