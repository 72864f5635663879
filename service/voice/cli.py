"""`flask --app app recordings ...`: the recorded voice messages, from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from service.cli import CLI_ACTOR, Commands
from service.config import get_settings
from service.db import get_db
from service.models import Recording
from service.timeutil import utcnow
from service.voice.pieces import PIECES
from service.voice.recordings import RecordingError, coverage, save_recording

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
    """Add or replace the recording of NAME (a message kind, a call prompt or a piece of a date) in
    LANGUAGE (WAV or MP3)."""
    with get_db().session() as session:
        recording = save_recording(
            session, get_settings(), name, language, audio.read_bytes(), transcript, uploaded_by, utcnow()
        )
        seconds = recording.duration_ms / 1000
    click.echo(f"Recording {name} ({language}) stored: {seconds:.1f} s.")


@recordings_cli.command("add-pieces")
@click.argument("language")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--by", "uploaded_by", default=CLI_ACTOR, show_default=True)
def recordings_add_pieces(language: str, folder: Path, uploaded_by: str) -> None:
    """Add the pieces of dates and hours in LANGUAGE from FOLDER, one file per piece named after it
    (weekday_1.wav for Monday ... weekday_7, month_1 ... month_12, hour_0 ... hour_23, number_1 ...
    number_59; WAV or MP3). Each is checked and stored on its own; a refused file is named and skipped."""
    files = {path.stem: path for path in sorted(folder.iterdir()) if path.suffix.lower() in (".wav", ".mp3")}
    found = [name for name in PIECES if name in files]
    stored, refused = 0, []
    with click.progressbar(found, label=f"Pieces in {language}", file=sys.stderr) as names:
        for name in names:
            try:
                with get_db().session() as session:
                    save_recording(
                        session, get_settings(), name, language, files[name].read_bytes(), name, uploaded_by,
                        utcnow(),
                    )  # fmt: skip
                stored += 1
            except RecordingError as error:
                if error.field == "language":
                    raise
                refused.append(f"{files[name].name}: {error}")
    for line in refused:
        click.echo(f"Refused {line}", err=True)
    click.echo(
        f"{stored} pieces stored in {language}; {len(PIECES) - stored - len(refused)} not in the folder."
    )
    if refused:
        raise SystemExit(1)


@recordings_cli.command("list")
@click.option("--pieces", is_flag=True, help="Each piece of dates and hours too, not only their count.")
def recordings_list(pieces: bool) -> None:
    """Which kinds and prompts have a recording in each voice language, and how many pieces."""
    settings = get_settings()
    with get_db().session() as session:
        have = coverage(session, settings)
        rows = session.execute(select(Recording.name, Recording.language, Recording.duration_ms))
        durations = {(name, language): ms for name, language, ms in rows}
    for (name, language), recorded in have.items():
        if name in PIECES and not pieces:
            continue
        state = f"{durations[(name, language)] / 1000:.1f} s" if recorded else "missing"
        click.echo(f"{name}\t{language}\t{state}")
    for language in settings.voice_languages:
        done = sum(have[(name, language)] for name in PIECES)
        click.echo(f"pieces\t{language}\t{done}/{len(PIECES)}")
