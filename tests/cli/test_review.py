"""The editor's commands (cli/review.py): `validate`, `normalize-text`, `preview`, `review`."""

from __future__ import annotations

import json
import re

import pytest

from audio_pipeline.cli.main import app
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.project import Project
from tests.cli.conftest import invoke, runner
from tests.conftest import write_yaml


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


def test_validate_json_for_scripts(cli_project: Project) -> None:
    valid = invoke("validate", "--json", "input/episodes/2026-w47.yaml")
    assert valid.exit_code == 0
    assert json.loads(valid.stdout)["episode"]["voice"] == "ko-offline"
