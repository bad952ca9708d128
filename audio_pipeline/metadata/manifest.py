"""The manifest beside every render: what it was made from, and what it wrote.

`output/<episode-id>/manifest.json` is written into the staging folder last and published
with the render, so it always describes the files beside it. It holds the sha256 of every
input the render read (`render_inputs`), the tool and engine versions, which messages a
`select:` episode took from the queue, and the sha256 of every output file. The weekly batch
skips an episode whose manifest still matches (`stale_reason`).

Only project-relative names, ids and hashes go in: never a path of the production machine,
never the text, notes or approver of a message (the manifest is in the output folder).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_pipeline import __version__
from audio_pipeline.core import defaults
from audio_pipeline.core.codecs import CODECS
from audio_pipeline.core.digest import sha256_file, sha256_text
from audio_pipeline.core.models import Message, VoiceProfile
from audio_pipeline.core.project import Project
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.inputs.episodes import EpisodeInputs
from audio_pipeline.inputs.lexicons import GLOBAL_FILE, voice_lexicon_path
from audio_pipeline.inputs.profiles import profiles_dir

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
FORMATS = {
    **{f".{c.extension}": c.name for c in CODECS.values()},
    ".csv": "csv",
    ".json": "json",
    ".cue": "cue",
    ".txt": "labels",
    ".html": "html",
}


@dataclass(frozen=True)
class DeliveredFile:
    file: str  # relative to the episode folder, e.g. "2026-w47.mp3", "clips/not-alone.wav"
    format: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class RenderInput:
    """One thing a render depends on: a file (hashed by its bytes) or a value (a version)."""

    role: str  # episode | message | voice | fallback_voice | intro | outro | sting | engine | ...
    name: str  # project-relative path, or the file name alone for a file outside the project
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "name": self.name, "sha256": self.sha256}


def input_file(project: Project, role: str, path: Path) -> RenderInput:
    shown = project.show(path)
    if Path(shown).is_absolute():
        shown = f"(outside the project)/{path.name}"  # no machine path in the output folder
    return RenderInput(role, shown, sha256_file(path))


def voice_profiles(inputs: EpisodeInputs) -> list[VoiceProfile]:
    """Every voice the episode may speak with (its casting and their fallbacks)."""
    return inputs.voices_used()


def render_inputs(
    inputs: EpisodeInputs, messages: Sequence[Message], engines: EngineSet | None = None
) -> list[RenderInput]:
    """Every input of one render, in a stable order: THE place to extend when a feature
    makes a render read another file (a pronunciation lexicon, a delivery profile): add it
    here and the batch re-renders whenever it changes."""
    project, episode = inputs.project, inputs.episode
    found = [input_file(project, "episode", episode.source)]
    found += [input_file(project, "message", m.source) for m in messages]
    found.append(input_file(project, "voice", inputs.voice.source))
    if inputs.fallback_voice is not None:
        found.append(input_file(project, "fallback_voice", inputs.fallback_voice.source))
    named = {inputs.voice.name} | ({inputs.fallback_voice.name} if inputs.fallback_voice else set())
    for voice in voice_profiles(inputs):  # the rest of the casting, each once
        if voice.name not in named:
            found.append(input_file(project, "cast_voice", voice.source))
    for role, path in (("intro", episode.intro), ("outro", episode.outro)):
        found.append(input_file(project, role, path))
    if episode.sting is not None:
        found.append(input_file(project, "sting", episode.sting))
    if episode.bed is not None:
        found.append(input_file(project, "bed", episode.bed.file))
    for profile in inputs.profiles:  # a project profile is a file; a shipped one is data
        own = profiles_dir(project) / f"{profile.name}.yaml"
        if own.is_file():
            found.append(input_file(project, "profile", own))
        else:
            found.append(RenderInput("profile", profile.name, sha256_text(repr(profile))))
    lexicons = [project.voices_dir / GLOBAL_FILE]
    lexicons += [voice_lexicon_path(project.voices_dir, v.name) for v in voice_profiles(inputs)]
    for path in lexicons:
        if path.is_file():
            found.append(input_file(project, "lexicon", path))
    policy = project.root / defaults.METADATA_POLICY_FILE
    if policy.is_file():
        found.append(input_file(project, "metadata_policy", policy))
    engines = engines or EngineSet()
    voices = voice_profiles(inputs)
    for name in sorted({v.engine for v in voices}):
        version = engines.get(name).version()
        found.append(RenderInput("engine", f"{name} {version}", sha256_text(version)))
    return found


def output_files(folder: Path, *, exclude: Sequence[str] = (MANIFEST,)) -> list[DeliveredFile]:
    """Every file of a render folder (relative POSIX names, sorted) with size and sha256."""
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name in exclude:
            continue
        fmt = FORMATS.get(path.suffix.lower(), path.suffix.lstrip(".") or "file")
        files.append(DeliveredFile(name, fmt, path.stat().st_size, sha256_file(path)))
    return files


def manifest_document(
    episode_id: str,
    inputs: Sequence[RenderInput],
    outputs: Sequence[DeliveredFile],
    *,
    messages: Sequence[str],
    selection: dict[str, Any] | None,
    fallbacks: int,
) -> dict[str, Any]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "episode_id": episode_id,
        "tool_version": __version__,
        "inputs": [i.as_dict() for i in inputs],
        "messages": list(messages),
        "selection": selection,
        "fallbacks": fallbacks,
        "outputs": [
            {"file": o.file, "format": o.format, "bytes": o.bytes, "sha256": o.sha256}
            for o in outputs
        ],
    }


def write_manifest(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stale_reason(
    previous: dict[str, Any] | None, folder: Path, current: Sequence[RenderInput]
) -> str | None:
    """Why the render in `folder` no longer matches its inputs, or None when it does."""
    if previous is None:
        return "no previous render (no readable manifest.json)"
    if previous.get("manifest_version") != MANIFEST_VERSION:
        return "the manifest is of another version"
    if previous.get("tool_version") != __version__:
        return f"audio-pipeline {previous.get('tool_version')} made it; this is {__version__}"
    before = {(i.get("role"), i.get("name")): i.get("sha256") for i in previous.get("inputs", [])}
    now = {(i.role, i.name): i.sha256 for i in current}
    for key, digest in now.items():
        if key not in before:
            return f"new input: {key[1]}"
        if before[key] != digest:
            return f"changed: {key[1]}"
    for key in before:
        if key not in now:
            return f"no longer an input: {key[1]}"
    if previous.get("fallbacks"):
        return f"the previous render used the fallback voice for {previous['fallbacks']} clip(s)"
    for entry in previous.get("outputs", []):
        path = folder / str(entry.get("file", ""))
        if not path.is_file():
            return f"output file {entry.get('file')} is missing"
        if path.stat().st_size != entry.get("bytes") or sha256_file(path) != entry.get("sha256"):
            return f"output file {entry.get('file')} was changed after the render"
    return None
