"""Message files: read and validated (file, field, what is allowed), every field of a valid
one, the cleared findings, and the index by id where two files claiming one id are both told."""

from __future__ import annotations

from audio_pipeline.core.project import Project
from audio_pipeline.inputs.messages import load_messages
from tests.conftest import write_yaml
from tests.inputs.conftest import problems_of


def test_empty_message_text(project: Project) -> None:
    write_yaml(
        project.messages_dir / "empty-one.yaml",
        {
            "id": "empty-one",
            "status": "approved",
            "text": "  ",
            "approved_by": "편집팀",
            "approved_at": "2026-11-20",
        },
    )
    lines = problems_of(project, messages=["empty-one"])
    assert "input/messages/empty-one.yaml: text: is empty; write the text" in lines


def test_approved_message_needs_approver_date_and_korean(project: Project) -> None:
    write_yaml(
        project.messages_dir / "english-only.yaml",
        {"id": "english-only", "status": "approved", "text": "You are not alone."},
    )
    index = load_messages(project)
    lines = [str(p) for p in index.problems_of("input/messages/english-only.yaml")]
    assert "input/messages/english-only.yaml: approved_by: missing; this field is required" in lines
    assert "input/messages/english-only.yaml: approved_at: missing; this field is required" in lines
    assert any("has no Korean (Hangul) text" in line for line in lines)


def test_message_file_name_must_match_its_id(project: Project) -> None:
    text = (project.messages_dir / "not-alone.yaml").read_text("utf-8")
    (project.messages_dir / "not-alone.yaml").unlink()
    (project.messages_dir / "renamed.yaml").write_text(text, "utf-8")
    index = load_messages(project)
    assert any("name the file not-alone.yaml" in str(p) for p in index.problems)
