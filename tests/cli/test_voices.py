"""Voices and the clip cache (cli/voices.py): `voices`, `cache stats`, `cache clear`."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import responses
import yaml

from audio_pipeline.cli import output
from audio_pipeline.core.project import Project
from audio_pipeline.publish.ledger import Ledger, add_usage
from tests.cli.conftest import invoke, readme_fields


def table_rows(stdout: str) -> dict[str, dict[str, str]]:
    """The voices table read back: each voice's row, cell by column name."""
    lines = stdout.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    columns = [c.strip() for c in header.strip("┃").split("┃")]
    rows = [line for line in lines if line.startswith("│")]
    cells = [[c.strip() for c in row.strip("│").split("│")] for row in rows]
    return {row[0]: dict(zip(columns, row, strict=True)) for row in cells}


@responses.activate  # the probe of gTTS meets no network: "cannot reach"
def test_voices_lists_profiles_and_engine_availability(
    cli_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # room for every column, whatever width the test process was given (the table is read back)
    monkeypatch.setattr(output.out, "width", 200)
    result = invoke("voices")
    assert result.exit_code == 0
    rows = table_rows(result.stdout)
    profiles = [
        p.stem
        for p in cli_project.voices_dir.glob("*.yaml")
        if "engine" in yaml.safe_load(p.read_text("utf-8"))
    ]
    assert sorted(rows) == sorted(profiles)
    assert rows["ko-offline"] == {
        "voice": "ko-offline",
        "engine": "espeak",
        "speaker": "ko",
        "credentials": "not needed",
        "answering": "yes",
        "fallback": "",
    }
    assert (rows["ko-google"]["answering"], rows["ko-google"]["credentials"]) == (
        "no",
        "not needed",
    )
    # without credentials the service is not asked at all
    assert (rows["ko-azure-female"]["answering"], rows["ko-azure-female"]["credentials"]) == (
        "-",
        "missing",
    )
    assert rows["ko-azure-female"]["speaker"] == "ko-KR-SunHiNeural"
    # why, below the table (the table gained speaker and credentials columns)
    assert "gtts: not answering: cannot reach" in result.stdout  # responses refuses the host
    assert "azure: credentials missing: set SPEECH_KEY, SPEECH_REGION" in result.stdout.splitlines()


@responses.activate
def test_voices_json_lists_every_profile_for_scripts(cli_project: Project) -> None:
    result = invoke("voices", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    by_name = {v["name"]: v for v in doc["voices"]}
    assert doc["schema"] == 1 and doc["ok"] is True
    assert by_name["ko-offline"]["engine"] == "espeak" and by_name["ko-offline"]["answering"]
    assert by_name["ko-azure-female"]["credentials_missing"] == ["SPEECH_KEY", "SPEECH_REGION"]
    assert by_name["ko-azure-female"]["fallback_voice"] == "ko-offline"
    fields = readme_fields("voices")
    assert set(doc) == {"schema", "ok", *fields}
    assert all(set(v) == fields["voices"] for v in doc["voices"])
    google = by_name["ko-google"]
    assert google["answering"] is False
    assert google["not_answering_because"].startswith("cannot reach")
    # not asked is not a reason: no credentials, no probe
    assert by_name["ko-azure-female"]["not_answering_because"] is None


def test_cache_stats_and_clear(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(tmp_path / "own-cache"))
    assert invoke("preview", "church-prays", "--voice", "ko-offline").exit_code == 0
    stats = invoke("cache", "stats")
    assert stats.exit_code == 0 and "entries: 1" in stats.stdout
    cleared = invoke("cache", "clear")
    assert cleared.exit_code == 0 and cleared.stdout.startswith("removed 1 cached clip(s)")
    assert "entries: 0" in invoke("cache", "stats").stdout


def test_cache_clear_asks_on_a_terminal_and_not_in_a_script(
    project: Project, tmp_path: Path
) -> None:
    import os
    import pty

    cache = tmp_path / "own-cache"
    env = {
        **os.environ,
        "AUDIO_PIPELINE_CACHE": str(cache),
        "AUDIO_PIPELINE_PROJECT": str(project.root),
    }
    command = [sys.executable, "-m", "audio_pipeline"]
    made = subprocess.run([*command, "preview", "church-prays"], env=env, capture_output=True)
    assert made.returncode == 0, made.stderr
    # on a terminal: asked, and "n" keeps the cache
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [*command, "cache", "clear"],
        env=env,
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    asked = b""
    while b"[y/N]" not in asked:
        asked += os.read(main, 1024)
    os.write(main, b"n\n")
    out, _ = proc.communicate(timeout=60)
    os.close(main)
    assert b"Remove 1 cached clip(s)" in asked and proc.returncode == 0
    assert b"removed" not in out and any(cache.rglob("*.wav"))
    # a script (no terminal) is not asked; --yes says it outright
    cleared = subprocess.run([*command, "cache", "clear", "--yes"], env=env, capture_output=True)
    assert cleared.returncode == 0 and cleared.stdout.startswith(b"removed 1 cached clip(s)")


@responses.activate
def test_this_month_s_usage_and_a_near_limit_come_from_the_ledger(cli_project: Project) -> None:
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    with Ledger(cli_project.root / "ledger.sqlite") as ledger:
        add_usage(ledger, "azure", month, 450_000, 900)
    result = invoke("voices")
    assert result.exit_code == 0
    assert (
        f"azure: {month} usage 450,000 of 500,000 free characters (90%), 900 request(s)"
        in result.stdout.splitlines()
    )
    assert result.stderr.splitlines() == [
        f"warning: azure: {month} usage is near the free tier "
        "(450,000 of 500,000 free characters (90%), 900 request(s))"
    ]
    doc = json.loads(invoke("voices", "--json").stdout)
    azure = next(u for u in doc["usage"] if u["engine"] == "azure")
    assert azure == {
        "engine": "azure",
        "month": month,
        "characters": 450_000,
        "requests": 900,
        "free_characters": 500_000,
    }
    assert doc["warnings"] == [result.stderr.splitlines()[0].removeprefix("warning: ")]


@responses.activate
def test_looking_at_voices_does_not_create_a_ledger(cli_project: Project) -> None:
    assert invoke("voices").exit_code == 0
    assert not (cli_project.root / "ledger.sqlite").exists()


def test_a_service_without_a_voice_list_is_one_line_exit_2(cli_project: Project) -> None:
    result = invoke("voices", "--remote", "gtts")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --remote: 'gtts' has no voice list; allowed: azure, google-cloud",
        "1 problem(s) found; nothing was written.",
    ]
    as_json = invoke("voices", "--remote", "espeak", "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["problems"] == [
        "--remote: 'espeak' has no voice list; allowed: azure, google-cloud"
    ]


def test_voices_json_outside_a_project_is_still_a_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("voices", "--json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert (doc["schema"], doc["ok"], doc["exit_code"]) == (1, False, 2)
    assert doc["error"].startswith(f"no project in {tmp_path}: ")
    assert result.stderr.splitlines() == [f"error: {doc['error']}"]


def test_cache_stats_counts_what_is_on_disk(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = tmp_path / "own-cache"
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(cache))
    for message_id in ("church-prays", "not-alone"):
        assert invoke("preview", message_id, "--voice", "ko-offline").exit_code == 0
    (cache / "left-by-a-killed-run.wav.tmp").write_bytes(b"x" * 10)
    on_disk = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
    result = invoke("cache", "stats")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"cache: {cache}",
        "entries: 2 (2 clips, 0 normalized)",
        f"size: {on_disk / 1e6:.1f} MB",
        "incomplete files: 1 (removed by `cache clear`)",
    ]
    assert invoke("cache", "clear").stdout == f"removed 2 cached clip(s) from {cache}\n"
    assert not [p for p in cache.rglob("*") if p.is_file()]
