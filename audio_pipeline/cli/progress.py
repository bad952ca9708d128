"""A run's progress on stderr while it runs: live bars on a terminal, one line per step in a
log (cron, CI); warnings told once, whole, and counted."""

from __future__ import annotations

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

from audio_pipeline.app.batch import EpisodeResult
from audio_pipeline.cli.errors import tell
from audio_pipeline.core.results import Clip


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
