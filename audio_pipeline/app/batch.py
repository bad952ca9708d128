"""The weekly batch: render every episode dated in one ISO week, unattended.

Each episode carries its own status (rendered, skipped, failed) and error, so one failing
episode never stops the others (ffmpeg-normalize's batches work the same way); the run
ends with a summary and exit 1 when any failed. An episode whose manifest still matches its
inputs (`manifest.stale_reason`) is skipped; `force` renders it anyway.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from audio_pipeline import __version__
from audio_pipeline.app.render import render_loaded
from audio_pipeline.app.settings import RenderSettings, Reporter
from audio_pipeline.core.errors import EXIT_RENDER_FAILED, InputError, PipelineError, Problem
from audio_pipeline.core.models import RunReport
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.audiofiles import AudioStore
from audio_pipeline.inputs.episodes import EpisodeInputs, load_episode
from audio_pipeline.inputs.fields import FieldReader
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from audio_pipeline.metadata.manifest import read_manifest, render_inputs, stale_reason
from audio_pipeline.publish.ledger import Ledger, now_utc

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class BatchArgumentError(PipelineError):
    """The batch's own arguments are wrong (exit 2)."""

    exit_code = 2


def parse_week(text: str) -> tuple[int, int]:
    """'2026-W47' -> (2026, 47); raises BatchArgumentError with what is allowed."""
    match = WEEK.match(text.strip())
    if match is None:
        raise BatchArgumentError(
            f"--week: '{text}' is not an ISO week; write YYYY-Www, e.g. 2026-W47"
        )
    year, week = int(match.group(1)), int(match.group(2))
    weeks = dt.date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
    if not 1 <= week <= weeks:
        raise BatchArgumentError(f"--week: {year} has ISO weeks 01 to {weeks}, not {week:02d}")
    return year, week


def week_of(date: dt.date) -> str:
    iso = date.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BatchArgumentError(f"--date: '{text}' is not a date; write YYYY-MM-DD") from None


@dataclass
class EpisodeResult:
    file: str
    episode_id: str | None = None
    status: str = "pending"  # rendered | skipped | failed
    reason: str | None = None  # why it was rendered or skipped
    error: str | None = None  # one line; the problems below for invalid input
    problems: list[str] = field(default_factory=list)
    report: RunReport | None = None
    elapsed_s: float = 0.0

    def as_dict(self, project: Project) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": self.file,
            "episode_id": self.episode_id,
            "status": self.status,
            "reason": self.reason,
            "error": self.error,
            "problems": self.problems,
            "elapsed_s": round(self.elapsed_s, 2),
        }
        r = self.report
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


@dataclass
class BatchReport:
    week: str
    forced: bool
    started_at: dt.datetime
    episodes: list[EpisodeResult] = field(default_factory=list)
    finished_at: dt.datetime | None = None
    error: str | None = None  # the run itself could not start (no episode in the week)

    def count(self, status: str) -> int:
        return sum(1 for e in self.episodes if e.status == status)

    @property
    def exit_code(self) -> int:
        failed = self.error is not None or self.count("failed") > 0
        return EXIT_RENDER_FAILED if failed else 0

    def as_dict(self, project: Project) -> dict[str, Any]:
        return {
            "week": self.week,
            "tool_version": __version__,
            "forced": self.forced,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
            "summary": {s: self.count(s) for s in ("rendered", "skipped", "failed")},
            "exit_code": self.exit_code,
            "episodes": [e.as_dict(project) for e in self.episodes],
        }


class BatchReporter(Reporter, Protocol):
    def episode_started(self, label: str, number: int, total: int) -> None: ...
    def episode_finished(self, result: EpisodeResult) -> None: ...


def episodes_of_week(
    project: Project, week: str
) -> list[EpisodeResult | tuple[Path, dt.date, str | None]]:
    """Episode files dated in `week`, by date then file name. A file whose date cannot be
    read is returned as a failed result: it may be this week's, so it must not be ignored."""
    found: list[tuple[dt.date, Path, str | None]] = []
    unreadable: list[EpisodeResult] = []
    folder = project.episodes_dir
    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() else []
    for path in paths:
        problems: list[Problem] = []
        data, problems = load_yaml_mapping(path, root=project.root)
        date = None
        claimed = None
        if data is not None:
            date = FieldReader(data, project.show(path), problems).date("date")
            claimed = data.get("id") if isinstance(data.get("id"), str) else None
        if date is None:
            unreadable.append(
                EpisodeResult(
                    file=project.show(path),
                    episode_id=claimed,
                    status="failed",
                    error="cannot tell which week this episode belongs to",
                    problems=[str(p) for p in problems],
                )
            )
        elif week_of(date) == week:
            found.append((date, path, claimed))
    found.sort(key=lambda item: (item[0], item[1].name))
    return [*unreadable, *[(path, date, claimed) for date, path, claimed in found]]


def why_render(inputs: EpisodeInputs) -> str | None:
    """None when the published render still matches every input, else why it must be redone."""
    project, episode = inputs.project, inputs.episode
    folder = project.output_dir / episode.id
    previous = read_manifest(folder)
    messages = inputs.messages
    if episode.select is not None and previous is not None:
        # a queue episode keeps the messages it was given while they stay approved and are
        # not placed or aired elsewhere; new approvals wait for the next episode
        index = inputs.message_index
        assert index is not None
        chosen = [str(m) for m in previous.get("messages", [])]
        with Ledger(project.ledger_path) as ledger:
            used = ledger.used_messages(except_episode=episode.id)
        for message_id in chosen:
            message = index.messages.get(message_id)
            if message is None or not message.is_approved:
                return f"selected message '{message_id}' is no longer approved or valid"
            if message_id in used and not episode.select.allow_repeats:
                return f"selected message '{message_id}' was since {used[message_id]}"
        messages = tuple(index.messages[m] for m in chosen)
    return stale_reason(previous, folder, render_inputs(inputs, messages))


def run_batch(
    project: Project,
    week: str,
    *,
    force: bool = False,
    settings: RenderSettings | None = None,
    reporter: BatchReporter | None = None,
    debug: bool = False,
) -> BatchReport:
    """Render (or skip) every episode of `week`; never raises for one episode's failure.

    Every episode of the week is validated before any is rendered (ffmpeg-normalize checks a
    whole batch first too), so one run shows every problem; each episode is then rendered
    from what was validated, a bumper shared by several episodes decoded once."""
    settings = settings or RenderSettings()
    batch = BatchReport(week=week, forced=force, started_at=now_utc())
    entries = episodes_of_week(project, week)
    if not entries:
        batch.error = (
            f"no episode in {project.show(project.episodes_dir)}/ is dated in week {week}; "
            "nothing was rendered"
        )
    store = AudioStore()
    loaded: list[tuple[EpisodeResult, EpisodeInputs | None]] = []
    for entry in entries:
        if isinstance(entry, EpisodeResult):
            loaded.append((entry, None))
            continue
        path, _, claimed = entry
        # the id the file claims, so even an invalid episode is reported under its name
        result = EpisodeResult(file=project.show(path), episode_id=claimed)
        inputs = _validated(result, path, project, store, debug)
        loaded.append((result, inputs))
    total = len(loaded)
    for number, (result, inputs) in enumerate(loaded, start=1):
        if inputs is not None:
            if reporter is not None:
                reporter.episode_started(result.episode_id or result.file, number, total)
            _render_one(result, inputs, force, settings, reporter, debug)
        batch.episodes.append(result)
        if reporter is not None:
            reporter.episode_finished(result)
    batch.finished_at = now_utc()
    return batch


def _validated(
    result: EpisodeResult, path: Path, project: Project, store: AudioStore, debug: bool
) -> EpisodeInputs | None:
    """The episode's validated inputs, or None with the result marked failed."""
    started = time.monotonic()
    try:
        inputs = load_episode(path, project, store)
    except Exception as exc:
        _failed(result, exc, debug)
        result.elapsed_s = time.monotonic() - started
        return None
    result.episode_id = inputs.episode.id
    return inputs


def _render_one(
    result: EpisodeResult,
    inputs: EpisodeInputs,
    force: bool,
    settings: RenderSettings,
    reporter: BatchReporter | None,
    debug: bool,
) -> None:
    started = time.monotonic()
    try:
        reason = "--force" if force else why_render(inputs)
        if reason is None:
            result.status = "skipped"
            result.reason = "up to date: inputs unchanged since the last render"
        else:
            result.reason = reason
            result.report = render_loaded(inputs, settings, reporter)
            result.status = "rendered"
    except Exception as exc:
        _failed(result, exc, debug)
    result.elapsed_s = time.monotonic() - started


def _failed(result: EpisodeResult, exc: Exception, debug: bool) -> None:
    """One episode's failure, told as the CLI tells it (cli.errors' table has the wording
    for a command; here each episode keeps its own, so one failure stops no other)."""
    result.status = "failed"
    if isinstance(exc, InputError):
        result.error = f"invalid input ({len(exc.problems)} problem(s)); nothing was written"
        result.problems = [str(p) for p in exc.problems]
    elif isinstance(exc, PipelineError):
        result.error = str(exc)
    else:  # one episode's bug must not stop the others
        if debug:
            traceback.print_exception(exc)
        result.error = f"internal error: {type(exc).__name__}: {exc}"
