"""Exceptions, in two tiers (as beets does): local ones skip or reroute one item, fatal ones
abort the run. The CLI's one table (cli/errors.py) tells each as one line and an exit code.
"""

from __future__ import annotations

import errno
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Every exit code of every command, named once."""

    OK = 0
    FAILED = 1  # the render (or the command) could not complete; nothing was published
    INVALID_INPUT = 2  # the input or the arguments are wrong: fix them and run again
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is, and what is allowed instead."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return one_line(f"{where}: {self.message}")


def one_line(text: str) -> str:
    """Text from input files as one printable line: control characters (newlines, escape
    sequences) and line separators become '?', so a YAML key or a file name holding them
    can neither split a problem over lines nor drive the terminal."""
    return "".join("?" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


class PipelineError(Exception):
    """Base of every error the CLI turns into one line. Fatal unless a subclass says otherwise.

    `notes`, where an error carries a report (what fits a slot, what to drop), are the lines
    told after that one line."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str = "", *, notes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.notes = notes


class InputError(PipelineError):
    """The input files are invalid. Carries every problem found, so all can be fixed at once."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, problems: list[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        self.summary = summary  # the headline, where "N problem(s) found" does not say it
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(PipelineError):
    """A command was given something it cannot accept (a malformed week, an unknown episode
    for the ledger, a time in the future): exit 2, nothing was done."""

    exit_code = ExitCode.INVALID_INPUT


class RenderError(PipelineError):
    """The input was valid but the render could not complete; nothing was published."""


class OutputError(RenderError):
    """The output folder cannot be written (read-only, disk full, locked by another render)."""


class AudioDecodeError(PipelineError):
    """An audio file (bumper, sting, cached clip, engine answer) could not be decoded."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: cannot decode audio: {reason}")


class SynthesisError(PipelineError):
    """Local: one clip could not be synthesized (after retries). The caller may fall back."""


class EngineUnavailable(SynthesisError):
    """Local: the engine cannot be used for the rest of this run (offline, library missing)."""


_REASONS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def explain_os_error(exc: OSError, folder: Path, what: str | None = None) -> str:
    """One line for a failed write: where, why, and (for output) that nothing was lost."""
    why = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    if what is None:
        return f"cannot write to {folder}: {why}; the previous output was left untouched"
    return f"cannot write to {what} ({folder}): {why}"
