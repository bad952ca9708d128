"""A run's progress as people see it (cli/progress.py): live bars on a terminal, one line per
step in a log, warnings told once and counted."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from audio_pipeline.app.batch import EpisodeResult
from audio_pipeline.cli.progress import ConsoleReporter
from audio_pipeline.core.errors import InputError, PipelineError, Problem
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


def log_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, force_terminal=False), buffer


def test_a_single_render_in_a_log_has_no_episode_prefix() -> None:
    console, buffer = log_console()
    reporter = ConsoleReporter(console)
    reporter.stage("synthesizing", total=1)
    reporter.clip_done(clip("not-alone", False))
    reporter.stage("publishing")
    reporter.close()
    assert buffer.getvalue().splitlines() == [
        "synthesizing…",
        "  [1/1] not-alone: synthesized (espeak, ko-offline)",
        "publishing…",
    ]


def test_a_repeated_warning_is_told_once_then_counted_when_the_run_ends() -> None:
    console, buffer = log_console()
    reporter = ConsoleReporter(console)
    reason = "FALLBACK to voice 'ko-offline' (espeak): cannot reach the service"
    for _ in range(3):
        reporter.warn(reason)
    reporter.warn("queue: message 'x' does not fit")
    reporter.close()
    assert buffer.getvalue().splitlines() == [
        f"warning: {reason}",
        "warning: queue: message 'x' does not fit",
        f"warning: 3 times in all: {reason}",
    ]
    # the next run of the same reporter counts afresh
    reporter.warn(reason)
    reporter.close()
    assert buffer.getvalue().splitlines()[3:] == [f"warning: {reason}"]


def test_a_queue_trying_more_candidates_than_announced_counts_past_its_total() -> None:
    console, buffer = log_console()
    reporter = ConsoleReporter(console)
    reporter.stage("synthesizing", total=2)
    reporter.clip_done(clip("a", True))
    reporter.clip_done(clip("b", True))
    fallback = Clip("c", Path("x.wav"), "k", "espeak", "ko-offline", True, False, "t", 1.0)
    reporter.clip_done(fallback)
    reporter.close()
    assert buffer.getvalue().splitlines()[1:] == [
        "  [1/2] a: cached (espeak, ko-offline)",
        "  [2/2] b: cached (espeak, ko-offline)",
        "  [3/3] c: synthesized (espeak, ko-offline) FALLBACK",
    ]


def test_a_failed_episode_shows_its_report_and_a_skipped_one_its_reason() -> None:
    console, buffer = log_console()
    reporter = ConsoleReporter(console)
    overrun = PipelineError(
        "programme overruns its slot by 0:29.1", notes=("drop to fit: not-forgotten (0:26.5)",)
    )
    reporter.episode_finished(EpisodeResult("a.yaml", "2026-w47", "failed", failure=overrun))
    reporter.episode_finished(
        EpisodeResult("b.yaml", None, "skipped", reason="up to date", elapsed_s=0.2)
    )
    reporter.close()
    assert buffer.getvalue().splitlines() == [
        "error: 2026-w47: programme overruns its slot by 0:29.1",
        "    drop to fit: not-forgotten (0:26.5)",
        "b.yaml: skipped in 0.2 s (up to date)",
    ]


def test_names_are_shown_as_written_on_a_terminal_never_read_as_markup() -> None:
    buffer = io.StringIO()
    reporter = ConsoleReporter(
        Console(file=buffer, width=160, force_terminal=True, color_system=None)
    )
    reporter.episode_started("[red]w47[/red]", 1, 1)
    reporter.stage("synthesizing", total=1)
    reporter.clip_done(clip("not-alone", True))
    reporter.stage("[b]mastering")
    reporter.warn("title '[/b]' kept")
    reporter.close()
    screen = buffer.getvalue()
    assert "[1/1] [red]w47[/red] clips" in screen
    assert "[1/1] [red]w47[/red] [b]mastering…" in screen
    assert "warning: title '[/b]' kept" in screen
