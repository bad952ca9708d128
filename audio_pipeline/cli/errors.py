"""The one table that turns every exception into one line for the user and an exit code.

beets' main() does the same: local errors are told in one line, internal errors in one line
too, with the traceback only under --debug."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator

import typer

from audio_pipeline.cli.console import err
from audio_pipeline.cli.options import State
from audio_pipeline.core.errors import (
    EXIT_INVALID_INPUT,
    EXIT_RENDER_FAILED,
    InputError,
    PipelineError,
    one_line,
)


@contextlib.contextmanager
def errors_to_exit_codes() -> Iterator[None]:
    """One exception-to-message table for every command (beets' main() does the same)."""
    try:
        yield
    except InputError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}")
        err.print(f"{len(exc.problems)} problem(s) found; nothing was written.")
        raise typer.Exit(EXIT_INVALID_INPUT) from None
    except PipelineError as exc:
        err.print(f"error: {one_line(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; the previous output was left untouched")
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if State.debug:
            traceback.print_exc()
        err.print(
            f"error: internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(run with --debug for the traceback, and report it)"
        )
        raise typer.Exit(EXIT_RENDER_FAILED) from None
