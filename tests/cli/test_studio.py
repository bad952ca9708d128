"""The `studio` command (cli/studio.py): where it listens, and the one line and exit 2 when
it may not: a non-loopback address without a long enough password, a port out of range.
What it serves is the studio's own tests' (tests/studio/)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audio_pipeline.core.project import Project
from audio_pipeline.studio.server import Bind
from tests.cli.conftest import invoke

PASSWORD = "AUDIO_PIPELINE_STUDIO_PASSWORD"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Project, Bind, bool]]:
    """What the command would serve, instead of serving it (uvicorn would run until Ctrl-C)."""
    calls: list[tuple[Project, Bind, bool]] = []

    def serve(project: Project, bind: Bind, *, open_browser: bool = False) -> None:
        calls.append((project, bind, open_browser))

    monkeypatch.setattr("audio_pipeline.studio.server.serve", serve)
    return calls


def test_the_command_refuses_to_start_without_a_password(warm_project: Project) -> None:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD}
    proc = subprocess.run(
        [sys.executable, "-m", "audio_pipeline", "studio", "--host", "0.0.0.0", "--port", "8799"],
        capture_output=True,
        text=True,
        env=env,
        cwd=warm_project.root,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"error: --host 0.0.0.0 lets other machines reach the studio; set a password in "
        f"${PASSWORD} first (or keep the default, 127.0.0.1)"
    ]


def test_by_default_it_serves_this_project_on_loopback_without_a_password(
    cli_project: Project, served: list[tuple[Project, Bind, bool]]
) -> None:
    result = invoke("studio")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"studio: http://127.0.0.1:8765/ (this machine only, no password); "
        f"project {cli_project.root}\n"
    )
    ((project, bind, opened),) = served
    assert project.root == cli_project.root
    assert (bind, opened) == (Bind("127.0.0.1", 8765, None), False)


def test_another_address_with_a_password_asks_for_it(
    cli_project: Project, served: list[tuple[Project, Bind, bool]]
) -> None:
    env = {PASSWORD: "correct horse battery"}
    result = invoke("studio", "--host", "::", "--port", "9000", "--open", env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("studio: http://[::]:9000/ (password required); project ")
    ((_, bind, opened),) = served
    assert (bind, opened) == (Bind("::", 9000, "correct horse battery"), True)


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ["--port", "70000"],
            {},
            "error: --port: 70000 is not a port number (1-65535)",
        ),
        (
            ["--host", "192.168.1.20"],
            {PASSWORD: "short"},
            f"error: ${PASSWORD} is too short: use at least 12 characters",
        ),
    ],
)
def test_a_bind_it_may_not_use_is_one_line_exit_2(
    cli_project: Project,
    served: list[tuple[Project, Bind, bool]],
    args: list[str],
    env: dict[str, str],
    line: str,
) -> None:
    result = invoke("studio", *args, env=env)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]
    assert served == []  # nothing was started


def test_outside_a_project_it_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: list[tuple[Project, Bind, bool]]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("studio")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: no project in {tmp_path}: ")
    assert served == []
