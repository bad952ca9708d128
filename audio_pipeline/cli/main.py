"""The command line: parse, call the library, print. Nothing else lives here.

Each command module registers its commands on the application (cli/app.py); the one table
that turns exceptions into a line and an exit code is cli/errors.py. Results go to stdout,
progress and warnings to stderr.
"""

from __future__ import annotations

import sys

# the command modules register their commands on `app` when imported
from audio_pipeline.cli import (  # noqa: F401
    ledger,
    messages,
    render,
    review,
    simulate,
    studio,
    voices,
)
from audio_pipeline.cli.app import app


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
