"""approve, reject and migrate-approvals: the decision written into the message file, the
file's comments and layout kept, written atomically; an approval binds to the text."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from audio_pipeline.app import approval
from audio_pipeline.cli.main import app
from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs import edit

runner = CliRunner()
NOW = dt.datetime(2026, 11, 20, 14, 5, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))

HAND_WRITTEN = """\
# A message as an editor writes it: comments, a block scalar, keys in the editor's order.
id: hope-note
status: pending   # waiting for the editor
title: 소망의 편지
text: |
  어둠 속에서도 소망을 잃지 마십시오.

  우리가 함께 기도합니다.
notes: >-
  Translated by the team;
  checked twice.
# the end
"""


def cli(project: Project, *args: str) -> object:
    return runner.invoke(app, ["--project", str(project.root), *args])


def digest(text: str) -> str:
    """Independent of the product: sha256 of the NFC text, stripped."""
    return hashlib.sha256(unicodedata.normalize("NFC", text.strip()).encode()).hexdigest()


@pytest.fixture
def note(project: Project, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(project.root)  # file arguments are relative to the project
    path = project.messages_dir / "hope-note.yaml"
    path.write_text(HAND_WRITTEN, "utf-8")
    return path


def test_approve_writes_who_when_and_the_digest_and_keeps_the_layout(
    project: Project, note: Path
) -> None:
    result = cli(project, "approve", "hope-note", "--by", "편집팀")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("approved: hope-note: approved by 편집팀 at ")
    data = yaml.safe_load(note.read_text("utf-8"))
    assert data["status"] == "approved" and data["approved_by"] == "편집팀"
    assert isinstance(data["approved_at"], dt.datetime) and data["approved_at"].tzinfo
    assert data["approved_sha256"] == digest(data["text"])
    new = note.read_text("utf-8")
    # every line of the hand-written file is still there, in order; only the status changed
    kept = [line for line in HAND_WRITTEN.splitlines() if not line.startswith("status:")]
    lines = new.splitlines()
    assert [line for line in lines if line in kept] == kept
    assert "status: approved  # waiting for the editor" in lines  # the comment's column kept
    added = [line.split(":")[0] for line in lines if line not in kept and line[:1].isalpha()]
    assert added == ["status", "approved_by", "approved_at", "approved_sha256"]
    assert not list(note.parent.glob(".*.tmp")), "no temporary file left behind"


def test_the_approved_message_renders_its_validation(project: Project, note: Path) -> None:
    assert cli(project, "approve", "hope-note", "--by", "편집팀").exit_code == 0
    result = cli(project, "validate")
    assert result.exit_code == 0, result.stderr


def test_approve_refuses_text_with_an_identifying_detail(project: Project, note: Path) -> None:
    note.write_text(HAND_WRITTEN.replace("우리가 함께", "김철수 집사님과 함께"), "utf-8")
    before = note.read_bytes()
    result = cli(project, "approve", "hope-note", "--by", "편집팀")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        "error: input/messages/hope-note.yaml: text: identifying: '김철수 집사님': "
    )
    assert lines[-1] == "1 problem(s) found; nothing was written."
    assert note.read_bytes() == before
    # cleared by the editor: approved, and the clearance stays in the file
    note.write_text(
        note.read_text("utf-8") + "cleared:\n  - {words: 김철수 집사님, by: 편집팀}\n", "utf-8"
    )
    assert cli(project, "approve", "hope-note", "--by", "편집팀").exit_code == 0
    assert yaml.safe_load(note.read_text("utf-8"))["cleared"] == [
        {"words": "김철수 집사님", "by": "편집팀"}
    ]


def test_approving_again_changes_nothing(project: Project, note: Path) -> None:
    cli(project, "approve", "hope-note", "--by", "편집팀")
    before = note.read_bytes()
    result = cli(project, "approve", "hope-note", "--by", "다른 편집자")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "unchanged: hope-note: already approved for this text by 편집팀"
    )
    assert note.read_bytes() == before


def test_text_changed_after_approval_blocks_render_until_approved_again(
    project: Project, note: Path
) -> None:
    approval.approve_message(project, "hope-note", "편집팀", NOW)
    note.write_text(note.read_text("utf-8").replace("함께 기도합니다", "늘 기도합니다"), "utf-8")
    # in no episode: validate lists it as a warning and succeeds
    whole = cli(project, "validate")
    assert whole.exit_code == 0, whole.stderr
    assert (
        "warning: input/messages/hope-note.yaml: text: text changed after approval on "
        "2026-11-20 14:05 by 편집팀; approve again" in whole.stderr
    )
    # in an episode: render refuses it before anything is synthesized
    episode = project.episodes_dir / "2026-w47.yaml"
    episode.write_text(
        episode.read_text("utf-8").replace("  - not-alone\n", "  - hope-note\n"), "utf-8"
    )
    result = cli(project, "render", "input/episodes/2026-w47.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: input/messages/hope-note.yaml: text: text changed after approval on "
        "2026-11-20 14:05 by 편집팀; approve again (audio-pipeline approve hope-note --by NAME)",
        "1 problem(s) found; nothing was written.",
    ]
    assert not (project.output_dir / "2026-w47").exists()
    assert not project.cache_dir.exists() or not any(project.cache_dir.rglob("*.wav"))
    assert cli(project, "validate", "input/episodes/2026-w47.yaml").exit_code == 2
    assert cli(project, "approve", "hope-note", "--by", "편집팀").exit_code == 0
    assert cli(project, "validate", "input/episodes/2026-w47.yaml").exit_code == 0


def test_reject_records_who_why_and_removes_the_approval(project: Project, note: Path) -> None:
    approval.approve_message(project, "hope-note", "편집팀", NOW)
    result = cli(project, "reject", "hope-note", "--by", "편집장", "--reason", "장소가 드러납니다")
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(note.read_text("utf-8"))
    assert data["status"] == "rejected"
    assert (data["rejected_by"], data["rejection_reason"]) == ("편집장", "장소가 드러납니다")
    assert not {"approved_by", "approved_at", "approved_sha256"} & set(data)
    assert "# the end" in note.read_text("utf-8")
    approved_again = cli(project, "approve", "hope-note", "--by", "편집팀")
    assert approved_again.exit_code == 0
    assert not {"rejected_by", "rejected_at", "rejection_reason"} & set(
        yaml.safe_load(note.read_text("utf-8"))
    )


def test_unknown_message_and_empty_name_are_one_line_exit_2(project: Project) -> None:
    unknown = cli(project, "approve", "nope", "--by", "편집팀")
    assert unknown.exit_code == 2
    assert unknown.stderr.splitlines()[0] == (
        "error: input/messages/nope.yaml: no message with id 'nope' in input/messages/"
    )
    empty = cli(project, "reject", "not-alone", "--by", "  ")
    assert empty.exit_code == 2 and "error: --by: is empty" in empty.stderr


def test_migration_binds_old_approvals_once(project: Project) -> None:
    for path in project.messages_dir.glob("*.yaml"):
        kept = [x for x in path.read_text("utf-8").splitlines(True) if "approved_sha256" not in x]
        path.write_text("".join(kept), "utf-8")
    assert cli(project, "validate", "input/episodes/2026-w47.yaml").exit_code == 2
    result = cli(project, "migrate-approvals", "--by", "편집팀")
    assert result.exit_code == 0, result.stderr
    approved = sum(
        yaml.safe_load(p.read_text("utf-8"))["status"] == "approved"
        for p in project.messages_dir.glob("*.yaml")
    )
    assert approved == 8  # the sample's seven messages and its filler reading
    assert result.stdout.splitlines()[-1] == f"{approved} approval(s) bound to their text"
    for path in project.messages_dir.glob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        if data["status"] == "approved":
            assert data["approved_sha256"] == digest(data["text"])
            assert "(audio-pipeline migrate-approvals)" in path.read_text("utf-8")
        else:
            assert "approved_sha256" not in data
    assert cli(project, "validate", "input/episodes/2026-w47.yaml").exit_code == 0
    again = cli(project, "migrate-approvals", "--by", "편집팀")
    assert again.stdout.splitlines() == ["0 approval(s) bound to their text"]


def test_a_file_changed_during_the_edit_is_not_overwritten(
    project: Project, note: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = edit._replace

    def someone_else_saves_first(
        path: Path, original: bytes, content: bytes, shown: str, **how: bool
    ) -> None:
        path.write_text(HAND_WRITTEN.replace("소망의 편지", "다른 편지"), "utf-8")
        real_replace(path, original, content, shown, **how)

    monkeypatch.setattr(edit, "_replace", someone_else_saves_first)
    result = cli(project, "approve", "hope-note", "--by", "편집팀")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: input/messages/hope-note.yaml changed on disk while it was being edited; "
        "nothing was written. Run the command again"
    )
    assert "다른 편지" in note.read_text("utf-8")
    assert "approved_sha256" not in note.read_text("utf-8")
    assert not list(note.parent.glob(".*.tmp"))


def test_text_edited_between_the_check_and_the_write_is_not_approved(
    project: Project, note: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_edit = approval.edit_mapping

    def edit_after_a_change(path: Path, *args: object, **kwargs: object) -> None:
        path.write_text(HAND_WRITTEN.replace("우리가 함께", "이 장로님과 함께"), "utf-8")
        real_edit(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(approval, "edit_mapping", edit_after_a_change)
    with pytest.raises(InputError) as caught:
        approval.approve_message(project, "hope-note", "편집팀", NOW)
    assert "changed while it was being approved" in str(caught.value)
    assert "approved_sha256" not in note.read_text("utf-8")
