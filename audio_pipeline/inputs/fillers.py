"""The filler pool a fit: exact episode draws on when its messages leave the slot short.

Filler items are what a broadcaster plays rather than dead air: a station identification, an
instrumental, a short scripture reading. Two kinds: audio files (the project's own pool is
every audio file in voices/fillers/) and approved messages marked `filler: true` (spoken
by the episode's voice, through the identifying-details gate like every message). An
episode may name its own pool (`fill.pool`: audio paths, and `message:<id>` for readings);
otherwise the project's pool is used. Every item is validated (and audio decoded) with the
episode, so a render never finds a broken filler half-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.models import FillSettings, Message
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.audiofiles import AudioStore
from audio_pipeline.inputs.messages import MessageIndex

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
MESSAGE_PREFIX = "message:"


@dataclass(frozen=True, eq=False)
class Filler:
    """One item of the pool: an audio file (its samples, decoded once) or a reading."""

    name: str  # the file's stem, or the message's id
    source: Path
    samples: np.ndarray | None = None  # an audio filler at the working rate
    message: Message | None = None  # a reading: spoken like a message, by the episode's voice


def project_pool(project: Project, index: MessageIndex) -> list[str]:
    """The project's pool, as pool entries: voices/fillers/ audio, then filler readings."""
    folder = project.root / defaults.FILLERS_DIR
    audio = (
        sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
        if folder.is_dir()
        else []
    )
    entries = [project.show(p) for p in audio]
    readings = sorted(m.id for m in index.messages.values() if m.filler and m.is_approved)
    return entries + [f"{MESSAGE_PREFIX}{m}" for m in readings]


def load_pool(
    project: Project,
    settings: FillSettings,
    index: MessageIndex,
    store: AudioStore,
    file: str,
) -> tuple[tuple[Filler, ...], list[Problem]]:
    """Every item of the episode's pool, validated; problems are named `fill.pool[i]` of the
    episode file (or the item's own file, for the project's pool)."""
    own = settings.pool is not None
    entries = list(settings.pool) if settings.pool is not None else project_pool(project, index)
    fillers: list[Filler] = []
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        where, field = (file, f"fill.pool[{i}]") if own else (entry, "")
        if entry.startswith(MESSAGE_PREFIX):
            message_id = entry.removeprefix(MESSAGE_PREFIX)
            message = index.messages.get(message_id)
            if message is None:
                problems.append(
                    Problem(where, field, f"no valid message with id '{message_id}' to read")
                )
            elif not (message.filler and message.is_approved):
                problems.append(
                    Problem(
                        where,
                        field,
                        f"message '{message_id}' is not an approved filler reading; "
                        "mark it `filler: true` and approve it",
                    )
                )
            else:
                fillers.append(Filler(message.id, message.source, message=message))
            continue
        path, error = project.resolve_audio(entry)
        found = store.load(path, entry, max_seconds=defaults.MAX_FILLER_S) if path else None
        if error is None and found is not None:
            error = found.error
        if error or path is None or found is None or found.samples is None:
            problems.append(Problem(where, field, error or f"cannot use '{entry}'"))
            continue
        fillers.append(Filler(path.stem, path, samples=found.samples))
    return tuple(fillers), problems
