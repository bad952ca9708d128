"""The exceptions and exit codes: what each carries, how a problem reads as one line, and
the one-line explanation of a failed write."""

from __future__ import annotations

import errno
import signal
from pathlib import Path

import pytest

from audio_pipeline.core.errors import (
    AudioDecodeError,
    EngineUnavailable,
    ExitCode,
    InputError,
    OutputError,
    PipelineError,
    Problem,
    RenderError,
    SynthesisError,
    UsageError,
    explain_os_error,
    one_line,
)


def test_exit_codes_are_the_documented_ones() -> None:
    # README: 0 success, 1 the render failed, 2 invalid input or arguments, 130 interrupted
    assert [int(c) for c in ExitCode] == [0, 1, 2, 130]
    assert ExitCode.INTERRUPTED == 128 + signal.SIGINT  # as shells report Ctrl-C


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (PipelineError("x"), 1),
        (RenderError("x"), 1),
        (OutputError("x"), 1),
        (SynthesisError("x"), 1),
        (EngineUnavailable("x"), 1),
        (AudioDecodeError("intro.wav", "x"), 1),
        (UsageError("x"), 2),
        (InputError([Problem("a.yaml", "id", "x")]), 2),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_each_error_has_its_exit_code(error: PipelineError, code: int) -> None:
    assert error.exit_code == code
    assert isinstance(error, PipelineError)


def test_local_errors_are_synthesis_errors_and_output_errors_are_render_errors() -> None:
    # the synthesis stage falls back on a SynthesisError, EngineUnavailable included
    assert issubclass(EngineUnavailable, SynthesisError)
    assert issubclass(OutputError, RenderError)
    assert not issubclass(InputError, RenderError)


def test_a_problem_reads_file_field_message() -> None:
    problem = Problem("input/episodes/x.yaml", "gap_s", "99 is out of range; allowed: 0 to 30")
    assert str(problem) == "input/episodes/x.yaml: gap_s: 99 is out of range; allowed: 0 to 30"
    assert str(Problem("voices/x.yaml", "", "file not found")) == "voices/x.yaml: file not found"


def test_a_problem_is_one_line_whatever_the_input_holds() -> None:
    problem = Problem("a\nb.yaml", "ti\rtle", "bad\x1b[31m value\u2028here")
    assert str(problem) == "a?b.yaml: ti?tle: bad?[31m value?here"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain 한국어 text", "plain 한국어 text"),
        ("two\nlines", "two?lines"),
        ("tab\there", "tab?here"),
        ("\x00nul", "?nul"),
        ("bell\x07", "bell?"),
        ("esc\x1b[2J", "esc?[2J"),
        ("del\x7f", "del?"),
        ("c1\x85next", "c1?next"),  # NEL, a C1 control
        ("line\u2028sep", "line?sep"),
        ("para\u2029sep", "para?sep"),
        ("zero\u200bwidth", "zero\u200bwidth"),  # a format character, not a line break
    ],
)
def test_one_line_replaces_controls_and_line_separators(text: str, expected: str) -> None:
    assert one_line(text) == expected


def test_an_input_error_carries_every_problem_in_order() -> None:
    problems = [Problem("a.yaml", "id", "one"), Problem("b.yaml", "", "two")]
    error = InputError(problems, summary="2 files are wrong")
    assert error.problems == problems and error.problems is not problems
    assert str(error) == "a.yaml: id: one\nb.yaml: two"
    assert error.summary == "2 files are wrong"
    assert InputError(problems).summary is None


def test_notes_go_with_the_error() -> None:
    error = RenderError("programme overruns its slot", notes=("drop to fit: a", "or: b"))
    assert str(error) == "programme overruns its slot"
    assert error.notes == ("drop to fit: a", "or: b")
    assert PipelineError("x").notes == ()


def test_an_audio_decode_error_names_the_file_and_the_reason() -> None:
    error = AudioDecodeError("voices/bumpers/intro.wav", "invalid RIFF header")
    assert (error.source, error.reason) == ("voices/bumpers/intro.wav", "invalid RIFF header")
    assert str(error) == "voices/bumpers/intro.wav: cannot decode audio: invalid RIFF header"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (errno.EROFS, "the file system is read-only"),
        (errno.ENOSPC, "the disk is full"),
        (errno.EDQUOT, "the disk quota is used up"),
        (errno.EACCES, "permission denied"),
        (errno.EPERM, "permission denied"),
    ],
)
def test_a_failed_write_says_why_in_words(code: int, why: str) -> None:
    exc = OSError(code, "the system's own words")
    assert explain_os_error(exc, Path("/srv/out")) == (
        f"cannot write to /srv/out: {why}; the previous output was left untouched"
    )
    assert explain_os_error(exc, Path("/srv/ledger.sqlite"), "the ledger") == (
        f"cannot write to the ledger (/srv/ledger.sqlite): {why}"
    )


def test_another_failed_write_is_told_in_the_system_s_words() -> None:
    exc = OSError(errno.EIO, "Input/output error")
    assert explain_os_error(exc, Path("/srv/out")) == (
        "cannot write to /srv/out: Input/output error; the previous output was left untouched"
    )
    assert explain_os_error(OSError("no errno at all"), Path("/x"), "the cache") == (
        "cannot write to the cache (/x): no errno at all"
    )
