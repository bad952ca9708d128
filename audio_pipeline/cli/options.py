"""What every command shares: the global options (project folder, debug), the network
options of the commands that render, and finding the project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import UsageError
from audio_pipeline.core.project import ENV_PROJECT, Project

# The weekly batch job sets these instead of options (an option on the command line wins).
ENV_CONCURRENCY = "AUDIO_PIPELINE_CONCURRENCY"


ENV_REQUESTS_PER_MINUTE = "AUDIO_PIPELINE_REQUESTS_PER_MINUTE"


# the network options of every command that renders (render, batch): one definition
ConcurrencyOption = Annotated[
    int,
    typer.Option(
        "--concurrency",
        min=defaults.RENDER_CONCURRENCY_RANGE[0],
        max=defaults.RENDER_CONCURRENCY_RANGE[1],
        envvar=ENV_CONCURRENCY,
        help="Clips synthesized at once; also the most network TTS requests in flight.",
    ),
]


RequestsPerMinuteOption = Annotated[
    float,
    typer.Option(
        "--requests-per-minute",
        min=0,
        max=6000,
        envvar=ENV_REQUESTS_PER_MINUTE,
        help="Cap on network TTS requests a minute, retries included, shared by all "
        "workers (0: no cap).",
    ),
]


class State:
    project_dir: Path | None = None
    debug: bool = False


def project_for(hint: Path | None = None, *, required: bool = True) -> Project:
    """The project the command works on; outside one, a one-line error saying how to name it
    (a command that can work without one, such as normalize-text, passes required=False)."""
    project = Project.discover(hint=hint, explicit=State.project_dir)
    if required and not project.found():
        where = (
            "that folder" if State.project_dir or os.environ.get(ENV_PROJECT) else str(Path.cwd())
        )
        raise UsageError(
            f"no project in {where}: a project folder holds voices/ and input/; "
            f"run inside one, or name it with --project DIR (or ${ENV_PROJECT})"
        )
    return project
