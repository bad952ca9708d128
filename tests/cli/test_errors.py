"""The one exception-to-message table: every command, and the batch, tell a failure alike."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from audio_pipeline.cli.errors import tell
from audio_pipeline.cli.main import app
from audio_pipeline.core.errors import ExitCode, InputError, Problem, RenderError, UsageError
from audio_pipeline.core.project import Project

runner = CliRunner()


def test_the_table() -> None:
    invalid = tell(InputError([Problem("a.yaml", "voice", "unknown voice 'x'")]))
    assert invalid.lines() == [
        "error: a.yaml: voice: unknown voice 'x'",
        "1 problem(s) found; nothing was written.",
    ]
    assert invalid.exit_code == ExitCode.INVALID_INPUT == 2
    failed = tell(RenderError("the disk is full\nsecond line"))
    assert failed.lines() == ["error: the disk is full?second line"]  # one line, always
    assert failed.exit_code == ExitCode.FAILED == 1
    assert tell(UsageError("--week: bad")).exit_code == 2
    interrupted = tell(KeyboardInterrupt())
    assert interrupted.lines() == ["interrupted; the previous output was left untouched"]
    assert interrupted.exit_code == 130
    bug = tell(ZeroDivisionError("kaboom"))
    assert bug.lines() == [
        "error: internal error: ZeroDivisionError: kaboom "
        "(run with --debug for the traceback, and report it)"
    ]


@pytest.fixture
def broken_week(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The sample episode with a voice that does not exist, in the working directory."""
    path = project.root / "input/episodes/2026-w47.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["voice"] = "nobody"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    for other in ("2026-w47-google.yaml", "2026-w47-partner.yaml"):
        (project.root / "input/episodes" / other).unlink()
    monkeypatch.chdir(project.root)
    return project


def test_render_and_batch_tell_the_same_problem_the_same_way(broken_week: Project) -> None:
    rendered = runner.invoke(app, ["render", "input/episodes/2026-w47.yaml"])
    batch = runner.invoke(app, ["batch", "--week", "2026-W47"])
    assert (rendered.exit_code, batch.exit_code) == (2, 1)  # the batch ran; an episode failed
    problem = rendered.stderr.splitlines()[0]
    assert problem.startswith("error: input/episodes/2026-w47.yaml: voice: unknown voice")
    assert rendered.stderr.splitlines()[-1] == "1 problem(s) found; nothing was written."
    lines = batch.stderr.splitlines()
    assert "error: 2026-w47: 1 problem(s) found; nothing was written" in lines
    assert f"  {problem}" in lines  # the very same words, under the episode's name
