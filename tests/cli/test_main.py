"""The entry points (cli/main.py): `audio-pipeline` and `python -m audio_pipeline`."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib

import pytest

from audio_pipeline.cli.main import main
from audio_pipeline.core.project import Project
from tests.conftest import REPO


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "audio_pipeline", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith("audio-pipeline 0.")


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """main() as the installed `audio-pipeline` script runs it; the code it exits with."""
    monkeypatch.setattr(sys, "argv", ["audio-pipeline", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    code = ended.value.code
    return code if isinstance(code, int) else (0 if code is None else 1)


def test_the_installed_script_is_this_main() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    module, _, name = scripts["audio-pipeline"].partition(":")
    assert getattr(importlib.import_module(module), name) is main


def test_main_ends_with_each_command_s_exit_code(
    cli_project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "--version") == 0
    assert run_main(monkeypatch, "validate", "input/episodes/nope.yaml") == 2
    assert capsys.readouterr().err.startswith("error: input/episodes/nope.yaml: file not found")
    assert run_main(monkeypatch, "no-such-command") == 2

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("audio_pipeline.cli.render.render_episode", interrupted)
    assert run_main(monkeypatch, "render", "input/episodes/2026-w47.yaml") == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        "interrupted; the previous output was left untouched"
    )


def test_a_failing_command_through_python_dash_m(cli_project: Project) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "audio_pipeline", "render", "input/episodes/nope.yaml"],
        capture_output=True,
        text=True,
        cwd=cli_project.root,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines()[-1] == "1 problem(s) found; nothing was written."
