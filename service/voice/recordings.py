"""Recordings: one per message kind (or call prompt) and voice language, uploaded by coordinators.

An upload must really be audio (WAV or MP3, read by mutagen), last between MIN_MS and MAX_MS, and weigh
at most MAX_BYTES; its transcript, what the recording says, passes the rule every SMS text passes (no
condition, no medicine, no "santé mentale"). A replaced recording gets a new unguessable token, so a
gateway never plays an old one from its cache.
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime

import mutagen
from mutagen.mp3 import MP3
from mutagen.wave import WAVE
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from service.config import Settings
from service.errors import DomainError
from service.models import Recording
from service.outbox.discretion import as_written
from service.outbox.kinds import KINDS
from service.voice.pieces import PIECES

MAX_BYTES = 5 * 1024 * 1024
MIN_MS, MAX_MS = 500, 120_000
CONTENT_TYPES = {MP3: "audio/mpeg", WAVE: "audio/wav"}
# The prompts of every call, beside the message kinds: the French of what each says, for whoever records
# it. A prompt without a recording is left out of the call; the call still works.
PROMPTS = {
    "voice_keys": "Pour confirmer, appuyez sur 1. Pour réécouter, appuyez sur 0. "
    "Pour ne plus recevoir de messages, appuyez sur 9.",
    "voice_stop_check": "Pour ne plus recevoir de messages, appuyez encore sur 9.",
    "voice_thanks": "Merci. Au revoir.",
    "voice_stopped": "Vous ne recevrez plus de messages. Au revoir.",
    "voice_goodbye": "Au revoir.",
    "voice_greeting": "Bonjour, ici Jigi. Au revoir.",
}


class RecordingError(DomainError):
    """An upload that cannot be used, and why."""


def recordable() -> tuple[str, ...]:
    """What can be recorded: every message kind, every prompt, then the pieces of dates and hours."""
    return (*KINDS, *PROMPTS, *PIECES)


def check_audio(data: bytes) -> tuple[str, int]:
    """The content type and duration (ms) of an upload; refuse what is not WAV or MP3 audio of a usable
    length and size."""
    if len(data) > MAX_BYTES:
        raise RecordingError(
            "The file is too large: at most %(most)s MB.", field="file", most=MAX_BYTES // (1024 * 1024)
        )
    try:
        audio = mutagen.File(io.BytesIO(data))
    except Exception:  # mutagen raises its own error per format on a broken file
        audio = None
    content_type = CONTENT_TYPES.get(type(audio)) if audio is not None else None
    if content_type is None or not getattr(audio.info, "length", 0):
        raise RecordingError("This file is not a WAV or MP3 recording.", field="file")
    duration_ms = round(audio.info.length * 1000)
    if not MIN_MS <= duration_ms <= MAX_MS:
        raise RecordingError(
            "A recording lasts from %(least)s to %(most)s seconds; this one lasts %(seconds)s.",
            field="file",
            least=MIN_MS / 1000,
            most=MAX_MS // 1000,
            seconds=round(duration_ms / 1000, 1),
        )
    return content_type, duration_ms


def save_recording(
    session: Session,
    settings: Settings,
    name: str,
    language: str,
    data: bytes,
    transcript: str,
    by: str,
    now: datetime,
) -> Recording:
    """Store (or replace) the recording of `name` in `language`."""
    if name not in recordable():
        raise RecordingError(
            "%(name)s is not a message kind, a call prompt or a piece of a date.", field="name", name=name
        )
    if language not in settings.voice_languages:
        raise RecordingError(
            "%(code)s is not a voice language (VOICE_LANGUAGES: %(known)s).",
            field="language",
            code=language,
            known=", ".join(settings.voice_languages),
        )
    transcript = " ".join(transcript.split())
    if not transcript:
        raise RecordingError("Write what the recording says.", field="transcript")
    revealing = as_written(transcript, settings)
    if revealing:
        raise RecordingError(
            "A call must not name this: %(words)s. Say it another way.",
            field="transcript",
            words=", ".join(revealing),
        )
    content_type, duration_ms = check_audio(data)
    recording = find_recording(session, name, language)
    if recording is None:
        recording = Recording(name=name, language=language)
        session.add(recording)
    recording.token = secrets.token_urlsafe(32)
    recording.content_type, recording.audio, recording.duration_ms = content_type, data, duration_ms
    recording.transcript, recording.uploaded_by, recording.uploaded_at = transcript, by, now
    session.flush()
    return recording


def find_recording(session: Session, name: str, language: str) -> Recording | None:
    return session.scalar(select(Recording).where(Recording.name == name, Recording.language == language))


def recorded(session: Session) -> set[tuple[str, str]]:
    """The name and language of every recording: what a job's calls check theirs against, in one query."""
    return {
        (name, language) for name, language in session.execute(select(Recording.name, Recording.language))
    }


def tokens_in(session: Session, language: str) -> dict[str, str]:
    """The token of every recording in `language`, by name: one small query for a call's whole step."""
    query = select(Recording.name, Recording.token).where(Recording.language == language)
    return {name: token for name, token in session.execute(query)}


def by_token(session: Session, token: str) -> Recording | None:
    """The recording a gateway fetches, with its audio."""
    query = select(Recording).options(undefer(Recording.audio)).where(Recording.token == token)
    return session.scalar(query) if token else None


def recording_url(settings: Settings, token: str) -> str:
    """Where a gateway fetches the recording of `token`: under PUBLIC_URL, without a login, unguessable."""
    return f"{settings.public_url or ''}/voice/recordings/{token}"


def coverage(session: Session, settings: Settings) -> dict[tuple[str, str], bool]:
    """(name, language) -> whether it has a recording, for every recordable name and voice language."""
    have = recorded(session)
    return {
        (name, language): (name, language) in have
        for name in recordable()
        for language in settings.voice_languages
    }
