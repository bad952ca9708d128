"""The one table that turns every exception into words for the user and an exit code.

beets' main() does the same: every command (render, batch, preview, validate, the ledger and
cache commands) runs inside `errors_to_exit_codes`, and the batch tells each episode's
failure with `tell` too, so a failure reads the same wherever it happens. Local errors are
one line each (invalid input: one line per problem); internal errors are one line as well,
with the traceback only under --debug.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import typer

from audio_pipeline.cli.options import State
from audio_pipeline.cli.output import err
from audio_pipeline.core.errors import ExitCode, InputError, PipelineError, one_line


@dataclass(frozen=True)
class Told:
    summary: str  # one line
    details: tuple[str, ...] = ()  # one line per problem (invalid input)
    exit_code: ExitCode = ExitCode.FAILED
    error: bool = True  # printed as "error: ..." (an interruption is not an error)
    notes: tuple[str, ...] = ()  # a report that follows the one line (what fits a slot)

    def document(self) -> dict[str, object]:
        """The failure as JSON fields (the --json documents of render and validate)."""
        return {
            "ok": False,
            "exit_code": int(self.exit_code),
            "error": self.summary,
            "problems": list(self.details),
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        """What a command prints on stderr."""
        if self.details:
            return [f"error: {d}" for d in self.details] + [f"{self.summary}."]
        head = f"error: {self.summary}" if self.error else self.summary
        return [head, *(f"  {note}" for note in self.notes)]


def tell(exc: BaseException) -> Told:
    """THE exception-to-message table."""
    if isinstance(exc, InputError):
        summary = exc.summary or f"{len(exc.problems)} problem(s) found; nothing was written"
        return Told(summary, tuple(str(p) for p in exc.problems), ExitCode.INVALID_INPUT)
    if isinstance(exc, PipelineError):
        notes = tuple(one_line(n) for n in exc.notes)
        return Told(one_line(str(exc)), exit_code=ExitCode(exc.exit_code), notes=notes)
    if isinstance(exc, KeyboardInterrupt):
        return Told(
            "interrupted; the previous output was left untouched",
            exit_code=ExitCode.INTERRUPTED,
            error=False,
        )
    return Told(
        f"internal error: {type(exc).__name__}: {one_line(str(exc))} "
        "(run with --debug for the traceback, and report it)"
    )


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
