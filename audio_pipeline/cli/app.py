"""The Typer application and its command groups; the command modules register on them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline import __version__
from audio_pipeline.cli.options import State
from audio_pipeline.cli.output import out

app = typer.Typer(
    help="Render broadcast-ready radio programmes from approved Korean messages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


cache_app = typer.Typer(help="Inspect or empty the clip cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


ledger_app = typer.Typer(
    help="The broadcast ledger: where each message was placed and when it aired.",
    no_args_is_help=True,
)
app.add_typer(ledger_app, name="ledger")


def _version(value: bool) -> None:
    if value:
        out.print(f"audio-pipeline {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-p",
            help="Project folder (with voices/ and input/). "
            "Default: found from the episode file or the working directory.",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Render broadcast-ready radio programmes from approved Korean messages."""
    State.project_dir = project
    State.debug = debug
