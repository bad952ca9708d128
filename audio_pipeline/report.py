"""How a run is shown to people: progress while it runs, a summary table when it ends."""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .models import Clip, Loudness, RunReport


def fmt_duration(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}"


def fmt_level(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-inf"
    return f"{value:.1f}"


class ConsoleReporter:
    """Progress on stderr: a live bar on a terminal, one line per clip in a log."""

    def __init__(self, err: Console, quiet: bool = False) -> None:
        self.err = err
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._done = self._cached = 0
        self._total = 0

    def stage(self, name: str, total: int | None = None) -> None:
        self._stop()
        if self.quiet:
            return
        if name == "synthesizing" and total:
            self._total = total
            self._done = self._cached = 0
            if self.err.is_terminal:
                self._progress = Progress(
                    TextColumn("[bold]clips"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[detail]}"),
                    TimeRemainingColumn(),
                    console=self.err,
                    transient=True,
                )
                self._task = self._progress.add_task("clips", total=total, detail="")
                self._progress.start()
                return
        self.err.print(f"{name}…", highlight=False)

    def clip_done(self, clip: Clip) -> None:
        self._done += 1
        self._cached += clip.cached
        detail = f"{self._cached} cached, {self._done - self._cached} synthesized"
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, detail=detail)
        elif not self.quiet:
            how = "cached" if clip.cached else "synthesized"
            mark = " FALLBACK" if clip.fallback else ""
            self.err.print(
                f"  [{self._done}/{self._total}] {clip.message_id}: {how} "
                f"({clip.engine}, {clip.voice}){mark}",
                highlight=False,
            )

    def warn(self, message: str) -> None:
        if self._progress is not None:
            self._progress.console.print(
                f"[bold yellow]warning:[/] {escape(message)}", highlight=False, markup=True
            )
        else:
            self.err.print(
                f"[bold yellow]warning:[/] {escape(message)}", highlight=False, markup=True
            )

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
    assert programme is not None and report.programme_loudness is not None
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
            f"  {d.path.name}: {d.sample_rate} Hz, {loudness_line(d.loudness)}", highlight=False
        )
    out.print(f"written: {show_path}/ in {report.elapsed_s:.1f} s", highlight=False)
