"""`audio-pipeline simulate` at the command line: the table, and one-line errors (exit 2)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from tests.app.test_simulate import speech_file

runner = CliRunner()


@pytest.fixture
def here(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(project.root)
    return project


@pytest.mark.slow
def test_simulate_a_file_prints_message_by_condition_and_the_mean(here: Project) -> None:
    speech_file(here.root / "speech.wav")
    result = runner.invoke(
        app, ["simulate", "speech.wav", "--snr", "5", "--no-fading", "--no-audio"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("speech-shortwave.mp3 (shortwave) against speech.wav (plain)")
    assert "clean" in lines[1] and "5 dB" in lines[1] and "fading" not in lines[1]
    mean = next(line for line in lines if line.startswith("mean"))
    assert "→" in mean
    assert "as heard" not in result.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["simulate", "2026-w47", "--profile", "longwave"],
            "error: --profile: unknown profile 'longwave'",
        ),
        (
            ["simulate", "2026-w47"],
            "error: episode '2026-w47' has not been rendered (no output/2026-w47/cues.json); "
            "render it first: audio-pipeline render input/episodes/2026-w47.yaml",
        ),
        (["simulate", "missing.mp3"], "error: missing.mp3: no such file"),
        (["simulate", "2026-w47", "--snr", "99"], "error: --snr: 99 is out of range"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(here: Project, args: list[str], line: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(line)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
