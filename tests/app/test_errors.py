"""THE one exception-to-message table (app/errors.py): every surface (each command, the
batch, the studio) tells a failure with these words and this exit code."""

from __future__ import annotations

import json

from audio_pipeline.app.errors import tell
from audio_pipeline.app.stages import SlotOverrunError
from audio_pipeline.core.errors import (
    ExitCode,
    InputError,
    OutputError,
    PipelineError,
    Problem,
    RenderError,
    UsageError,
)


def test_the_table() -> None:
    invalid = tell(InputError([Problem("a.yaml", "voice", "unknown voice 'x'")]))
    assert invalid.lines() == [
        "error: a.yaml: voice: unknown voice 'x'",
        "1 problem(s) found; nothing was written.",
    ]
    assert invalid.exit_code == ExitCode.INVALID_INPUT == 2
    failed = tell(RenderError("the disk is full\nsecond line"))
    assert failed.lines() == ["error: the disk is full?second line"]  # one line, always
    assert failed.exit_code == ExitCode.FAILED == 1
    assert tell(UsageError("--week: bad")).exit_code == 2
    interrupted = tell(KeyboardInterrupt())
    assert interrupted.lines() == ["interrupted; the previous output was left untouched"]
    assert interrupted.exit_code == 130
    bug = tell(ZeroDivisionError("kaboom"))
    assert bug.lines() == [
        "error: internal error: ZeroDivisionError: kaboom "
        "(run with --debug for the traceback, and report it)"
    ]


def test_a_problem_list_is_one_line_per_problem_then_the_count() -> None:
    told = tell(
        InputError(
            [
                Problem("input/episodes/bad.yaml", "voice", "unknown voice 'nope'"),
                Problem("input/episodes/bad.yaml", "", "file not found"),
            ]
        )
    )
    assert told.lines() == [
        "error: input/episodes/bad.yaml: voice: unknown voice 'nope'",
        "error: input/episodes/bad.yaml: file not found",
        "2 problem(s) found; nothing was written.",
    ]
    # a headline of its own replaces the count
    told = tell(InputError([Problem("--remote", "", "no list")], summary="nothing to list"))
    assert told.lines() == ["error: --remote: no list", "nothing to list."]


def test_a_report_follows_its_one_line_indented_and_each_note_stays_one_line() -> None:
    exc = SlotOverrunError(
        "programme overruns its slot by 0:29.1: 1:39.1 for a target of 1:10.0",
        notes=(
            "tempo-up to 1.05x (max_tempo) saves 0:03.5, not enough",
            "drop to fit: not-forgotten (0:26.5)\nsecond line",
        ),
    )
    told = tell(exc)
    assert told.exit_code == ExitCode.FAILED
    assert told.lines() == [
        "error: programme overruns its slot by 0:29.1: 1:39.1 for a target of 1:10.0",
        "  tempo-up to 1.05x (max_tempo) saves 0:03.5, not enough",
        "  drop to fit: not-forgotten (0:26.5)?second line",
    ]


def test_every_kind_of_failure_has_its_exit_code() -> None:
    assert tell(RenderError("x")).exit_code == 1
    assert tell(OutputError("cannot write to output: the disk is full")).exit_code == 1
    assert tell(UsageError("--at: bad")).exit_code == 2
    assert tell(InputError([])).exit_code == 2
    assert tell(PipelineError("plain")).exit_code == 1
    assert tell(KeyboardInterrupt()).exit_code == 130
    assert tell(OSError("disk")).exit_code == 1


def test_the_document_scripts_read_is_json_with_the_same_words() -> None:
    told = tell(InputError([Problem("input/messages/a.yaml", "text", "is empty")]))
    parsed = json.loads(json.dumps(told.document()))
    assert parsed == {
        "ok": False,
        "exit_code": 2,
        "error": "1 problem(s) found; nothing was written",
        "problems": ["input/messages/a.yaml: text: is empty"],
        "notes": [],
    }
    overrun = tell(RenderError("too long", notes=("drop one",))).document()
    assert (overrun["exit_code"], overrun["error"], overrun["notes"]) == (
        1,
        "too long",
        ["drop one"],
    )
    interrupted = tell(KeyboardInterrupt()).document()
    assert interrupted["exit_code"] == 130 and interrupted["ok"] is False


def test_an_internal_error_names_its_type_and_stays_one_line() -> None:
    told = tell(ValueError("line one\nline two\x1b[31m"))
    (line,) = told.lines()
    assert line == (
        "error: internal error: ValueError: line one?line two?[31m "
        "(run with --debug for the traceback, and report it)"
    )
