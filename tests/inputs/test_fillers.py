"""The filler pool of a fit: exact episode: what it holds, and what is wrong with it, said."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode

EPISODE = "input/episodes/2026-w47-partner.yaml"


def edit(project: Project, **fields: object) -> Path:
    path = project.root / EPISODE
    data = yaml.safe_load(path.read_text("utf-8"))
    data.update(fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def problems(project: Project, path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_episode(path, project)
    return [str(p) for p in info.value.problems]


def test_the_project_pool_is_the_fillers_folder_and_the_approved_readings(
    project: Project,
) -> None:
    inputs = load_episode(project.root / EPISODE, project)
    assert [(f.name, f.message is not None) for f in inputs.fillers] == [
        ("instrumental", False),
        ("station-id", False),
        ("psalm-23-reading", True),
    ]
    assert all(f.samples is not None and len(f.samples) > 48_000 for f in inputs.fillers[:2])


def test_every_pool_entry_is_checked(project: Project) -> None:
    path = edit(
        project,
        fill={
            "pool": ["voices/fillers/nope.wav", "message:not-alone", "message:ghost"],
            "max_gap_s": 1.0,
        },
    )
    found = problems(project, path)
    assert found == [
        f"{EPISODE}: fill.max_gap_s: 1 is shorter than gap_s (1.5); gaps only grow",
        f"{EPISODE}: fill.pool[0]: 'voices/fillers/nope.wav' does not exist; "
        "voices/fillers/ holds: instrumental.wav, station-id.wav",
        f"{EPISODE}: fill.pool[1]: message 'not-alone' is not an approved filler reading; "
        "mark it `filler: true` and approve it",
        f"{EPISODE}: fill.pool[2]: no valid message with id 'ghost' to read",
    ]
