"""How a command ends when something fails (cli/errors.py): what it raised, told by the one
table, becomes one line (or one per problem) on stderr and the exit code; a traceback only
for an internal error under --debug; every command, and the batch, tell a failure alike."""

from __future__ import annotations

import pytest
import typer
import yaml
from click.testing import Result
from typer.testing import CliRunner

from audio_pipeline.app.errors import Told
from audio_pipeline.cli.errors import errors_to_exit_codes
from audio_pipeline.cli.main import app
from audio_pipeline.core.errors import InputError, Problem, RenderError
from audio_pipeline.core.project import Project
from tests.cli.conftest import invoke

runner = CliRunner()


def run_raising(exc: BaseException, seen: list[Told] | None = None) -> Result:
    """A one-command application whose body raises `exc` inside errors_to_exit_codes."""
    one = typer.Typer()

    @one.command()
    def go() -> None:
        with errors_to_exit_codes(None if seen is None else seen.append):
            raise exc

    return runner.invoke(one, [])


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


def test_internal_errors_are_one_line_exit_1(
    cli_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("kaboom")

    monkeypatch.setattr("audio_pipeline.cli.render.render_episode", boom)
    result = invoke("render", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: internal error: ZeroDivisionError: kaboom (run with --debug for the traceback, "
        "and report it)"
    )


def test_a_problem_list_is_told_on_stderr_and_exits_2() -> None:
    seen: list[Told] = []
    result = run_raising(InputError([Problem("a.yaml", "voice", "unknown voice 'x'")]), seen)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: a.yaml: voice: unknown voice 'x'",
        "1 problem(s) found; nothing was written.",
    ]
    # the command's own handler (a --json document) saw the same failure first
    assert [t.details for t in seen] == [("a.yaml: voice: unknown voice 'x'",)]


def test_an_interruption_exits_130_without_calling_itself_an_error() -> None:
    result = run_raising(KeyboardInterrupt())
    assert result.exit_code == 130
    assert result.stderr == "interrupted; the previous output was left untouched\n"


def test_an_exit_the_command_chose_passes_through_untold() -> None:
    seen: list[Told] = []
    result = run_raising(typer.Exit(3), seen)
    assert (result.exit_code, result.stdout, result.stderr, seen) == (3, "", "", [])


def test_debug_shows_the_traceback_of_an_internal_error_only(
    cli_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[BaseException] = [ZeroDivisionError("kaboom")]

    def boom(*args: object, **kwargs: object) -> None:
        raise raised[0]

    monkeypatch.setattr("audio_pipeline.cli.render.render_episode", boom)
    result = invoke("--debug", "render", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "ZeroDivisionError: kaboom" in lines
    assert lines[-1].startswith("error: internal error: ZeroDivisionError: kaboom")
    # a failure of the render itself is its one line, --debug or not
    raised[0] = RenderError("the encoder stopped")
    result = invoke("--debug", "render", "input/episodes/2026-w47.yaml")
    assert (result.exit_code, result.stderr) == (1, "error: the encoder stopped\n")
    # and without --debug an internal error has no traceback
    raised[0] = ZeroDivisionError("kaboom")
    result = invoke("render", "input/episodes/2026-w47.yaml")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
