"""The reviewer's preview: one message, one voice, one normalized clip, and the exact text
the engine received.

Approved messages preview with any voice. A pending message may be previewed before
approval only with --allow-pending and only with an offline voice: text nobody has approved
yet (it may still hold a name or a place) never leaves the machine.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import defaults, dsp, wavfile
from .cache import ClipCache
from .engines import ENGINES, EngineSet
from .errors import InputError, Problem
from .inputs import load_messages, load_voices
from .loudness import measure
from .models import Loudness, Status
from .project import Project
from .render import RenderSettings
from .synthesis import ClipJob, load_clip, synthesize_clip
from .text.checks import TextWarning
from .text.normalize import review_warnings

DEFAULT_PREVIEW_VOICE = "ko-google"


@dataclass(frozen=True)
class PreviewResult:
    path: Path
    message_id: str
    voice: str
    engine: str
    fallback_reason: str | None
    cached: bool
    duration_s: float
    loudness: Loudness
    spoken_text: str
    # listener checks and what the spoken script did (spelled-out words, removed addresses)
    warnings: tuple[TextWarning, ...] = ()


def preview_message(
    project: Project,
    message_id: str,
    voice_name: str | None = None,
    *,
    allow_pending: bool = False,
    settings: RenderSettings | None = None,
) -> PreviewResult:
    settings = settings or RenderSettings()
    index = load_messages(project)
    voices, voice_problems = load_voices(project)
    file = project.show(project.messages_dir / f"{message_id}.yaml")
    message = index.messages.get(message_id)
    if message is None:
        problems = index.problems_of(file) or [
            Problem(file, "", f"no message with id '{message_id}' in input/messages/")
        ]
        raise InputError(problems)
    if message.status is Status.PENDING and not allow_pending:
        raise InputError(
            [
                Problem(
                    file,
                    "status",
                    "message is pending; only approved messages are synthesized "
                    "(--allow-pending previews it with an offline voice)",
                )
            ]
        )
    if message.status in (Status.DRAFT, Status.REJECTED):
        raise InputError(
            [Problem(file, "status", f"message is {message.status.value}; it cannot be previewed")]
        )
    name = voice_name or DEFAULT_PREVIEW_VOICE
    voice = voices.get(name)
    if voice is None:
        shown = project.show(project.voices_dir / f"{name}.yaml")
        raise InputError(
            [p for p in voice_problems if p.file == shown]
            or [Problem(shown, "", f"unknown voice '{name}'; voices: {', '.join(sorted(voices))}")]
        )
    fallback = voices.get(voice.fallback_voice) if voice.fallback_voice else None
    if message.status is Status.PENDING:
        if ENGINES[voice.engine].network:
            raise InputError(
                [
                    Problem(
                        project.show(voice.source),
                        "engine",
                        f"'{voice.engine}' sends text off this machine; preview a pending message "
                        "with an offline voice (--voice ko-offline)",
                    )
                ]
            )
        fallback = None

    engines = EngineSet(settings.gtts)
    clip = synthesize_clip(
        ClipJob(message, voice, fallback),
        engines,
        ClipCache(project.cache_dir),
        strict=settings.strict,
    )
    y = dsp.normalize(
        load_clip(clip), defaults.SAMPLE_RATE, defaults.TARGET_LUFS, defaults.TRUE_PEAK_DBTP
    )
    folder = project.output_dir / "preview"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{message.id}.wav"
    fd, tmp = tempfile.mkstemp(prefix=f".{message.id}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        wavfile.write(Path(tmp), y, defaults.SAMPLE_RATE, "pcm24")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return PreviewResult(
        path=target,
        message_id=message.id,
        voice=clip.voice,
        engine=clip.engine,
        fallback_reason=clip.fallback_reason,
        cached=clip.cached,
        duration_s=len(y) / defaults.SAMPLE_RATE,
        loudness=measure(y, defaults.SAMPLE_RATE),
        spoken_text=clip.spoken_text,
        warnings=tuple(review_warnings(message.text, voices[clip.voice].lexicon)),
    )
