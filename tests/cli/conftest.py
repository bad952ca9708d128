"""What the command line's tests share: one runner that invokes the application in-process
(stdout and stderr kept apart, as a script sees them), the README's table of --json fields,
and the warm sample project."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from click.testing import Result
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from tests.conftest import REPO

runner = CliRunner()


def invoke(
    *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None
) -> Result:
    """`audio-pipeline ARGS...` in this process."""
    return runner.invoke(app, list(args), input=input, env=env)


def readme_fields(command: str) -> dict[str, set[str]]:
    """The README's table of --json fields, one command's row: each top-level field with the
    names written inside its braces (empty when it has none)."""
    readme = (REPO / "README.md").read_text("utf-8")
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{command}` |"))
    cell = row.split("|")[2]
    fields: dict[str, set[str]] = {}
    depth, current = 0, ""
    for token in re.finditer(r"`([a-z_0-9]+)`|([\[{(])|([\]})])", cell):
        name, opening, closing = token.groups()
        if opening:
            depth += 1
        elif closing:
            depth -= 1
        elif depth == 0:
            current = name
            fields[current] = set()
        else:
            fields[current].add(name)
    return fields


@pytest.fixture
def cli_project(warm_project: Project) -> Project:
    """The sample project as the working directory, with the session's warm clip cache."""
    return warm_project
