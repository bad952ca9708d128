"""How a run is shown (cli/report.py): the summary table of a render, the batch's table, and
the --json documents of `render` and `batch`, each parsed back and held to the README."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from rich.console import Console

from audio_pipeline.app.batch import BatchReport, EpisodeResult
from audio_pipeline.cli.report import batch_document, batch_summary, render_document, summary
from audio_pipeline.core.errors import InputError, Problem, RenderError
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import FillReport
from tests.app.reports import RATE, TITLE, made_report
from tests.cli.conftest import readme_fields
from tests.conftest import REPO


def console() -> tuple[Console, io.StringIO]:
    """A console like the CLI's own: markup off, a log's width."""
    buffer = io.StringIO()
    return Console(file=buffer, width=200, markup=False, highlight=False), buffer


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


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


def test_the_batch_table_shows_a_rendered_episode_s_figures(tmp_path: Path) -> None:
    out, buffer = console()
    rendered = EpisodeResult(
        "input/episodes/2026-w47.yaml",
        "2026-w47",
        "rendered",
        reason="--force",
        report=made_report(tmp_path),
        elapsed_s=6.04,
    )
    batch_summary(out, "2026-W47", [rendered])
    rows = [cells(line) for line in buffer.getvalue().splitlines() if line.startswith("│")]
    assert rows == [["2026-w47", "rendered", "2", "1:40.0", "1", "1", "1", "6.0 s"]]
    assert "  2026-w47: rendered: --force" in buffer.getvalue().splitlines()


def test_the_render_summary_prints_its_rows_lines_and_where_it_wrote(tmp_path: Path) -> None:
    out, buffer = console()
    summary(out, made_report(tmp_path), "output/2026-w47")
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    assert lines[0] == f"2026-w47: {TITLE}"  # markup-like text is printed as it is written
    rows = [cells(line) for line in lines if line.startswith("│")]
    # the README shows this very row of the sample episode
    readme = (REPO / "README.md").read_text("utf-8")
    shown = next(line for line in readme.splitlines() if line.startswith("│  2 │ not-alone"))
    assert rows[1] == cells(shown)
    assert [row[1] for row in rows] == [
        "intro",
        "not-alone",
        "church-prays",
        "station-id",
        "a-reading",
        "outro",
    ]
    assert lines[-1] == "written: output/2026-w47/ in 6.0 s"
    assert "clips: 2 (1 synthesized, 1 cached); fallbacks: 1" in lines


def test_render_json_has_the_readme_s_fields_and_parses_as_strict_json(tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    doc = render_document(made_report(tmp_path, silent_mp3=True), project)
    parsed = json.loads(json.dumps(doc, allow_nan=False))  # no NaN or Infinity: strict JSON
    fields = readme_fields("render")
    assert set(parsed) == {"schema", "ok", *fields}
    assert (parsed["schema"], parsed["ok"]) == (1, True)
    assert set(parsed["programme"]) == fields["programme"]
    assert set(parsed["clips"]) == fields["clips"]
    for listed in ("messages", "deliverables", "usage"):
        assert all(set(entry) == fields[listed] for entry in parsed[listed]), listed
    assert parsed["output_dir"] == "output/2026-w47"  # relative to the project
    assert parsed["programme"] == {
        "duration_s": 100.0,
        "integrated_lufs": -23.08,
        "true_peak_dbtp": -2.51,
        "lra_lu": 3.04,
    }
    mp3 = parsed["deliverables"][1]
    assert mp3["file"] == "2026-w47.mp3"
    assert (mp3["integrated_lufs"], mp3["true_peak_dbtp"]) == (None, None)  # silent: null
    assert parsed["clips"] == {"total": 2, "cached": 1, "synthesized": 1}
    # a reading from the filler pool is a message too: it has its place in the programme
    assert [(m["id"], m["start_s"], m["end_s"]) for m in parsed["messages"]] == [
        ("not-alone", 10.3, 30.5),
        ("church-prays", 32.0, 47.0),
        ("a-reading", 54.0, 84.0),
    ]
    assert [m["fallback"] for m in parsed["messages"]] == [False, True, False]
    assert parsed["usage"] == [
        {
            "engine": "azure",
            "month": "2026-11",
            "characters": 12_345,
            "requests": 31,
            "free_characters": 500_000,
        }
    ]
    assert parsed["fill"] is None and parsed["warnings"] == [] and parsed["tempo"] == 1.0
    assert len(parsed["fallbacks"]) == 1 and "church-prays" in parsed["fallbacks"][0]


def test_render_json_of_a_filled_slot_and_a_tempo_up(tmp_path: Path) -> None:
    fill = FillReport(12 * RATE, 2 * RATE, round(2.5 * RATE), ("station-id",), 3 * RATE)
    doc = render_document(made_report(tmp_path, fill=fill, tempo=1.0234), Project.at(tmp_path))
    assert set(doc["fill"]) == readme_fields("render")["fill"]
    assert doc["fill"] == {
        "short_s": 12.0,
        "fillers": ["station-id"],
        "gaps_added_s": 2.0,
        "silence_before_outro_s": 3.0,
        "longest_gap_s": 2.5,
    }
    assert (doc["tempo"], doc["warnings"]) == (1.0234, ["tempo-up 1.023x to fit the slot"])


def week_report(tmp_path: Path) -> BatchReport:
    started = dt.datetime(2026, 11, 23, 5, 30, tzinfo=dt.UTC)
    return BatchReport(
        week="2026-W47",
        forced=False,
        started_at=started,
        episodes=[
            EpisodeResult(
                "input/episodes/2026-w47.yaml",
                "2026-w47",
                "rendered",
                reason="no previous render (no readable manifest.json)",
                report=made_report(tmp_path),
                elapsed_s=6.044,
            ),
            EpisodeResult(
                "input/episodes/bad.yaml",
                "bad",
                "failed",
                failure=InputError([Problem("input/episodes/bad.yaml", "voice", "unknown")]),
            ),
            EpisodeResult("input/episodes/old.yaml", "old", "skipped", reason="up to date"),
        ],
        finished_at=None,
    )


def test_batch_json_tells_each_episode_and_the_run(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(batch_document(week_report(tmp_path), Project.at(tmp_path))))
    assert doc["week"] == "2026-W47" and doc["forced"] is False
    assert doc["started_at"] == "2026-11-23T05:30:00+00:00" and doc["finished_at"] is None
    assert doc["summary"] == {"rendered": 1, "skipped": 1, "failed": 1}
    assert doc["exit_code"] == 1 and doc["error"] is None
    rendered, failed, skipped = doc["episodes"]
    assert rendered["output_dir"] == "output/2026-w47" and rendered["elapsed_s"] == 6.04
    assert rendered["messages"] == ["not-alone", "church-prays"]
    assert rendered["clips"] == {"total": 2, "cached": 1, "synthesized": 1}
    assert (rendered["fallbacks"], rendered["integrated_lufs"]) == (1, -23.08)
    assert (rendered["duration_s"], rendered["ledger_render_id"]) == (100.0, 7)
    assert failed["error"] == "1 problem(s) found; nothing was written"
    assert failed["problems"] == ["input/episodes/bad.yaml: voice: unknown"]
    assert "output_dir" not in failed
    assert (skipped["status"], skipped["reason"], skipped["error"]) == (
        "skipped",
        "up to date",
        None,
    )


def test_batch_json_carries_schema_and_ok_like_every_document(tmp_path: Path) -> None:
    doc = batch_document(week_report(tmp_path), Project.at(tmp_path))
    assert doc["schema"] == 1
    assert doc["ok"] is False  # an episode failed
