"""Message files: read and validated (file, field, what is allowed), every field of a valid
one, the cleared findings, and the index by id where two files claiming one id are both told."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest

from audio_pipeline.core.models import Clearance, Status
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.messages import load_messages, validate_message
from tests.conftest import write_yaml
from tests.inputs.conftest import problems_of

TEXT = "사랑하는 형제자매 여러분,\n당신은 혼자가 아닙니다."
DIGEST = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()


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


def approved(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "hope",
        "status": "approved",
        "text": TEXT,
        "approved_by": "편집팀",
        "approved_at": dt.date(2026, 11, 16),
        "approved_sha256": DIGEST,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def validated(tmp_path: Path, data: dict[str, Any]) -> tuple[Any, list[str], str | None]:
    project = Project.at(tmp_path)
    path = project.messages_dir / "hope.yaml"
    message, problems, claimed = validate_message(data, path, project)
    return message, [str(p) for p in problems], claimed


def test_every_field_of_a_valid_message_is_read(tmp_path: Path) -> None:
    data = approved(
        title=" 소망 ",
        attribution="성도들",
        attribution_approved=True,
        filler=True,
        notes="번역: 편집팀\n확인함",
        cleared=[
            {"words": "김철수 집사님", "by": "편집팀", "at": dt.date(2026, 11, 20), "note": "필명"},
            {"words": "박 장로님", "by": "편집팀"},
        ],
        approved_at="2026-11-16T09:30:00+09:00",
    )
    message, problems, claimed = validated(tmp_path, data)
    assert problems == [] and claimed == "hope"
    assert message.id == "hope" and message.status is Status.APPROVED
    assert message.text == TEXT and message.title == "소망"  # surrounding spaces dropped
    seoul = dt.timezone(dt.timedelta(hours=9))
    assert message.approved_at == dt.datetime(2026, 11, 16, 9, 30, tzinfo=seoul)
    assert message.approved_sha256 == DIGEST and message.is_approved
    assert (message.attribution, message.attribution_approved) == ("성도들", True)
    assert message.filler and message.notes == "번역: 편집팀\n확인함"
    assert message.cleared == (
        Clearance("김철수 집사님", "편집팀", dt.date(2026, 11, 20), "필명"),
        Clearance("박 장로님", "편집팀", None, None),
    )
    assert message.source == tmp_path / "input/messages/hope.yaml"


def test_a_draft_needs_no_approver_and_no_korean(tmp_path: Path) -> None:
    message, problems, _ = validated(
        tmp_path, {"id": "hope", "status": "draft", "text": "You are not alone."}
    )
    assert problems == []
    assert message.status is Status.DRAFT and message.approved_by is None
    assert not message.attribution_approved and not message.filler and message.cleared == ()


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"status": "published"},
            "status: 'published' is not allowed; allowed: draft, pending, approved, rejected",
        ),
        ({"title": "첫 줄\n둘째 줄"}, "title: must be a single line"),
        ({"text": "가" * 5_001}, "text: is 5001 characters; at most 5000 allowed"),
        ({"text": "벨\a소리"}, "text: contains control characters; remove them"),
        ({"attribution_approved": "yes"}, "attribution_approved: expected true or false, got str"),
        (
            {"approved_at": "next week"},
            "approved_at: 'next week' is not a date or time; write YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM",
        ),
        (
            {"approved_sha256": DIGEST.upper()},
            "approved_sha256: is not a SHA-256 digest (64 characters 0-9, a-f); approve the "
            "message again (audio-pipeline approve) to record it",
        ),
        (
            {"approved_sha256": DIGEST[:63]},
            "approved_sha256: is not a SHA-256 digest (64 characters 0-9, a-f); approve the "
            "message again (audio-pipeline approve) to record it",
        ),
        (
            {"cleared": [{"words": "김철수"}] * 201},
            "cleared: has 201 entries; at most 200 allowed",
        ),
        (
            {"cleared": [7]},
            "cleared[0]: expected {words: ..., by: ...}, e.g. cleared: [{words: 김철수 집사님, "
            "by: 편집팀, at: 2026-11-20}]",
        ),
        ({"approved_by": None}, "approved_by: missing; this field is required"),
        ({"id": "Hope!"}, "id: 'Hope!' is not a safe id; allowed: 1-64 characters: a-z, 0-9 "
         "and '-', starting and ending with a letter or digit"),
        ({"text": "You are not alone."},
         "text: has no Korean (Hangul) text; only translated messages can be approved"),
        ({"author": "김"}, "author: unknown field; allowed fields: approved_at, approved_by, "
         "approved_sha256, attribution, attribution_approved, cleared, filler, id, notes, "
         "rejected_at, rejected_by, rejection_reason, status, text, title"),
    ],
)  # fmt: skip
def test_a_bad_field_is_one_line_and_no_message(
    tmp_path: Path, changes: dict[str, Any], line: str
) -> None:
    data = {**approved(), **changes}
    message, problems, _ = validated(tmp_path, {k: v for k, v in data.items() if v is not None})
    assert message is None
    assert problems == [f"input/messages/hope.yaml: {line}"]


def test_the_claimed_id_is_told_even_when_the_file_has_problems(tmp_path: Path) -> None:
    message, problems, claimed = validated(tmp_path, approved(status="unknown"))
    assert message is None and problems and claimed == "hope"


def message_file(folder: Path, name: str, **fields: Any) -> None:
    write_yaml(folder / name, {"id": "hope", "status": "draft", "text": "소망", **fields})


def test_two_files_claiming_one_id_are_both_told_and_neither_is_used(tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    message_file(project.messages_dir, "hope.yaml")
    message_file(project.messages_dir, "hope-copy.yaml")
    message_file(project.messages_dir, "other.yaml", id="other")
    index = load_messages(project)
    assert set(index.messages) == {"other"}
    assert index.duplicates == {
        "hope": ["input/messages/hope-copy.yaml", "input/messages/hope.yaml"]
    }
    assert sorted(str(p) for p in index.problems) == [
        "input/messages/hope-copy.yaml: id: 'hope' does not match the file name; name the file "
        "hope.yaml",
        "input/messages/hope-copy.yaml: id: duplicate id 'hope' (also in input/messages/hope.yaml)",
        "input/messages/hope.yaml: id: duplicate id 'hope' (also in input/messages/hope-copy.yaml)",
    ]
    assert index.problems_of("input/messages/other.yaml") == []


def test_yml_files_are_messages_too_and_a_missing_folder_is_told(tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    assert [str(p) for p in load_messages(project).problems] == [
        "input/messages: folder not found; messages live here"
    ]
    message_file(project.messages_dir, "hope.yml")
    assert list(load_messages(project).messages) == ["hope"]
