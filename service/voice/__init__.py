"""Voice: reminders played as recorded calls for people who cannot read, in their own language.

A call is an outbound row like an SMS (`channel = voice`), claimed once on the same priority queues:

- `recordings.py`: one recording per message kind (or call prompt) and voice language, checked on upload;
- `pieces.py`: a date and an hour said from pieces recorded once per language;
- `flow.py`: what a call plays and what each key does (1 confirms, 9 twice stops, 0 repeats);
- `callbacks.py`: what every gateway's voice callback does (find the call, answer its step, end it);
- `calls.py`: whether a call row may ring now, and what happens when the call ends (nobody answers:
  again later, then by SMS).

Placing the call is the sending side's (`service/sms/calls.py`), beside the SMS sender.

The providers are the gateways' (`service/gateways/`): Africa's Talking, TwiML (Twilio, Somleng,
SignalWire), and the console for `make run`.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Serve recordings to the gateways; register the `recordings` commands."""
    from service.voice.cli import recordings_cli
    from service.voice.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(recordings_cli)
