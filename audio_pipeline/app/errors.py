"""THE one table that turns every exception into words for people and an exit code.

beets' main() does the same: every surface (each CLI command, the weekly batch, the studio's
pages) tells a failure with `tell`, so a problem reads the same wherever it happens. Local
errors are one line each (invalid input: one line per problem); internal errors are one line
as well. It lives in app/ so that the CLI and the studio both reach it without either
importing the other; cli/errors.py adds the CLI's exit handling around it.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        """What a command prints on stderr (and the studio shows in the page)."""
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
