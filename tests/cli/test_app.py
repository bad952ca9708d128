"""The application (cli/app.py): its commands and groups, each with help that reads as text
and a place in the README, and the global options."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from tests.cli.conftest import runner
from tests.conftest import REPO


def commands(group: typer.Typer, prefix: str = "") -> list[str]:
    names = [
        prefix + (c.name or c.callback.__name__).replace("_", "-")
        for c in group.registered_commands
    ]
    for sub in group.registered_groups:
        names += commands(sub.typer_instance, f"{prefix}{sub.name} ")
    return names


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    names = commands(app)
    assert {"render", "preview", "validate", "voices", "cache stats", "cache clear"} <= set(names)
    for name in names:
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert len(result.stdout.strip().splitlines()) > 3, name
        assert f"audio-pipeline {name}" in readme, f"README does not show `audio-pipeline {name}`"


def test_help_reads_as_text_at_80_columns() -> None:
    """Flags without a '<bool>' value, environment variable names never cut, sentences whole."""
    for command in (["render"], ["batch"], ["validate"], ["preview"], ["cache", "clear"]):
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert result.exit_code == 0
        text = result.stdout
        assert "<bool>" not in text, command
        assert all(len(line) <= 80 for line in text.splitlines()), command
        for name in ("AUDIO_PIPELINE_CONCURRENCY", "AUDIO_PIPELINE_REQUESTS_PER_MINUTE"):
            if name[:16] in text:
                assert name in text, (command, name)  # on one line, whole
    validate = runner.invoke(app, ["validate", "--help"], terminal_width=80).stdout
    assert "Loanwords, what the spoken script does, cleared findings," in " ".join(validate.split())


def test_version_long_and_short() -> None:
    from audio_pipeline import __version__

    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0 and result.stdout.strip() == f"audio-pipeline {__version__}"


def test_version_is_told_before_anything_else_runs(tmp_path: Path) -> None:
    from audio_pipeline import __version__

    result = runner.invoke(app, ["--version", "render", str(tmp_path / "nope.yaml")])
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"audio-pipeline {__version__}\n",
        "",
    )


def test_the_project_is_named_before_the_command(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not a project
    for flag in ("--project", "-p"):
        result = runner.invoke(app, [flag, str(project.root), "validate"])
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("ok: 10 messages, 6 voices, 4 episodes")
    after = runner.invoke(app, ["validate", "--project", str(project.root)])
    assert after.exit_code == 2 and "No such option: --project" in after.stderr


def test_a_group_without_its_command_lists_its_commands() -> None:
    for group, listed in (("cache", ["stats", "clear"]), ("ledger", ["mark-aired", "message"])):
        result = runner.invoke(app, [group])
        shown = result.stdout + result.stderr
        assert f" {group} [OPTIONS] COMMAND [ARGS]..." in shown, group
        assert all(f"  {name} " in shown for name in listed), group
