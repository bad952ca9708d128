"""Writing and editing messages and episodes as the studio does (app/editing.py,
app/episodes.py), and clearing a finding from the command line (`clear`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.app import editing, episodes
from audio_pipeline.cli.main import app
from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.edit import FileExists, StaleEdit, create_mapping, file_sha256
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.inputs.messages import load_messages

NAMED = "사랑하는 김철수 집사님, 힘내세요. 기도 요청은 pray@example.org 로 보내 주세요."


def run(project: Project, *args: str) -> object:
    return CliRunner().invoke(app, ["--project", str(project.root), *args])


def test_a_new_message_is_written_once_and_reads_back(project: Project) -> None:
    editing.create_message(project, "new-one", title="새 글", text="힘내세요.\r\n\r\n기도합니다.  ")
    message = load_messages(project).messages["new-one"]
    assert message.status.value == "pending" and message.text == "힘내세요.\n\n기도합니다."
    assert "text: |" in message.source.read_text("utf-8")
    with pytest.raises(InputError, match="is taken"):
        editing.create_message(project, "new-one", title="", text="다른 글")
    # a file that appears between the check and the write is not replaced either
    with pytest.raises(FileExists):
        create_mapping(
            message.source,
            {"id": "new-one", "status": "draft", "text": "x"},
            root=project.root,
            check=lambda data: [],
        )
    assert load_messages(project).messages["new-one"].text == "힘내세요.\n\n기도합니다."


def test_a_rejected_message_is_not_edited_and_a_stale_digest_is_refused(project: Project) -> None:
    path = project.messages_dir / "rejected-example.yaml"
    with pytest.raises(InputError, match="rejected; it is not edited"):
        editing.edit_message(
            project, "rejected-example", title="", text="글", expected_sha256=file_sha256(path)
        )
    with pytest.raises(StaleEdit, match="changed on disk since you opened it"):
        editing.edit_message(project, "church-prays", title="", text="글", expected_sha256="0" * 64)


def test_clear_writes_the_finding_and_refuses_an_address(project: Project) -> None:
    editing.create_message(project, "named", title="", text=NAMED)
    result = run(project, "clear", "named", "--words", "김철수  집사님", "--by", "편집팀")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "cleared: named: '김철수 집사님' cleared by 편집팀" in result.stdout  # type: ignore[attr-defined]
    message = load_messages(project).messages["named"]
    assert [(c.words, c.by) for c in message.cleared] == [("김철수 집사님", "편집팀")]
    result = run(project, "clear", "named", "--words", "pray@example.org", "--by", "편집팀")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "cannot be cleared" in result.stderr  # type: ignore[attr-defined]
    result = run(project, "clear", "named", "--words", "박 장로님", "--by", "편집팀")
    assert result.exit_code == 2 and "is not a finding" in result.stderr  # type: ignore[attr-defined]


def test_the_slot_fit_says_what_to_drop(project: Project, rendered: tuple[Project, Path]) -> None:
    warm = Project.at(project.root, cache_dir=rendered[0].cache_dir)
    path = warm.episodes_dir / "2026-w47.yaml"
    path.write_text(path.read_text("utf-8") + 'slot: "1:15"\nmargin: "0:05"\n', "utf-8")
    inputs = load_episode(path, warm)
    order = [episodes.Entry(m) for m in ("not-alone", "church-prays", "not-forgotten")]
    fit = episodes.slot_fit(inputs, order, "ko-offline", load_messages(warm))
    assert not fit.fits and fit.target_s == 70.0
    assert fit.report[0].startswith("programme overruns its slot by ")
    assert any(line.startswith("drop to fit: ") for line in fit.report)
    assert fit.estimated == 0  # every clip came from the cache, for its own voice
    fit = episodes.slot_fit(inputs, order[:1], "ko-offline", load_messages(warm))
    assert fit.fits and fit.report[0].startswith("fits: ")
