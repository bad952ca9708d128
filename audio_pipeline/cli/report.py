"""How a run is shown to people: progress while it runs, a summary table when it ends."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

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

from audio_pipeline import __version__
from audio_pipeline.app.batch import BatchReport, EpisodeResult
from audio_pipeline.app.errors import tell
from audio_pipeline.app.summary import COLUMNS, RIGHT, summarize
from audio_pipeline.core.display import clock
from audio_pipeline.core.models import Clip, Loudness, RunReport
from audio_pipeline.core.project import Project


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
        self._seen: dict[str, int] = {}  # every warning told, with how often it came
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

    def episode_finished(self, result: EpisodeResult) -> None:
        self._stop()
        name = result.episode_id or result.file
        if result.failure is not None:
            told = tell(result.failure)
            self.err.print(f"error: {name}: {told.summary}", highlight=False, markup=False)
            for problem in told.details:
                self.err.print(f"  error: {problem}", highlight=False, markup=False)
            for note in told.notes:
                self.err.print(f"    {note}", highlight=False, markup=False)
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
        """A warning, whole, the first time it comes; the same warning again (every clip of a
        batch that fell back for the same reason) is only counted, and the count told when
        the run ends."""
        self._seen[message] = self._seen.get(message, 0) + 1
        if self._seen[message] > 1:
            return
        console = self._progress.console if self._progress is not None else self.err
        console.print(f"[bold yellow]warning:[/] {escape(message)}", highlight=False, markup=True)

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def close(self) -> None:
        self._stop()
        for message, count in self._seen.items():
            if count > 1:
                self.err.print(
                    f"[bold yellow]warning:[/] {count} times in all: {escape(message)}",
                    highlight=False,
                    markup=True,
                )
        self._seen.clear()


def summary(out: Console, report: RunReport, show_path: str) -> None:
    made = summarize(report)
    # the CLI's consoles print input text (titles, ids) as it is: markup is off there
    table = Table(title=made.title, title_justify="left")
    for name in COLUMNS:
        justify = "right" if name in RIGHT else "left"
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in made.rows:
        table.add_row(*row)
    out.print(table)
    for line in made.lines:
        out.print(line, highlight=False)
    out.print(f"written: {show_path}/ in {report.elapsed_s:.1f} s", highlight=False)


def batch_summary(out: Console, week: str, results: Sequence[EpisodeResult]) -> None:
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
                clock(report.programme.duration_s),
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
        note = tell(r.failure).summary if r.failure is not None else r.reason
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


def episode_document(result: EpisodeResult, project: Project) -> dict[str, Any]:
    """One episode of the batch's JSON report (its failure told by the one table)."""
    told = tell(result.failure) if result.failure is not None else None
    data: dict[str, Any] = {
        "file": result.file,
        "episode_id": result.episode_id,
        "status": result.status,
        "reason": result.reason,
        "error": told.summary if told else None,
        "problems": list(told.details) if told else [],
        "elapsed_s": round(result.elapsed_s, 2),
    }
    r = result.report
    if r is not None:
        data.update(
            output_dir=project.show(r.output_dir),
            duration_s=round(r.programme.duration_s, 3),
            messages=r.messages,
            clips={
                "total": r.clips_total,
                "cached": r.clips_cached,
                "synthesized": r.clips_synthesized,
            },
            fallbacks=len(r.fallbacks),
            integrated_lufs=round(r.programme_loudness.integrated_lufs, 2),
            selection=r.selection,
            ledger_render_id=r.ledger_render_id,
        )
    return data


def batch_document(batch: BatchReport, project: Project) -> dict[str, Any]:
    """The batch's machine-readable run report (`batch --json`, on stdout)."""
    return {
        "week": batch.week,
        "tool_version": __version__,
        "forced": batch.forced,
        "started_at": batch.started_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "error": batch.error,
        "summary": {s: batch.count(s) for s in ("rendered", "skipped", "failed")},
        "exit_code": int(batch.exit_code),
        "episodes": [episode_document(e, project) for e in batch.episodes],
    }


JSON_SCHEMA = 1  # the version of every --json document; raised when a field changes meaning


def _levels(loudness: Loudness | None) -> dict[str, float | None]:
    def num(value: float | None) -> float | None:
        return round(value, 2) if value is not None and math.isfinite(value) else None

    if loudness is None:
        return {"integrated_lufs": None, "true_peak_dbtp": None, "lra_lu": None}
    return {
        "integrated_lufs": num(loudness.integrated_lufs),
        "true_peak_dbtp": num(loudness.true_peak_dbtp),
        "lra_lu": num(loudness.lra_lu),
    }


def render_document(report: RunReport, project: Project) -> dict[str, Any]:
    """`render --json`: what the render made, for scripts (schema in the README)."""
    programme = report.programme
    rate = programme.sample_rate
    return {
        "schema": JSON_SCHEMA,
        "ok": True,
        "episode_id": report.episode_id,
        "output_dir": project.show(report.output_dir),
        "elapsed_s": round(report.elapsed_s, 2),
        "programme": {
            "duration_s": round(programme.duration_s, 3),
            **_levels(report.programme_loudness),
        },
        "tempo": round(report.tempo, 4),
        "clips": {
            "total": report.clips_total,
            "cached": report.clips_cached,
            "synthesized": report.clips_synthesized,
        },
        "fallbacks": report.fallbacks,
        "warnings": report.warnings,
        "messages": [
            {
                "id": s.message_id,
                "voice": s.voice,
                "engine": s.engine,
                "fallback": s.fallback,
                "cached": s.cached,
                "start_s": round(s.start / rate, 3),
                "end_s": round(s.end / rate, 3),
            }
            for s in programme.segments
            if s.message_id
        ],
        "deliverables": [
            {
                "file": d.path.name,
                "profile": d.profile,
                "format": d.format,
                "sample_rate": d.sample_rate,
                "target_lufs": d.target_lufs,
                "ceiling_dbtp": d.true_peak_ceiling_dbtp,
                **_levels(d.loudness),
            }
            for d in report.deliverables
        ],
        "selection": report.selection,
        "ledger_render_id": report.ledger_render_id,
        "usage": [
            {
                "engine": u.engine,
                "month": u.month,
                "characters": u.characters,
                "requests": u.requests,
                "free_characters": u.limit,
            }
            for u in report.usage
        ],
    }
