"""Usage accounting: a run's characters per engine flushed to the ledger once, read back per
month against the free tiers, with warnings as a limit approaches; `voices` shows it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import EngineSettings
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.publish.ledger import Ledger, add_usage
from audio_pipeline.publish.ledger_schema import SCHEMA_VERSION
from audio_pipeline.publish.usage import (
    flush_usage,
    month_usage,
    usage_limits,
    usage_warnings,
)
from tests.standins import NET, Serve
from tests.standins.server import Schedule


def test_a_run_is_flushed_once_and_months_are_kept_apart(standin: Serve, tmp_path: Path) -> None:
    server = standin(Schedule(0.0), "azure", "google-cloud")
    engines = EngineSet(EngineSettings(NET))
    engines.get("azure").synthesize("안녕하세요.", {})
    engines.get("google-cloud").synthesize_passage([("하나.", 0.5), ("둘.", 0.0)], {})
    engines.get("espeak")  # an offline engine has nothing to bill
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        added = flush_usage(engines, ledger, month="2026-11")
        assert set(added) == {"azure", "google-cloud"} and all(n > 0 for n in added.values())
        assert flush_usage(engines, ledger, month="2026-11") == {}  # nothing counted twice
        add_usage(ledger, "azure", "2026-10", 999, 9)
        usage = {u.engine: u for u in month_usage(ledger, "2026-11")}
    assert usage["azure"].characters == added["azure"] and usage["azure"].requests == 1
    assert usage["google-cloud"].requests == 1  # both sentences in one request
    assert len(server.synthesis_records()) == 2


def test_azure_counts_markup_but_not_speak_and_voice_tags() -> None:
    engine = EngineSet(
        EngineSettings(NET, environ={"SPEECH_KEY": "k" * 32, "SPEECH_REGION": "koreacentral"})
    ).get("azure")
    _, billed = engine.request([("가나다", 0.5), ("漢字", 0.0)], engine.resolved_options({}))  # type: ignore[attr-defined]
    # 가나다 + <break time="500ms" /> + 漢字, each hanja counted twice (Azure billing rules)
    assert billed == len('가나다<break time="500ms" />漢字') + 2


def test_warnings_as_the_free_tier_approaches_and_is_passed(tmp_path: Path) -> None:
    limits = usage_limits({"AUDIO_PIPELINE_FREE_CHARS_AZURE": "1000"})
    assert limits["azure"] == 1000 and limits["google-cloud"] == 1_000_000
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        add_usage(ledger, "azure", "2026-11", 850, 10)
        add_usage(ledger, "google-cloud", "2026-11", 1_200_000, 40)
        warnings = usage_warnings(month_usage(ledger, "2026-11", limits))
    assert len(warnings) == 2
    assert warnings[0].startswith("azure: 2026-11 usage is near the free tier (850 of 1,000")
    assert warnings[1].startswith("google-cloud: 2026-11 usage is past the free tier")


def test_the_usage_table_is_a_migration_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = [r[1] for r in db.execute("PRAGMA table_info(speech_usage)")]
    assert columns == ["engine", "month", "characters", "requests"]


@pytest.fixture
def here(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("AUDIO_PIPELINE_LEDGER", str(project.root / "ledger.sqlite"))
    return project


def test_voices_shows_credentials_answering_and_usage(standin: Serve, here: Project) -> None:
    standin(Schedule(0.0), "azure", "google-cloud")
    from audio_pipeline.publish.usage import this_month

    with Ledger(here.root / "ledger.sqlite") as ledger:
        add_usage(ledger, "azure", this_month(), 450_000, 900)
    result = CliRunner().invoke(app, ["voices"])
    assert result.exit_code == 0, result.stderr
    rows = {ln.split("│")[1].strip(): ln for ln in result.stdout.splitlines() if "│" in ln}
    assert "ko-KR-SunHiNeural" in rows.get("ko-azure-female", ""), result.stdout
    assert "ko-KR-Neural2-C" in rows["ko-google-cloud-male"]
    assert "azure: credentials present (SPEECH_KEY, SPEECH_REGION)" in result.stdout
    assert "google-cloud: credentials present (GOOGLE_API_KEY)" in result.stdout
    assert "azure: " + this_month() + " usage 450,000 of 500,000 free characters (90%)" in (
        result.stdout
    )
    assert "warning: azure:" in result.stderr and "near the free tier" in result.stderr


def test_voices_without_keys_says_which_variables_to_set(here: Project) -> None:
    result = CliRunner().invoke(app, ["voices"])
    assert result.exit_code == 0, result.stderr
    assert "azure: credentials missing: set SPEECH_KEY, SPEECH_REGION" in result.stdout
    assert "google-cloud: credentials missing: set GOOGLE_API_KEY" in result.stdout


@pytest.mark.parametrize(
    ("name", "voice"), [("azure", "ko-KR-InJoonNeural"), ("google-cloud", "ko-KR-Neural2-C")]
)
def test_voices_remote_lists_the_services_korean_voices(
    standin: Serve, here: Project, name: str, voice: str
) -> None:
    standin(Schedule(0.0), name)
    result = CliRunner().invoke(app, ["voices", "--remote", name])
    assert result.exit_code == 0, result.stderr
    assert voice in result.stdout and "Korean voice(s) from" in result.stdout
    assert "en-US" not in result.stdout


def test_voices_remote_without_a_key_is_one_line(here: Project) -> None:
    result = CliRunner().invoke(app, ["voices", "--remote", "google-cloud"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: Google Cloud TTS: no credentials; set GOOGLE_API_KEY (README: Engines)"
    )
