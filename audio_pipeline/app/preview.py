"""The reviewer's preview: one message, one voice, one normalized clip, and the exact text
the engine received; `review_messages` makes the reviewer's page for several at once.

Approved messages preview with any voice. A pending message (or one whose text changed after
approval) may be previewed only with --allow-pending and only with an offline voice: text
nobody has approved yet (it may still hold a name or a place) never leaves the machine. Text
sent to a network voice passes the identifying-details gate first (inputs/safety.py), as
text sent to the air does.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from audio_pipeline.app.onair import listening_for, write_heard
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.audio import dsp, wavfile
from audio_pipeline.audio.loudness import measure
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import Message, Status, VoiceProfile
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import Clip, Loudness
from audio_pipeline.engines.registry import ENGINES, EngineSet
from audio_pipeline.inputs.messages import MessageIndex, load_messages
from audio_pipeline.inputs.profiles import load_profiles
from audio_pipeline.inputs.safety import Gate, approval_problem, review_state
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.publish.outputdir import Staging, episode_lock
from audio_pipeline.publish.review import REVIEW_FILE, review_clip, review_html, write_review
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.synthesis import ClipJob, load_clip, synthesize_clip
from audio_pipeline.text.checks import TextWarning
from audio_pipeline.text.normalize import review_warnings

REVIEW_FOLDER = "review"  # output/review/: reserved, no episode may take this id


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


def _choose(
    project: Project,
    index: MessageIndex,
    voices: dict[str, VoiceProfile],
    voice_problems: list[Problem],
    message_id: str,
    voice_name: str | None,
    allow_pending: bool,
) -> tuple[Message, VoiceProfile, VoiceProfile | None]:
    """The preview rules for one message: approved with any voice; pending only when
    allowed and only with an offline voice (and no fallback); never a draft or rejected one.
    Raises InputError."""
    file = project.show(project.messages_dir / f"{message_id}.yaml")
    message = index.messages.get(message_id)
    if message is None:
        problems = index.problems_of(file) or [
            Problem(file, "", f"no message with id '{message_id}' in input/messages/")
        ]
        raise InputError(problems)
    # an approval whose text changed since (or that records no digest) is no approval
    stale = approval_problem(project, message)
    unapproved = message.status is Status.PENDING or stale is not None
    if unapproved and not allow_pending:
        problem = stale or Problem(
            file,
            "status",
            "message is pending; only approved messages are synthesized",
        )
        raise InputError(
            [
                replace(
                    problem,
                    message=problem.message
                    + " (--allow-pending previews it with an offline voice)",
                )
            ]
        )
    if message.status in (Status.DRAFT, Status.REJECTED):
        raise InputError(
            [Problem(file, "status", f"message is {message.status.value}; it cannot be previewed")]
        )
    name = voice_name or project.default_voice
    if voice_name is None and message.status is Status.PENDING:
        # unapproved text never leaves the machine: with no voice named, the offline one
        default = voices.get(name)
        if default is None or ENGINES[default.engine].network:
            name = defaults.DEFAULT_VOICE
    voice = voices.get(name)
    if voice is None:
        shown = project.show(project.voices_dir / f"{name}.yaml")
        raise InputError(
            [p for p in voice_problems if p.file == shown]
            or [Problem(shown, "", f"unknown voice '{name}'; voices: {', '.join(sorted(voices))}")]
        )
    fallback = voices.get(voice.fallback_voice) if voice.fallback_voice else None
    if unapproved:
        if ENGINES[voice.engine].network:
            raise InputError(
                [
                    Problem(
                        project.show(voice.source),
                        "engine",
                        f"'{voice.engine}' sends text off this machine; preview a message that "
                        "is not approved with an offline voice (--voice ko-offline)",
                    )
                ]
            )
        fallback = None
    speakers = [v for v in (voice, fallback) if v is not None]
    if any(ENGINES[v.engine].network for v in speakers):
        # text sent off this machine passes the same gate as text sent to the air
        gate = Gate.load(project, [v.lexicon for v in speakers])
        problems = gate.problems + gate.air_problems([message])
        if problems:
            raise InputError(problems)
    return message, voice, fallback


def _normalized(clip: Clip) -> np.ndarray:
    return dsp.normalize(
        load_clip(clip), defaults.SAMPLE_RATE, defaults.TARGET_LUFS, defaults.TRUE_PEAK_DBTP
    )


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
    message, voice, fallback = _choose(
        project, index, voices, voice_problems, message_id, voice_name, allow_pending
    )
    engines = EngineSet(settings.engines)
    clip = synthesize_clip(
        ClipJob(message, voice, fallback),
        engines,
        ClipCache(project.cache_dir),
        strict=settings.strict,
    )
    y = _normalized(clip)
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


@dataclass(frozen=True)
class ReviewResult:
    folder: Path  # output/review/
    page: Path
    clips: tuple[Clip, ...]


def review_messages(
    project: Project,
    message_ids: Sequence[str],
    voice_name: str | None = None,
    *,
    allow_pending: bool = False,
    settings: RenderSettings | None = None,
    on_clip: Callable[[Clip], None] | None = None,
) -> ReviewResult:
    """The reviewer's page for some messages, before any episode: output/review/review.html
    with each clip beside it in clips/. Same rules as `preview`; every message is checked
    before anything is synthesized, and the folder is replaced atomically."""
    settings = settings or RenderSettings()
    index = load_messages(project)
    voices, voice_problems = load_voices(project)
    chosen: list[tuple[Message, VoiceProfile, VoiceProfile | None]] = []
    problems: list[Problem] = []
    for message_id in dict.fromkeys(message_ids):  # in the order given, once each
        try:
            chosen.append(
                _choose(
                    project, index, voices, voice_problems, message_id, voice_name, allow_pending
                )
            )
        except InputError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise InputError(problems)
    engines = EngineSet(settings.engines)
    cache = ClipCache(project.cache_dir)
    profiles, _ = load_profiles(project)  # the project's shortwave profile, heard on air
    listening = listening_for([], profiles, defaults.TARGET_LUFS)
    with (
        episode_lock(project.output_dir, REVIEW_FOLDER),
        Staging(project.output_dir, REVIEW_FOLDER) as staging,
    ):
        assert staging.path is not None
        (staging.path / "clips").mkdir()
        clips: list[Clip] = []
        entries = []
        for message, voice, fallback in chosen:
            clip = synthesize_clip(
                ClipJob(message, voice, fallback), engines, cache, strict=settings.strict
            )
            if on_clip is not None:
                on_clip(clip)
            clips.append(clip)
            href = f"clips/{message.id}.wav"
            samples = _normalized(clip)
            wavfile.write(staging.path / href, samples, defaults.SAMPLE_RATE, "pcm24")
            heard = None
            if listening is not None:
                written = write_heard(staging.path, href, samples, message.id, listening)
                heard = (written, listening.label)
            entries.append(
                review_clip(
                    staging.path,
                    href,
                    message_id=message.id,
                    title=message.title,
                    status=message.status.value,
                    approved_text=message.text,
                    spoken_text=clip.spoken_text,
                    engine=clip.engine,
                    voice=clip.voice,
                    requested_voice=voice.name,
                    fallback=clip.fallback,
                    lexicon=voice.lexicon,
                    state=review_state(message, Gate.load(project, [voice.lexicon])),
                    heard=heard,
                )
            )
        pending = sum(1 for m, _, _ in chosen if m.status is Status.PENDING)
        note = f"{len(chosen)} message(s) before broadcast"
        if pending:
            note += f", {pending} of them pending approval (offline voice only)"
        write_review(staging.path, review_html("Review", note, entries))
        final = staging.publish()
    return ReviewResult(final, final / REVIEW_FILE, tuple(clips))
