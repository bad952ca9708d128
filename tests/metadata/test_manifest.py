"""The manifest beside every render (manifest.py): every input a render read, hashed, and
every file it wrote; what makes a render stale for the weekly batch. Hashes are checked with
hashlib on the files themselves, documents read back with json."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from audio_pipeline import __version__
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.inputs.policy import SHIPPED_POLICY
from audio_pipeline.metadata.manifest import (
    MANIFEST,
    DeliveredFile,
    RenderInput,
    input_file,
    manifest_document,
    output_files,
    read_manifest,
    render_inputs,
    stale_reason,
    write_manifest,
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs_of(project: Project, episode: str) -> list[RenderInput]:
    inputs = load_episode(project.episodes_dir / f"{episode}.yaml", project)
    return render_inputs(inputs, inputs.messages)


SAMPLE = ["not-alone", "church-prays", "not-forgotten", "light-in-darkness"]
SAMPLE += ["peace-for-family", "strength-for-today"]


# --- what a render read -------------------------------------------------------------------------


def test_every_input_of_the_sample_episode_in_a_stable_order(project: Project) -> None:
    found = inputs_of(project, "2026-w47")
    files = [(i.role, i.name) for i in found if i.role != "engine"]
    assert files == [
        ("episode", "input/episodes/2026-w47.yaml"),
        *[("message", f"input/messages/{m}.yaml") for m in SAMPLE],
        ("voice", "voices/ko-offline.yaml"),
        ("intro", "voices/bumpers/intro.wav"),
        ("outro", "voices/bumpers/outro.wav"),
        ("sting", "voices/bumpers/sting.wav"),
        ("lexicon", "voices/lexicon.yaml"),
        ("lexicon", "voices/ko-offline.lexicon.yaml"),
    ]
    for item in found:  # a file by its bytes, named relative to the project only
        if item.role != "engine":
            assert item.sha256 == sha256((project.root / item.name).read_bytes()), item.name
    (engine,) = [i for i in found if i.role == "engine"]
    name, version = engine.name.split(" ", 1)
    assert name == "espeak" and version.startswith("espeak-ng-1.")
    assert engine.sha256 == sha256(version.encode("utf-8"))  # a value: hashed as text


def test_a_cast_episode_lists_every_voice_and_engine_once(project: Project) -> None:
    found = inputs_of(project, "2026-w47-neural")
    voices = [(i.role, i.name) for i in found if "voice" in i.role]
    assert voices[:2] == [
        ("voice", "voices/ko-azure-female.yaml"),
        ("fallback_voice", "voices/ko-offline.yaml"),
    ]
    assert sorted(voices[2:]) == [  # the rest of the casting, each once
        ("cast_voice", "voices/ko-google-cloud-female.yaml"),
        ("cast_voice", "voices/ko-google-cloud-male.yaml"),
    ]
    engines = [i.name.split(" ")[0] for i in found if i.role == "engine"]
    assert engines == ["azure", "espeak", "google-cloud"]
    assert ("engine", "azure azure-tts-rest-v1") in [(i.role, i.name) for i in found]


def test_a_bed_profiles_and_a_projects_own_policy_are_inputs_too(project: Project) -> None:
    shutil.copy(SHIPPED_POLICY, project.root / "input" / "metadata_policy.yaml")
    found = inputs_of(project, "2026-w47-partner")
    roles = [(i.role, i.name) for i in found]
    assert ("bed", "voices/beds/soft-pad.wav") in roles
    # the shipped profiles are data, not files of the project: named, hashed by value
    assert [n for r, n in roles if r == "profile"] == ["ebu-r128", "shortwave", "podcast"]
    policy = roles.index(("metadata_policy", "input/metadata_policy.yaml"))
    assert roles[policy + 1][0] == "engine"
    assert found[policy].sha256 == sha256(SHIPPED_POLICY.read_bytes())


def test_a_file_outside_the_project_is_named_without_the_machines_path(
    project: Project, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "intro.wav"
    outside.parent.mkdir()
    outside.write_bytes(b"RIFF")
    item = input_file(project, "intro", outside)
    assert item == RenderInput("intro", "(outside the project)/intro.wav", sha256(b"RIFF"))
    assert item.as_dict() == {"role": "intro", "name": item.name, "sha256": item.sha256}


# --- what a render wrote ------------------------------------------------------------------------

FILES = {
    "2026-w47.wav": b"RIFF....WAVE",
    "2026-w47.mp3": b"ID3 mp3",
    "2026-w47.mp2": b"\xff\xfd mp2",
    "2026-w47.cue": b'FILE "2026-w47.wav" WAVE',
    "2026-w47.labels.txt": b"0.0\t1.0\t01 intro",
    "cues.json": b"{}",
    "review.html": b"<html></html>",
    "clips/not-alone.wav": b"RIFF clip",
    "notes.bin": b"\x00",
    "README": b"no suffix",
    MANIFEST: b"{}",
}


def folder_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "2026-w47"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def test_output_files_are_every_file_but_the_manifest_sorted_with_size_and_hash(
    tmp_path: Path,
) -> None:
    folder = folder_with(tmp_path, FILES)
    formats = {
        "2026-w47.cue": "cue",
        "2026-w47.labels.txt": "labels",
        "2026-w47.mp2": "mp2",
        "2026-w47.mp3": "mp3",
        "2026-w47.wav": "wav",
        "README": "file",
        "clips/not-alone.wav": "wav",
        "cues.json": "json",
        "notes.bin": "bin",
        "review.html": "html",
    }
    assert output_files(folder) == [
        DeliveredFile(name, fmt, len(FILES[name]), sha256(FILES[name]))
        for name, fmt in formats.items()
    ]


def test_the_manifest_is_written_and_read_back_as_json(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, {"2026-w47.wav": b"RIFF"})
    inputs = [RenderInput("episode", "input/episodes/2026-w47.yaml", "e" * 64)]
    document = manifest_document(
        "2026-w47",
        inputs,
        output_files(folder),
        messages=["not-alone"],
        selection={"rule": "oldest"},
        fallbacks=0,
    )
    path = write_manifest(folder, document)
    assert path == folder / "manifest.json"
    assert json.loads(path.read_text("utf-8")) == {
        "manifest_version": 1,
        "episode_id": "2026-w47",
        "tool_version": __version__,
        "inputs": [{"role": "episode", "name": "input/episodes/2026-w47.yaml", "sha256": "e" * 64}],
        "messages": ["not-alone"],
        "selection": {"rule": "oldest"},
        "fallbacks": 0,
        "outputs": [
            {"file": "2026-w47.wav", "format": "wav", "bytes": 4, "sha256": sha256(b"RIFF")}
        ],
    }
    assert read_manifest(folder) == document


@pytest.mark.parametrize("text", [None, "{not json", "[1, 2]", '"a string"'])
def test_a_manifest_that_cannot_be_read_is_none(tmp_path: Path, text: str | None) -> None:
    if text is not None:
        (tmp_path / MANIFEST).write_text(text, "utf-8")
    assert read_manifest(tmp_path) is None


# --- stale or not ---------------------------------------------------------------------------------

INPUTS = [
    RenderInput("episode", "input/episodes/2026-w47.yaml", "1" * 64),
    RenderInput("message", "input/messages/not-alone.yaml", "2" * 64),
]


def previous(tmp_path: Path, **changes: Any) -> tuple[dict[str, Any], Path]:
    folder = folder_with(tmp_path, {"2026-w47.wav": b"RIFF data", "cues.json": b"{}"})
    document = manifest_document(
        "2026-w47", INPUTS, output_files(folder), messages=[], selection=None, fallbacks=0
    )
    document.update(changes)
    return document, folder


def test_a_render_whose_inputs_and_outputs_are_unchanged_is_current(tmp_path: Path) -> None:
    document, folder = previous(tmp_path)
    assert stale_reason(document, folder, INPUTS) is None


@pytest.mark.parametrize(
    ("changes", "now", "reason"),
    [
        ({"manifest_version": 0}, INPUTS, "the manifest is of another version"),
        (
            {"tool_version": "0.0.1"},
            INPUTS,
            f"audio-pipeline 0.0.1 made it; this is {__version__}",
        ),
        (
            {},
            [*INPUTS, RenderInput("lexicon", "voices/lexicon.yaml", "3" * 64)],
            "new input: voices/lexicon.yaml",
        ),
        (
            {},
            [INPUTS[0], RenderInput("message", "input/messages/not-alone.yaml", "4" * 64)],
            "changed: input/messages/not-alone.yaml",
        ),
        ({}, INPUTS[:1], "no longer an input: input/messages/not-alone.yaml"),
        (
            {"fallbacks": 2},
            INPUTS,
            "the previous render used the fallback voice for 2 clip(s)",
        ),
    ],
)
def test_what_makes_a_render_stale_is_said_in_one_line(
    tmp_path: Path, changes: dict[str, Any], now: list[RenderInput], reason: str
) -> None:
    document, folder = previous(tmp_path, **changes)
    assert stale_reason(document, folder, now) == reason


def test_no_manifest_is_stale(tmp_path: Path) -> None:
    assert stale_reason(None, tmp_path, INPUTS) == (
        "no previous render (no readable manifest.json)"
    )


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda p: p.unlink(), "output file 2026-w47.wav is missing"),
        (lambda p: p.write_bytes(b"RIFF DATA"), "output file 2026-w47.wav was changed after"),
        (lambda p: p.write_bytes(b"RIFF"), "output file 2026-w47.wav was changed after"),
    ],
    ids=["deleted", "same-size", "shorter"],
)
def test_an_output_file_touched_after_the_render_makes_it_stale(
    tmp_path: Path, edit: Any, reason: str
) -> None:
    document, folder = previous(tmp_path)
    edit(folder / "2026-w47.wav")
    assert (stale_reason(document, folder, INPUTS) or "").startswith(reason)
