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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from audio_pipeline.app.render import render_loaded
from audio_pipeline.app.settings import RenderSettings, Reporter
from audio_pipeline.core.errors import ExitCode, InputError, Problem, UsageError
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import RunReport
from audio_pipeline.inputs.audiofiles import AudioStore
from audio_pipeline.inputs.episodes import EpisodeInputs, load_episode
from audio_pipeline.inputs.fields import FieldReader
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from audio_pipeline.metadata.manifest import read_manifest, render_inputs, stale_reason
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.ledger_records import now_utc

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class BatchArgumentError(UsageError):
    """The batch's own arguments are wrong (exit 2)."""


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
    failure: Exception | None = None  # why it failed: told by the CLI's one table
    report: RunReport | None = None
    elapsed_s: float = 0.0


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
    def exit_code(self) -> ExitCode:
        failed = self.error is not None or self.count("failed") > 0
        return ExitCode.FAILED if failed else ExitCode.OK


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
            why = InputError(problems, summary="cannot tell which week this episode belongs to")
            unreadable.append(
                EpisodeResult(project.show(path), claimed, status="failed", failure=why)
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
        inputs = _validated(result, path, project, store)
        loaded.append((result, inputs))
    total = len(loaded)
    for number, (result, inputs) in enumerate(loaded, start=1):
        if inputs is not None:
            if reporter is not None:
                reporter.episode_started(result.episode_id or result.file, number, total)
            _render_one(result, inputs, force, settings, reporter)
        batch.episodes.append(result)
        if reporter is not None:
            reporter.episode_finished(result)
    batch.finished_at = now_utc()
    return batch


def _validated(
    result: EpisodeResult, path: Path, project: Project, store: AudioStore
) -> EpisodeInputs | None:
    """The episode's validated inputs, or None with the result marked failed."""
    started = time.monotonic()
    try:
        inputs = load_episode(path, project, store)
    except Exception as exc:
        _failed(result, exc)
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
        _failed(result, exc)
    result.elapsed_s = time.monotonic() - started


def _failed(result: EpisodeResult, exc: Exception) -> None:
    """One episode failed; the others go on (its exception is kept, to be told)."""
    result.status = "failed"
    result.failure = exc
