"""What every command shares (cli/options.py): finding the project (--project, then
$AUDIO_PIPELINE_PROJECT, then the episode file's or the working directory's folders) and the
network knobs the weekly job needs: concurrency and the requests-per-minute cap, as options
of `render` and `batch` and as environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.cli import options
from audio_pipeline.cli import render as cli_render
from audio_pipeline.cli.main import app
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.project import ENV_PROJECT, Project

runner = CliRunner()


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch, project: Project) -> list[RenderSettings]:
    seen: list[RenderSettings] = []

    def fake_render(
        project: Project, episode: Path, settings: RenderSettings, reporter: object
    ) -> None:
        seen.append(settings)
        raise RenderError("stopped here by the test")

    monkeypatch.setattr(cli_render, "render_episode", fake_render)
    monkeypatch.chdir(project.root)
    for name in (options.ENV_CONCURRENCY, options.ENV_REQUESTS_PER_MINUTE):
        monkeypatch.delenv(name, raising=False)
    return seen


def render(*args: str, env: dict[str, str] | None = None) -> object:
    return runner.invoke(app, ["render", "input/episodes/2026-w47.yaml", *args], env=env)


def test_defaults(captured: list[RenderSettings]) -> None:
    result = render()
    assert result.exit_code == 1  # type: ignore[attr-defined]
    (settings,) = captured
    assert settings.concurrency == 2 and settings.engines.network.requests_per_minute == 120


def test_options(captured: list[RenderSettings]) -> None:
    render("--concurrency", "6", "--requests-per-minute", "30")
    (settings,) = captured
    assert settings.concurrency == 6 and settings.engines.network.requests_per_minute == 30


def test_environment_for_the_batch_job_and_options_win(captured: list[RenderSettings]) -> None:
    env = {options.ENV_CONCURRENCY: "4", options.ENV_REQUESTS_PER_MINUTE: "0"}
    render(env=env)
    render("--requests-per-minute", "60", env=env)
    first, second = captured
    assert (first.concurrency, first.engines.network.requests_per_minute) == (4, 0)
    assert (second.concurrency, second.engines.network.requests_per_minute) == (4, 60)


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--concurrency", "0"], None, "--concurrency"),
        (["--requests-per-minute", "-5"], None, "--requests-per-minute"),
        ([], {options.ENV_REQUESTS_PER_MINUTE: "fast"}, options.ENV_REQUESTS_PER_MINUTE),
        ([], {options.ENV_CONCURRENCY: "99"}, options.ENV_CONCURRENCY),
    ],
)
def test_bad_values_exit_2_naming_the_option(
    captured: list[RenderSettings], args: list[str], env: dict[str, str] | None, named: str
) -> None:
    result = render(*args, env=env)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert named in result.output  # type: ignore[attr-defined]
    assert captured == []


def test_the_batch_command_reads_the_same_options_and_environment(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    """The weekly job runs `batch`, not `render`: the same two knobs must reach its renders."""
    from audio_pipeline.app import batch

    seen: list[RenderSettings] = []

    def fake_batch(project: Project, week: str, *, settings: RenderSettings, **_: object) -> None:
        seen.append(settings)
        raise RenderError("stopped here by the test")

    monkeypatch.setattr(batch, "run_batch", fake_batch)
    monkeypatch.chdir(project.root)
    env = {options.ENV_CONCURRENCY: "3", options.ENV_REQUESTS_PER_MINUTE: "45"}
    runner.invoke(app, ["batch", "--week", "2026-W47"], env=env)
    runner.invoke(app, ["batch", "--week", "2026-W47", "--requests-per-minute", "0"], env=env)
    first, second = seen
    assert (first.concurrency, first.engines.network.requests_per_minute) == (3, 45)
    assert (second.concurrency, second.engines.network.requests_per_minute) == (3, 0)


# --- finding the project -----------------------------------------------------------------------

HOW = (
    "a project folder holds voices/ and input/; run inside one, or name it with --project DIR "
    "(or $AUDIO_PIPELINE_PROJECT)"
)


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory that is not a project."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_outside_a_project_a_command_says_where_it_looked_and_how_to_name_one(
    elsewhere: Path,
) -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert result.stderr == f"error: no project in {elsewhere}: {HOW}\n"
    named = runner.invoke(app, ["--project", str(elsewhere), "validate"])
    assert named.stderr == f"error: no project in that folder: {HOW}\n"
    from_env = runner.invoke(app, ["validate"], env={ENV_PROJECT: str(elsewhere)})
    assert from_env.exit_code == 2
    assert from_env.stderr == f"error: no project in that folder: {HOW}\n"


def test_the_project_is_found_from_the_episode_file(elsewhere: Path, project: Project) -> None:
    episode = project.root / "input/episodes/2026-w47.yaml"
    result = runner.invoke(app, ["validate", str(episode)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: input/episodes/2026-w47.yaml: episode '2026-w47'")


def test_the_option_wins_over_the_environment(elsewhere: Path, project: Project) -> None:
    result = runner.invoke(
        app, ["--project", str(project.root), "validate"], env={ENV_PROJECT: str(elsewhere)}
    )
    assert result.exit_code == 0 and result.stdout.startswith("ok: 10 messages")
    from_env = runner.invoke(app, ["validate"], env={ENV_PROJECT: str(project.root)})
    assert from_env.exit_code == 0 and from_env.stdout.startswith("ok: 10 messages")
