"""Remote consultations: a specialist of a referral hospital (psychiatrist, psychologist) sees a patient
at their community health centre (CSCom), with the centre's health worker beside them, by phone or video,
at a booked time; the three are reminded, each on their own channel, and told of every change.

- `people.py`: specialists and health workers;
- `sessions.py`: the specialists' clinic sessions (weekly or single dates) and their free slots;
- `booking.py`: booking, moving, cancelling, confirming (`OK <ref>`), and the outcome;
- `messages.py`: the reminders, agendas and change notices of a consultation;
- `cli.py`: `psychiatrists`, `healthworkers` and `consults` commands.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `psychiatrists`, `healthworkers` and `consults` commands."""
    from service.consults.cli import consults_cli, healthworkers_cli, psychiatrists_cli

    for group in (psychiatrists_cli, healthworkers_cli, consults_cli):
        app.cli.add_command(group)
