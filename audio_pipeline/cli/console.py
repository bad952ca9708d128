"""How a run is shown to people: progress while it runs, a summary table when it ends."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from audio_pipeline.core.models import Clip, Loudness, RunReport

# markup off: what is printed holds input text (titles, ids, file names, YAML keys), and
# '[/b]' in a title must be printed, not parsed (a MarkupError used to end the command).
# markup off: what is printed holds input text (titles, ids, file names, YAML keys), and
# '[/b]' in a title must be printed, not parsed (a MarkupError used to end the command)
# A log file or a pipe has no width: give tables room (Rich assumes 80 columns) unless COLUMNS
# says otherwise; a terminal keeps its own width.
LOG_WIDTH = None if os.environ.get("COLUMNS") or sys.stdout.isatty() else 110
out = Console(highlight=False, soft_wrap=True, markup=False, width=LOG_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, width=LOG_WIDTH)


class EpisodeOutcome(Protocol):
    """What the batch tells about one episode (batch.EpisodeResult)."""

    file: str
    episode_id: str | None
    status: str
    reason: str | None
    error: str | None
    problems: list[str]
    report: RunReport | None
    elapsed_s: float


def fmt_duration(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}"


def fmt_level(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-inf"
    return f"{value:.1f}"


class ConsoleReporter:
    """Progress on stderr: live bars on a terminal, one line per step in a log (cron, CI).

    Synthesis shows clips done/total, how many came from the cache and how many were
    synthesized, and the time left; the later stages show a spinner with the time spent.
    In a batch every line names the episode ("[2/3] 2026-w48"). `quiet` keeps warnings and
    failures only.
    """

    def __init__(self, err: Console, quiet: bool = False) -> None:
        self.err = err
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._done = self._cached = 0
        self._total = 0
        self._label = ""

    # --- a batch -----------------------------------------------------------------------------

    def episode_started(self, label: str, number: int, total: int) -> None:
        self._stop()
        self._label = f"[{number}/{total}] {label}"
        if not self.quiet:
            self.err.print(self._label, highlight=False, style="bold", markup=False)

    def episode_finished(self, result: EpisodeOutcome) -> None:
        self._stop()
        name = result.episode_id or result.file
        if result.status == "failed":
            self.err.print(f"error: {name}: {result.error}", highlight=False, markup=False)
            for problem in result.problems:
                self.err.print(f"  error: {problem}", highlight=False, markup=False)
        elif not self.quiet:
            why = f" ({result.reason})" if result.reason else ""
            self.err.print(
                f"{name}: {result.status} in {result.elapsed_s:.1f} s{why}",
                highlight=False,
                markup=False,
            )
        self._label = ""

    # --- one render (the render.Reporter protocol) ------------------------------------------

    def stage(self, name: str, total: int | None = None) -> None:
        self._stop()
        if self.quiet:
            return
        prefix = f"{self._label} " if self._label else ""
        if name == "synthesizing" and total:
            self._total = total
            self._done = self._cached = 0
            if self.err.is_terminal:
                self._progress = Progress(
                    TextColumn(f"{escape(prefix)}[bold]clips"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[detail]}"),
                    TextColumn("ETA"),
                    TimeRemainingColumn(),
                    console=self.err,
                    transient=True,
                )
                self._task = self._progress.add_task(
                    "clips", total=total, detail="0 cached, 0 synthesized"
                )
                self._progress.start()
                return
        elif self.err.is_terminal:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn(f"{escape(prefix)}{escape(name)}…"),
                TimeElapsedColumn(),
                console=self.err,
                transient=True,
            )
            self._task = self._progress.add_task(name, total=None)
            self._progress.start()
            return
        self.err.print(f"{prefix}{name}…", highlight=False, markup=False)

    def clip_done(self, clip: Clip) -> None:
        self._done += 1
        self._cached += clip.cached
        detail = f"{self._cached} cached, {self._done - self._cached} synthesized"
        if self._progress is not None and self._task is not None:
            if self._done > self._total:  # a queue episode tried more candidates
                self._total = self._done
                self._progress.update(self._task, total=self._total)
            self._progress.update(self._task, advance=1, detail=detail)
        elif not self.quiet:
            how = "cached" if clip.cached else "synthesized"
            mark = " FALLBACK" if clip.fallback else ""
            prefix = f"{self._label} " if self._label else ""
            self.err.print(
                f"  {prefix}[{self._done}/{max(self._total, self._done)}] {clip.message_id}: "
                f"{how} ({clip.engine}, {clip.voice}){mark}",
                highlight=False,
                markup=False,
            )

    def warn(self, message: str) -> None:
        console = self._progress.console if self._progress is not None else self.err
        console.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, markup=True)

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def close(self) -> None:
        self._stop()


def loudness_line(loudness: Loudness) -> str:
    return (
        f"{fmt_level(loudness.integrated_lufs)} LUFS integrated, "
        f"true peak {fmt_level(loudness.true_peak_dbtp)} dBTP, LRA {loudness.lra_lu:.1f} LU"
    )


def summary(out: Console, report: RunReport, show_path: str) -> None:
    programme = report.programme
    # the CLI's consoles print input text (titles, ids) as it is: markup is off there
    table = Table(title=f"{programme.episode_id}: {programme.title}", title_justify="left")
    for name, justify in (
        ("#", "right"),
        ("segment", "left"),
        ("voice", "left"),
        ("clip", "left"),
        ("start", "right"),
        ("length", "right"),
        ("LUFS", "right"),
        ("LRA", "right"),
        ("dBTP", "right"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    rate = programme.sample_rate
    for seg in programme.segments:
        if seg.message_id:
            label, voice = seg.message_id, seg.voice or ""
            source = "cached" if seg.cached else "new"
            if seg.fallback:
                source += " FALLBACK"
        else:
            label, voice, source = seg.kind.value, "", "bumper"
        table.add_row(
            str(seg.index),
            label,
            voice,
            source,
            fmt_duration(seg.start / rate),
            fmt_duration(seg.length / rate),
            fmt_level(seg.loudness.integrated_lufs),
            f"{seg.loudness.lra_lu:.1f}",
            fmt_level(seg.loudness.true_peak_dbtp),
        )
    out.print(table)
    out.print(
        f"programme: {fmt_duration(programme.duration_s)}, "
        f"{loudness_line(report.programme_loudness)}",
        highlight=False,
    )
    out.print(
        f"clips: {report.clips_total} ({report.clips_synthesized} synthesized, "
        f"{report.clips_cached} cached); fallbacks: {len(report.fallbacks)}",
        highlight=False,
    )
    for note in report.fallbacks:
        out.print(f"  {note}", highlight=False)
    for d in report.deliverables:
        assert d.loudness is not None
        out.print(
            f"  {d.path.name} ({d.profile}: {d.description}): {loudness_line(d.loudness)}",
            highlight=False,
        )
    out.print(f"written: {show_path}/ in {report.elapsed_s:.1f} s", highlight=False)


def batch_summary(out: Console, week: str, results: Sequence[EpisodeOutcome]) -> None:
    """The table a batch ends with: one row per episode, its note below, then the counts."""
    table = Table(title=f"batch {week}", title_justify="left")
    for name, justify in (
        ("episode", "left"),
        ("status", "left"),
        ("msgs", "right"),
        ("length", "right"),
        ("cached", "right"),
        ("new", "right"),
        ("fallb.", "right"),
        ("time", "right"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    notes = []
    for r in results:
        report = r.report
        cells = ["", "", "", "", ""]
        if report is not None:
            cells = [
                str(len(report.messages)),
                fmt_duration(report.programme.duration_s),
                str(report.clips_cached),
                str(report.clips_synthesized),
                str(len(report.fallbacks)),
            ]
        style = {"failed": "bold red", "skipped": "dim"}.get(r.status, "")
        name = r.episode_id or r.file
        table.add_row(  # Text cells: the CLI's consoles print with markup off
            Text(name),
            Text(r.status, style=style),
            *cells,
            f"{r.elapsed_s:.1f} s",
        )
        note = r.error if r.status == "failed" else r.reason
        if note:
            notes.append(f"  {name}: {r.status}: {note}")
    out.print(table)
    for note in notes:
        out.print(note, highlight=False, markup=False)
    statuses = [r.status for r in results]
    counts = {s: statuses.count(s) for s in ("rendered", "skipped", "failed")}
    out.print(
        f"{len(results)} episode(s): {counts['rendered']} rendered, {counts['skipped']} skipped, "
        f"{counts['failed']} failed",
        highlight=False,
    )
