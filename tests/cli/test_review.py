"""The command line: exit codes, one-line errors, results on stdout, every command documented."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import responses
import typer
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.project import Project
from tests.conftest import REPO, write_yaml

runner = CliRunner()


@pytest.fixture
def cli_project(warm_project: Project) -> Project:
    return warm_project


def invoke(*args: str) -> object:
    return runner.invoke(app, list(args))


def commands(group: typer.Typer, prefix: str = "") -> list[str]:
    names = [
        prefix + (c.name or c.callback.__name__).replace("_", "-")
        for c in group.registered_commands
    ]
    for sub in group.registered_groups:
        names += commands(sub.typer_instance, f"{prefix}{sub.name} ")
    return names


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    names = commands(app)
    assert {"render", "preview", "validate", "voices", "cache stats", "cache clear"} <= set(names)
    for name in names:
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert len(result.stdout.strip().splitlines()) > 3, name
        assert f"audio-pipeline {name}" in readme, f"README does not show `audio-pipeline {name}`"


def test_validate_ok(cli_project: Project) -> None:
    result = invoke("validate", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "ok: input/episodes/2026-w47.yaml: episode '2026-w47', 6 approved"
    )
    result = invoke("validate")
    assert result.exit_code == 0 and result.stdout.startswith(
        "ok: 10 messages, 6 voices, 4 episodes"
    )


def test_invalid_episode_exits_2_with_one_line_per_problem_and_writes_nothing(
    cli_project: Project,
) -> None:
    write_yaml(
        cli_project.episodes_dir / "bad.yaml",
        {
            "id": "bad",
            "title": "x",
            "date": "2026-11-22",
            "voice": "nope",
            "messages": ["christmas-greeting"],
            "intro": "voices/bumpers/intro.wav",
            "outro": "/etc/hostname",
        },
    )
    for command in ("validate", "render"):
        result = invoke(command, "input/episodes/bad.yaml")
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert lines[-1] == "3 problem(s) found; nothing was written."
        assert all(
            re.match(r"error: input/episodes/bad\.yaml: [a-z_\[\]0-9]+: ", line)
            for line in lines[:-1]
        )
        assert "Traceback" not in result.stderr + result.stdout
    assert not (cli_project.root / "output").exists()


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


def test_preview_prints_path_loudness_and_the_text_sent(cli_project: Project) -> None:
    result = invoke("preview", "not-forgotten", "--voice", "ko-offline")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "clip: output/preview/not-forgotten.wav"
    assert re.match(r"loudness: -23\.\d LUFS integrated", lines[3])
    assert "  하나님은 당신을 잊지 않으셨습니다." in lines
    assert (cli_project.root / "output/preview/not-forgotten.wav").exists()


def test_pending_message_preview_needs_the_flag_and_an_offline_voice(cli_project: Project) -> None:
    refused = invoke("preview", "christmas-greeting", "--voice", "ko-offline")
    assert refused.exit_code == 2 and "message is pending" in refused.stderr
    networked = invoke("preview", "christmas-greeting", "--allow-pending", "--voice", "ko-google")
    assert networked.exit_code == 2 and "sends text off this machine" in networked.stderr
    offline = invoke("preview", "christmas-greeting", "--allow-pending", "--voice", "ko-offline")
    assert offline.exit_code == 0, offline.stderr


def test_with_no_voice_named_a_preview_speaks_offline_even_if_the_project_prefers_online(
    cli_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One flag is enough for a pending message; an approved one takes the project's voice."""
    pending = invoke("preview", "christmas-greeting", "--allow-pending")
    assert pending.exit_code == 0, pending.stderr
    assert "voice: ko-offline (espeak)" in pending.stdout.splitlines()
    monkeypatch.setenv("AUDIO_PIPELINE_VOICE", "ko-google")  # the project prefers Google
    again = invoke("preview", "christmas-greeting", "--allow-pending")
    assert again.exit_code == 0 and "voice: ko-offline (espeak)" in again.stdout.splitlines()
    help_text = invoke("preview", "--help").stdout
    assert "ko-offline" in help_text and "AUDIO_PIPELINE_VOICE" in help_text


def test_rejected_message_is_never_previewed(cli_project: Project) -> None:
    result = invoke("preview", "rejected-example", "--allow-pending", "--voice", "ko-offline")
    assert result.exit_code == 2 and "message is rejected" in result.stderr


@responses.activate
def test_voices_lists_profiles_and_engine_availability(cli_project: Project) -> None:
    result = invoke("voices")
    assert result.exit_code == 0
    rows = {
        line.split("│")[1].strip(): line
        for line in result.stdout.splitlines()
        if "│" in line and "ko-" in line
    }
    assert "yes" in rows["ko-offline"]
    assert "no" in rows["ko-google"]
    # why, below the table (the table gained speaker and credentials columns)
    assert "gtts: not answering: cannot reach" in result.stdout  # responses refuses the host


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


def test_internal_errors_are_one_line_exit_1(
    cli_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("kaboom")

    monkeypatch.setattr("audio_pipeline.cli.render.render_episode", boom)
    result = invoke("render", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: internal error: ZeroDivisionError: kaboom (run with --debug for the traceback, "
        "and report it)"
    )


def test_missing_episode_file_is_exit_2(cli_project: Project) -> None:
    result = invoke("render", "input/episodes/nope.yaml")
    assert result.exit_code == 2
    assert "error: input/episodes/nope.yaml: file not found" in result.stderr


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "audio_pipeline", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith("audio-pipeline 0.")


def test_normalize_text_prints_the_spoken_script(cli_project: Project) -> None:
    result = runner.invoke(app, ["normalize-text", "요 3:16 말씀처럼 12명이 모였습니다. ABC"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "요한복음 삼 장 십육 절 말씀처럼 열두 명이 모였습니다. 에이비씨\n"
    assert result.stderr.startswith("warning: speech: 'ABC': not in the pronunciation lexicon")


def test_normalize_text_reads_stdin_one_line_out_per_line_in(cli_project: Project) -> None:
    lines = ["25,000원", "", "🙏", "Jesus 안에서 3~5명", "제1장"]
    result = runner.invoke(app, ["normalize-text"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == [
        "이만 오천 원",
        "",
        "",
        "예수 안에서 세 명에서 다섯 명",
        "제일 장",
    ]


def test_normalize_text_uses_the_voice_lexicon(cli_project: Project) -> None:
    plain = runner.invoke(app, ["normalize-text", "능력"])
    offline = runner.invoke(app, ["normalize-text", "--voice", "ko-offline", "능력"])
    assert (plain.stdout, offline.stdout) == ("능력\n", "능녁\n")
    unknown = runner.invoke(app, ["normalize-text", "--voice", "nope", "능력"])
    assert unknown.exit_code == 2 and "unknown voice 'nope'" in unknown.stderr


def test_validate_warns_about_listener_checks_without_failing(cli_project: Project) -> None:
    write_yaml(
        cli_project.messages_dir / "needs-care.yaml",
        {
            "id": "needs-care",
            "status": "pending",
            "text": "힐링이 필요하면 010-1234-5678 로 John Smith 형제에게 연락하세요. ABC",
        },
    )
    result = invoke("validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 11 messages")
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    prefix = "warning: input/messages/needs-care.yaml: text: "
    assert lines == [
        prefix + "vocabulary: '힐링': may not be understood in North Korea; consider '치유' "
        "[source: nikl-malteo]",
        prefix + "identifying: '010-1234-5678': a phone number reaches one person; remove it "
        "before approval; or, after judging it harmless, add {words: 010-1234-5678, by: NAME} "
        "under `cleared:` in the message file",
        prefix + "identifying: 'John Smith': a personal name in Latin letters identifies a "
        "person; remove it or use a general word (한 형제, 한 자매); or, after judging it "
        "harmless, add {words: John Smith, by: NAME} under `cleared:` in the message file",
        prefix + "speech: 'ABC': not in the pronunciation lexicon, so it is spelled out as "
        "'에이비씨'; add it to voices/lexicon.yaml if it should be said otherwise",
    ]


def test_preview_shows_the_normalized_script_and_warnings(cli_project: Project) -> None:
    write_yaml(
        cli_project.messages_dir / "numbers.yaml",
        {
            "id": "numbers",
            "status": "approved",
            "text": "롬 8:28 말씀을 12명이 함께 읽었습니다. 힐링의 시간이었습니다.",
            "approved_by": "편집팀",
            "approved_at": "2026-11-20",
            "approved_sha256": text_sha256(
                "롬 8:28 말씀을 12명이 함께 읽었습니다. 힐링의 시간이었습니다."
            ),
        },
    )
    result = invoke("preview", "numbers", "--voice", "ko-offline")
    assert result.exit_code == 0, result.stderr
    assert (
        "  로마서 팔 장 이십팔 절 말씀을 열두 명이 함께 읽었습니다." in result.stdout.splitlines()
    )
    assert "warning: vocabulary: '힐링': may not be understood" in result.stderr
    source = (cli_project.messages_dir / "numbers.yaml").read_text("utf-8")
    assert "롬 8:28" in source  # the approved text is never changed


def test_voices_json_lists_every_profile_for_scripts(cli_project: Project) -> None:
    result = invoke("voices", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    by_name = {v["name"]: v for v in doc["voices"]}
    assert doc["schema"] == 1 and doc["ok"] is True
    assert by_name["ko-offline"]["engine"] == "espeak" and by_name["ko-offline"]["answering"]
    assert by_name["ko-azure-female"]["credentials_missing"] == ["SPEECH_KEY", "SPEECH_REGION"]
    assert by_name["ko-azure-female"]["fallback_voice"] == "ko-offline"


def test_render_and_validate_json_for_scripts(cli_project: Project) -> None:
    valid = invoke("validate", "--json", "input/episodes/2026-w47.yaml")
    assert valid.exit_code == 0
    assert json.loads(valid.stdout)["episode"]["voice"] == "ko-offline"
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


def test_help_reads_as_text_at_80_columns() -> None:
    """Flags without a '<bool>' value, environment variable names never cut, sentences whole."""
    for command in (["render"], ["batch"], ["validate"], ["preview"], ["cache", "clear"]):
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert result.exit_code == 0
        text = result.stdout
        assert "<bool>" not in text, command
        assert all(len(line) <= 80 for line in text.splitlines()), command
        for name in ("AUDIO_PIPELINE_CONCURRENCY", "AUDIO_PIPELINE_REQUESTS_PER_MINUTE"):
            if name[:16] in text:
                assert name in text, (command, name)  # on one line, whole
    validate = runner.invoke(app, ["validate", "--help"], terminal_width=80).stdout
    assert "Loanwords, what the spoken script does, cleared findings," in " ".join(validate.split())


def test_version_long_and_short() -> None:
    from audio_pipeline import __version__

    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0 and result.stdout.strip() == f"audio-pipeline {__version__}"


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
