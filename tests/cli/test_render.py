"""The commands that render (cli/render.py): `render` and `batch` as a producer and a script
meet them: the summary on stdout, progress and warnings on stderr, --json, exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import requests
import responses

from audio_pipeline.app.batch import BatchReport, EpisodeResult
from audio_pipeline.app.settings import Reporter
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.project import Project
from tests.app.reports import TITLE, made_report
from tests.cli.conftest import invoke, readme_fields


def test_render_prints_summary_and_exits_0(cli_project: Project) -> None:
    result = invoke("render", "--quiet", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 0, result.stderr
    assert "programme: 2:" in result.stdout
    assert "clips: 6 (0 synthesized, 6 cached); fallbacks: 0" in result.stdout
    assert "written: output/2026-w47/" in result.stdout
    assert (cli_project.root / "output/2026-w47/2026-w47.wav").exists()


@responses.activate
def test_strict_render_with_gtts_offline_exits_1(cli_project: Project) -> None:
    responses.post(
        "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute",
        body=requests.exceptions.ConnectionError("offline"),
    )
    result = invoke("render", "--strict", "--quiet", "input/episodes/2026-w47-google.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: message 'not-alone': voice 'ko-google' failed")
    assert "--strict forbids fallback" in result.stderr
    assert not (cli_project.root / "output/2026-w47-google").exists()


@responses.activate
def test_fallback_is_loud_in_console_and_summary(cli_project: Project) -> None:
    responses.post(
        "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute",
        body=requests.exceptions.ConnectionError("offline"),
    )
    result = invoke("render", "input/episodes/2026-w47-google.yaml")
    assert result.exit_code == 0, result.stderr
    # the reason told once, whole, with how often it came; each clip's line marked
    assert result.stderr.count("warning: FALLBACK to voice 'ko-offline'") == 1
    assert "warning: 6 times in all: FALLBACK to voice 'ko-offline'" in result.stderr
    assert result.stderr.count(") FALLBACK") == 6
    assert "fallbacks: 6" in result.stdout
    assert result.stdout.count("FALLBACK: message '") == 6  # the summary names every message


def test_missing_episode_file_is_exit_2(cli_project: Project) -> None:
    result = invoke("render", "input/episodes/nope.yaml")
    assert result.exit_code == 2
    assert "error: input/episodes/nope.yaml: file not found" in result.stderr


def test_render_json_for_scripts(cli_project: Project) -> None:
    rendered = invoke("render", "--json", "--quiet", "input/episodes/2026-w47.yaml")
    assert rendered.exit_code == 0, rendered.stderr
    doc = json.loads(rendered.stdout)  # stdout holds the document alone
    assert doc["ok"] is True and doc["episode_id"] == "2026-w47"
    assert [m["id"] for m in doc["messages"]][:2] == ["not-alone", "church-prays"]
    assert {d["file"] for d in doc["deliverables"]} == {"2026-w47.wav", "2026-w47.mp3"}
    assert "programme:" in rendered.stderr  # the summary for people, on stderr
    bad = invoke("render", "--json", "input/episodes/nope.yaml")
    assert bad.exit_code == 2
    failure = json.loads(bad.stdout)
    assert failure["ok"] is False and failure["exit_code"] == 2 and failure["problems"]


# --- the command around the library: a render stood in by a report made by hand ------------


@pytest.fixture
def fake_render(cli_project: Project, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """`render_episode` replaced: it tells some progress, then returns the made report (or
    raises what the test put in `outcome[0]`)."""
    outcome: list[object] = [made_report(cli_project.root)]

    def render(project: Project, episode: Path, settings: object, reporter: Reporter) -> object:
        reporter.stage("synthesizing", total=1)
        reporter.warn("FALLBACK to voice 'ko-offline' (espeak): offline")
        reporter.warn("FALLBACK to voice 'ko-offline' (espeak): offline")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    monkeypatch.setattr("audio_pipeline.cli.render.render_episode", render)
    return outcome


def test_the_summary_goes_to_stdout_and_progress_to_stderr(fake_render: list[object]) -> None:
    result = invoke("render", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "synthesizing…",
        "warning: FALLBACK to voice 'ko-offline' (espeak): offline",
        "warning: 2 times in all: FALLBACK to voice 'ko-offline' (espeak): offline",
    ]
    lines = result.stdout.splitlines()
    assert lines[0].rstrip() == f"2026-w47: {TITLE}"
    assert lines[-1] == "written: output/2026-w47/ in 6.0 s"
    quiet = invoke("render", "-q", "input/episodes/2026-w47.yaml")
    assert quiet.stderr.splitlines() == result.stderr.splitlines()[1:]  # warnings only


def test_a_failed_render_still_counts_its_warnings_before_its_error(
    fake_render: list[object],
) -> None:
    fake_render[0] = RenderError("the encoder stopped")
    result = invoke("render", "-q", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "warning: FALLBACK to voice 'ko-offline' (espeak): offline",
        "warning: 2 times in all: FALLBACK to voice 'ko-offline' (espeak): offline",
        "error: the encoder stopped",
    ]


def test_json_on_stdout_alone_and_the_summary_on_stderr(fake_render: list[object]) -> None:
    result = invoke("render", "--json", "-q", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)  # nothing but the document
    assert set(doc) == {"schema", "ok", *readme_fields("render")}
    assert (doc["episode_id"], doc["ledger_render_id"]) == ("2026-w47", 7)
    assert "written: output/2026-w47/ in 6.0 s" in result.stderr.splitlines()


def test_json_of_a_failure_carries_the_exit_code_the_command_ends_with(
    fake_render: list[object],
) -> None:
    fake_render[0] = RenderError("programme overruns its slot", notes=("drop one",))
    result = invoke("render", "--json", "-q", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "schema": 1,
        "episode_file": "input/episodes/2026-w47.yaml",
        "ok": False,
        "exit_code": 1,
        "error": "programme overruns its slot",
        "problems": [],
        "notes": ["drop one"],
    }
    assert result.stderr.splitlines()[-2:] == ["error: programme overruns its slot", "  drop one"]


# --- batch -----------------------------------------------------------------------------------


@pytest.fixture
def fake_batch(cli_project: Project, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`run_batch` replaced by one that returns a week with one episode rendered and one that
    failed on an internal error (with its traceback); the weeks asked for are recorded."""
    asked: list[str] = []

    def run(project: Project, week: str, **how: object) -> BatchReport:
        asked.append(week)
        try:
            raise ZeroDivisionError("kaboom")
        except ZeroDivisionError as exc:
            failure = exc
        return BatchReport(
            week=week,
            forced=False,
            started_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC),
            episodes=[
                EpisodeResult(
                    "input/episodes/2026-w47.yaml",
                    "2026-w47",
                    "rendered",
                    report=made_report(project.root),
                    elapsed_s=6.0,
                ),
                EpisodeResult("input/episodes/w47-b.yaml", "w47-b", "failed", failure=failure),
            ],
            finished_at=dt.datetime(2026, 11, 23, 0, 1, tzinfo=dt.UTC),
        )

    monkeypatch.setattr("audio_pipeline.app.batch.run_batch", run)
    return asked


def test_batch_takes_the_iso_week_of_a_date_and_ends_1_when_an_episode_failed(
    fake_batch: list[str],
) -> None:
    result = invoke("batch", "--date", "2026-11-22", "--quiet")
    assert fake_batch == ["2026-W47"]  # a Sunday ends its ISO week
    assert result.exit_code == 1
    assert "batch 2026-W47" in result.stdout
    assert result.stdout.rstrip().endswith("2 episode(s): 1 rendered, 0 skipped, 1 failed")
    assert result.stderr.splitlines()[-1] == "1 episode(s) failed"
    assert "Traceback" not in result.stderr


def test_batch_json_puts_the_table_on_stderr(fake_batch: list[str]) -> None:
    result = invoke("batch", "--week", "2026-W47", "--json", "--quiet")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [e["status"] for e in doc["episodes"]] == ["rendered", "failed"]
    assert doc["episodes"][1]["error"].startswith("internal error: ZeroDivisionError: kaboom")
    assert "batch 2026-W47" in result.stderr


def test_batch_debug_shows_an_episode_s_internal_error_with_its_traceback(
    fake_batch: list[str],
) -> None:
    result = invoke("--debug", "batch", "--week", "2026-W47", "--quiet")
    assert result.exit_code == 1
    assert "Traceback (most recent call last):" in result.stderr
    assert "ZeroDivisionError: kaboom" in result.stderr.splitlines()


def test_batch_json_with_invalid_arguments_still_prints_a_document(cli_project: Project) -> None:
    result = invoke("batch", "--week", "2026-48", "--json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 2
