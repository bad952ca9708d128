"""The studio: the editors' web application over this project folder."""

from __future__ import annotations

from typing import Annotated

import typer

from audio_pipeline.cli.app import app
from audio_pipeline.cli.errors import errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.cli.output import err


@app.command()
def studio(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but loopback (127.0.0.1, ::1) needs "
            "$AUDIO_PIPELINE_STUDIO_PASSWORD.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the studio in the web browser.")
    ] = False,
) -> None:
    """Start the studio: write, review, approve and render in a web browser.

    Messages (edit, live script and checks, preview, approve, reject, clear a finding),
    episodes (running order, slot fit, validate, render with progress, the programme and its
    files) and the ledger, on the same project folder and through the same code as these
    commands. Loopback only unless a password is set. Stop it with Ctrl-C; a render it
    started finishes first."""
    from audio_pipeline.studio.server import check_bind, serve

    with errors_to_exit_codes():
        bind = check_bind(host, port)
        project = project_for()
        shown = f"[{bind.host}]" if ":" in bind.host else bind.host
        access = "password required" if bind.password else "this machine only, no password"
        err.print(
            f"studio: http://{shown}:{bind.port}/ ({access}); project {project.root}",
            markup=False,
            highlight=False,
        )
        serve(project, bind, open_browser=open_browser)
