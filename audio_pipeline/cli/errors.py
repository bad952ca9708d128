"""Every command's body runs inside `errors_to_exit_codes`: what it raises is told by THE
one exception-to-message table (app/errors.py, shared with the studio) and becomes the
command's exit code; the traceback of an internal error only under --debug.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator

import typer

from audio_pipeline.app.errors import Told, tell
from audio_pipeline.cli.options import State
from audio_pipeline.cli.output import err
from audio_pipeline.core.errors import PipelineError

__all__ = ["Told", "errors_to_exit_codes", "tell"]


@contextlib.contextmanager
def errors_to_exit_codes(on_failure: Callable[[Told], None] | None = None) -> Iterator[None]:
    """Every command's body runs inside this: what it raises is told, and exits.
    `on_failure` sees the failure first (a --json command prints its document of it)."""
    try:
        yield
    except typer.Exit:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        told = tell(exc)
        if on_failure is not None:
            on_failure(told)
        if State.debug and not isinstance(exc, (PipelineError, KeyboardInterrupt)):
            traceback.print_exc()
        for line in told.lines():
            err.print(line)
        raise typer.Exit(told.exit_code) from None
