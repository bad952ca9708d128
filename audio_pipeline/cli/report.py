"""How a run is shown to people: progress while it runs, a summary table when it ends."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from audio_pipeline import __version__
from audio_pipeline.app.batch import BatchReport, EpisodeResult
from audio_pipeline.app.errors import tell
from audio_pipeline.app.summary import COLUMNS, RIGHT, summarize
from audio_pipeline.core.display import clock
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import EngineUsage, Loudness, RunReport


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
        "schema": JSON_SCHEMA,
        "ok": int(batch.exit_code) == 0,
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


def usage_document(usage: Iterable[EngineUsage]) -> list[dict[str, Any]]:
    """A paid service's characters this month (`render --json` and `voices --json`)."""
    return [
        {
            "engine": u.engine,
            "month": u.month,
            "characters": u.characters,
            "requests": u.requests,
            "free_characters": u.limit,
        }
        for u in usage
    ]


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
        "fill": None
        if programme.fill is None
        else {
            "short_s": round(programme.fill.under / rate, 3),
            "fillers": list(programme.fill.fillers),
            "gaps_added_s": round(programme.fill.gaps / rate, 3),
            "silence_before_outro_s": round(programme.fill.silence / rate, 3),
            "longest_gap_s": round(programme.fill.longest_gap / rate, 3),
        },
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
        "usage": usage_document(report.usage),
        "on_air": report.on_air,
    }
