"""Helpers of the inputs tests: a small valid episode file's fields, and the problems loading
it reports (one line each, as the CLI prints them)."""

from __future__ import annotations

import pytest

from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from tests.conftest import write_yaml


def episode_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "test-ep",
        "title": "시험 방송",
        "date": "2026-11-22",
        "voice": "ko-offline",
        "messages": ["not-alone", "church-prays"],
        "intro": "voices/bumpers/intro.wav",
        "outro": "voices/bumpers/outro.wav",
        "gap_s": 1.0,
    }
    data.update(changes)
    return data


def problems_of(project: Project, **changes: object) -> list[str]:
    path = write_yaml(project.episodes_dir / "test-ep.yaml", episode_data(**changes))
    with pytest.raises(InputError) as info:
        load_episode(path, project)
    return [str(p) for p in info.value.problems]
