"""The project folder: found from a file or the working directory; audio kept inside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project


def test_a_missing_bumper_lists_what_its_folder_holds(project: Project) -> None:
    path, error = project.resolve_audio("voices/bumpers/intor.wav")
    assert path is None
    assert error == (
        "'voices/bumpers/intor.wav' does not exist; "
        "voices/bumpers/ holds: intro.wav, outro.wav, sting.wav"
    )


def test_outside_a_project_the_error_names_the_way_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: no project in {tmp_path}: a project folder holds voices/ and input/; "
        "run inside one, or name it with --project DIR (or $AUDIO_PIPELINE_PROJECT)"
    )
    # preparing text needs no project
    spoken = CliRunner().invoke(app, ["normalize-text", "3일"])
    assert spoken.exit_code == 0 and spoken.stdout.strip() == "삼 일"


def test_the_project_is_found_from_the_episode_file(project: Project, tmp_path: Path) -> None:
    found = Project.discover(hint=project.root / "input/episodes/2026-w47.yaml")
    assert found.root == project.root and found.found()
