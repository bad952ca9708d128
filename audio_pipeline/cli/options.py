"""What every command shares: the global options (project folder, debug), the network
options of the commands that render, and finding the project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.core import defaults
from audio_pipeline.core.project import Project

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


def project_for(hint: Path | None = None) -> Project:
    return Project.discover(hint=hint, explicit=State.project_dir)
