"""The filler pool of a fit: exact episode: what it holds, and what is wrong with it, said."""

from __future__ import annotations

from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from tests.inputs.conftest import PARTNER, edit_partner, load_problems


def test_the_project_pool_is_the_fillers_folder_and_the_approved_readings(
    project: Project,
) -> None:
    inputs = load_episode(project.root / PARTNER, project)
    assert [(f.name, f.message is not None) for f in inputs.fillers] == [
        ("instrumental", False),
        ("station-id", False),
        ("psalm-23-reading", True),
    ]
    assert all(f.samples is not None and len(f.samples) > 48_000 for f in inputs.fillers[:2])


def test_every_pool_entry_is_checked(project: Project) -> None:
    path = edit_partner(
        project,
        fill={
            "pool": ["voices/fillers/nope.wav", "message:not-alone", "message:ghost"],
            "max_gap_s": 1.0,
        },
    )
    found = load_problems(project, path)
    assert found == [
        f"{PARTNER}: fill.max_gap_s: 1 is shorter than gap_s (1.5); gaps only grow",
        f"{PARTNER}: fill.pool[0]: 'voices/fillers/nope.wav' does not exist; "
        "voices/fillers/ holds: instrumental.wav, station-id.wav",
        f"{PARTNER}: fill.pool[1]: message 'not-alone' is not an approved filler reading; "
        "mark it `filler: true` and approve it",
        f"{PARTNER}: fill.pool[2]: no valid message with id 'ghost' to read",
    ]
