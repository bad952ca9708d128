"""Progress and summaries as people see them: live bars on a terminal, lines in a log."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from audio_pipeline.app.batch import EpisodeResult
from audio_pipeline.cli.progress import ConsoleReporter
from audio_pipeline.cli.report import batch_summary
from audio_pipeline.core.errors import InputError, Problem, RenderError
from audio_pipeline.core.results import Clip


def clip(name: str, cached: bool) -> Clip:
    return Clip(name, Path("x.wav"), "k", "espeak", "ko-offline", False, cached, "t", 1.0)


def run(console: Console, quiet: bool = False) -> None:
    reporter = ConsoleReporter(console, quiet=quiet)
    reporter.episode_started("2026-w47", 1, 2)
    reporter.stage("synthesizing", total=3)
    reporter.clip_done(clip("not-alone", True))
    reporter.clip_done(clip("church-prays", False))
    reporter.warn("FALLBACK: something [loud]")
    reporter.clip_done(clip("not-forgotten", True))
    reporter.stage("mastering")
    reporter.episode_finished(EpisodeResult("input/episodes/2026-w47.yaml", "2026-w47", "rendered"))
    reporter.episode_started("2026-w48", 2, 2)
    reporter.episode_finished(
        EpisodeResult(
            "input/episodes/2026-w48.yaml",
            "2026-w48",
            "failed",
            failure=InputError(
                [Problem("input/episodes/2026-w48.yaml", "voice", "unknown voice 'x'")]
            ),
        )
    )
    reporter.close()


def test_progress_in_a_log_is_one_line_per_step() -> None:
    buffer = io.StringIO()
    run(Console(file=buffer, width=200, force_terminal=False))
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "[1/2] 2026-w47"
    assert lines[1] == "[1/2] 2026-w47 synthesizing…"
    assert lines[2] == "  [1/2] 2026-w47 [1/3] not-alone: cached (espeak, ko-offline)"
    assert lines[3] == "  [1/2] 2026-w47 [2/3] church-prays: synthesized (espeak, ko-offline)"
    assert lines[4] == "warning: FALLBACK: something [loud]"
    assert "2026-w47: rendered in 0.0 s" in lines
    assert "error: 2026-w48: 1 problem(s) found; nothing was written" in lines
    assert "  error: input/episodes/2026-w48.yaml: voice: unknown voice 'x'" in lines


def test_quiet_keeps_warnings_and_failures_only() -> None:
    buffer = io.StringIO()
    run(Console(file=buffer, width=200, force_terminal=False), quiet=True)
    assert buffer.getvalue().splitlines() == [
        "warning: FALLBACK: something [loud]",
        "error: 2026-w48: 1 problem(s) found; nothing was written",
        "  error: input/episodes/2026-w48.yaml: voice: unknown voice 'x'",
    ]


def test_a_terminal_gets_a_live_bar_with_counts_and_eta() -> None:
    buffer = io.StringIO()
    run(Console(file=buffer, width=160, force_terminal=True, color_system=None))
    screen = buffer.getvalue()
    assert "[1/2] 2026-w47 clips" in screen
    assert "3/3" in screen and "2 cached, 1 synthesized" in screen
    assert "ETA" in screen
    assert "mastering…" in screen


def test_batch_summary_table() -> None:
    buffer = io.StringIO()
    results = [
        EpisodeResult("a.yaml", "2026-w47", "skipped", reason="up to date", elapsed_s=0.2),
        EpisodeResult("b.yaml", "2026-w48", "failed", failure=RenderError("boom"), elapsed_s=1.0),
    ]
    batch_summary(Console(file=buffer, width=120), "2026-W47", results)
    text = buffer.getvalue()
    assert "batch 2026-W47" in text
    assert "  2026-w47: skipped: up to date" in text and "  2026-w48: failed: boom" in text
    assert text.rstrip().endswith("2 episode(s): 0 rendered, 1 skipped, 1 failed")
