"""The identifying-details gate as a producer meets it: render, batch and preview with a network
voice refuse a message with an identifying detail (exit 2, one line per finding) before
anything is synthesized; nothing reaches the cache, the output folder or the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.project import Project
from tests.conftest import write_yaml

runner = CliRunner()
TEXT = (
    "사랑하는 형제자매 여러분, 당신은 혼자가 아닙니다.\n"
    "김철수 집사님께서 매일 당신을 위해 기도하고 계십니다.\n"
    "기도 요청은 prayer.kim@example.org 으로 보내 주시면 됩니다."
)
FILE = "input/messages/not-alone.yaml"
NAME_LINE = (
    f"error: {FILE}: text: identifying: '김철수 집사님': a name with a title identifies a "
    "person; remove it or use a general word (한 형제, 한 자매); or, after judging it harmless, "
    "add {words: 김철수 집사님, by: NAME} under `cleared:` in the message file"
)
EMAIL_LINE = (
    f"error: {FILE}: text: identifying: 'prayer.kim@example.org': an e-mail address reaches one "
    "person; rewrite the sentence without it (it is never read on the air)"
)


@pytest.fixture
def planted(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The sample project on a fresh clone (empty cache), with a producer's approved message
    holding a name with a title and an e-mail address, approved for exactly this text."""
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(tmp_path / "empty-cache"))
    write_yaml(
        project.messages_dir / "not-alone.yaml",
        {
            "id": "not-alone",
            "status": "approved",
            "title": "당신은 혼자가 아닙니다",
            "text": TEXT,
            "approved_by": "편집팀",
            "approved_at": "2026-11-16",
            "approved_sha256": text_sha256(TEXT),
        },
    )
    return project


def nothing_synthesized(project: Project, tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))
    assert not (project.output_dir / "2026-w47").exists()


def test_render_refuses_before_anything_is_synthesized(planted: Project, tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "input/episodes/2026-w47.yaml"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        NAME_LINE,
        EMAIL_LINE,
        "2 problem(s) found; nothing was written.",
    ]
    nothing_synthesized(planted, tmp_path)


def test_validate_of_the_episode_and_of_the_project_exit_2(planted: Project) -> None:
    for args in (["validate", "input/episodes/2026-w47.yaml"], ["validate"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert NAME_LINE in result.stderr.splitlines()
        assert EMAIL_LINE in result.stderr.splitlines()


def test_a_cleared_name_renders_with_a_warning_and_the_address_still_blocks(
    planted: Project,
) -> None:
    path = planted.messages_dir / "not-alone.yaml"
    path.write_text(
        path.read_text("utf-8") + "cleared:\n  - {words: 김철수 집사님, by: 편집팀}\n", "utf-8"
    )
    result = runner.invoke(app, ["validate", "input/episodes/2026-w47.yaml"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [EMAIL_LINE, "1 problem(s) found; nothing was written."]


def test_batch_fails_the_episode_and_lists_every_finding(planted: Project, tmp_path: Path) -> None:
    result = runner.invoke(app, ["batch", "--week", "2026-W47", "--json", "--quiet"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    by_id = {e["episode_id"]: e for e in report["episodes"]}
    # every sample episode airs not-alone: none is rendered, nothing is synthesized
    assert {e["status"] for e in by_id.values()} == {"failed"}
    assert by_id["2026-w47"]["problems"] == [NAME_LINE[len("error: ") :], EMAIL_LINE[7:]]
    nothing_synthesized(planted, tmp_path)


@responses.activate  # any request to Google would fail the test: none is registered
def test_preview_with_a_network_voice_runs_the_gate(planted: Project, tmp_path: Path) -> None:
    result = runner.invoke(app, ["preview", "not-alone", "--voice", "ko-google"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        NAME_LINE,
        EMAIL_LINE,
        "2 problem(s) found; nothing was written.",
    ]
    assert len(responses.calls) == 0
    nothing_synthesized(planted, tmp_path)
    review = runner.invoke(app, ["review", "not-alone", "--voice", "ko-google"])
    assert review.exit_code == 2 and NAME_LINE in review.stderr.splitlines()
    assert len(responses.calls) == 0


def test_preview_with_an_offline_voice_keeps_the_text_on_the_machine(planted: Project) -> None:
    result = runner.invoke(app, ["preview", "not-alone", "--voice", "ko-offline"])
    assert result.exit_code == 0, result.stderr
    assert "warning: identifying: '김철수 집사님'" in result.stderr
