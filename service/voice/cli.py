"""`flask --app app recordings ...`: the recorded voice messages, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from service.cli import CLI_ACTOR, Commands
from service.config import get_settings
from service.db import get_db
from service.models import Recording
from service.timeutil import utcnow
from service.voice.recordings import coverage, save_recording

recordings_cli = Commands(
    "recordings", help="Recorded voice messages: one per message kind and voice language."
)


@recordings_cli.command("add")
@click.argument("name")
@click.argument("language")
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--transcript", required=True, help="What the recording says (checked like any SMS text).")
@click.option("--by", "uploaded_by", default=CLI_ACTOR, show_default=True)
def recordings_add(name: str, language: str, audio: Path, transcript: str, uploaded_by: str) -> None:
    """Add or replace the recording of NAME (a message kind or a call prompt) in LANGUAGE (WAV or MP3)."""
    with get_db().session() as session:
        recording = save_recording(
            session, get_settings(), name, language, audio.read_bytes(), transcript, uploaded_by, utcnow()
        )
        seconds = recording.duration_ms / 1000
    click.echo(f"Recording {name} ({language}) stored: {seconds:.1f} s.")


@recordings_cli.command("list")
def recordings_list() -> None:
    """Which kinds and prompts have a recording in each voice language."""
    settings = get_settings()
    with get_db().session() as session:
        have = coverage(session, settings)
        rows = session.execute(select(Recording.name, Recording.language, Recording.duration_ms))
        durations = {(name, language): ms for name, language, ms in rows}
    for (name, language), recorded in have.items():
        state = f"{durations[(name, language)] / 1000:.1f} s" if recorded else "missing"
        click.echo(f"{name}\t{language}\t{state}")
