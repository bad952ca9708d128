"""Helpers of the inputs tests: a small valid episode file's fields, and the problems loading
it reports (one line each, as the CLI prints them)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


def load_problems(project: Project, path: Path) -> list[str]:
    """The problems loading the episode at `path` reports, one line each."""
    with pytest.raises(InputError) as info:
        load_episode(path, project)
    return [str(p) for p in info.value.problems]


def problems_of(project: Project, **changes: object) -> list[str]:
    path = write_yaml(project.episodes_dir / "test-ep.yaml", episode_data(**changes))
    return load_problems(project, path)


PARTNER = "input/episodes/2026-w47-partner.yaml"


def edit_partner(project: Project, **fields: object) -> Path:
    """The sample partner episode with `fields` set."""
    path = project.root / PARTNER
    data = yaml.safe_load(path.read_text("utf-8"))
    data.update(fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path
