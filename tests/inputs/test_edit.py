"""Editing an input file in place as a person would: only the named fields change, comments,
order, quoting and block scalars stay; a check that fails writes nothing; a file changed by
someone else is never overwritten; a new file never replaces one."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.inputs.edit import (
    DELETE,
    EditConflict,
    FileExists,
    StaleEdit,
    block_text,
    create_mapping,
    edit_mapping,
    file_sha256,
)

MESSAGE = """\
# written by hand
id: hope  # the file's name
status: pending
title: '소망'
text: |
  첫 줄입니다.
  둘째 줄입니다.
approved_by: 편집팀
notes: keep me
"""


def no_problems(data: dict[str, Any]) -> list[Problem]:
    return []


@pytest.fixture
def message(tmp_path: Path) -> Path:
    path = tmp_path / "input" / "messages" / "hope.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(MESSAGE, "utf-8")
    return path


def test_only_the_named_fields_change_and_the_layout_stays(message: Path, tmp_path: Path) -> None:
    edit_mapping(message, {"status": "approved"}, root=tmp_path, check=no_problems)
    assert message.read_text("utf-8") == MESSAGE.replace("status: pending", "status: approved")


def test_a_new_field_joins_its_group_and_a_deleted_one_goes(message: Path, tmp_path: Path) -> None:
    edit_mapping(
        message,
        {"approved_at": "2026-11-20", "notes": DELETE, "filler": True},
        root=tmp_path,
        check=no_problems,
        group="approved_",
    )
    assert message.read_text("utf-8") == (
        "# written by hand\n"
        "id: hope  # the file's name\n"
        "status: pending\n"
        "title: '소망'\n"
        "text: |\n"
        "  첫 줄입니다.\n"
        "  둘째 줄입니다.\n"
        "approved_by: 편집팀\n"
        "approved_at: '2026-11-20'\n"  # after the last approved_ field
        "filler: true\n"  # no field of its group: at the end
    )


def test_a_changed_field_may_get_a_comment(message: Path, tmp_path: Path) -> None:
    edit_mapping(
        message,
        {"status": "approved"},
        root=tmp_path,
        check=no_problems,
        comments={"status": "by the studio"},
    )
    assert "\nstatus: approved # by the studio\n" in message.read_text("utf-8")


def test_a_comment_this_tool_wrote_goes_when_its_field_changes(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "approved_sha256: abc  # bound by 편집팀 (audio-pipeline migrate-approvals)\n"
        "id: m  # migrate-approvals is named here too, but this field does not change\n",
        "utf-8",
    )
    edit_mapping(
        path,
        {"approved_sha256": "def"},
        root=tmp_path,
        check=no_problems,
        stale_comment_marker="migrate-approvals",
    )
    assert path.read_text("utf-8") == (
        "approved_sha256: def\n"
        "id: m  # migrate-approvals is named here too, but this field does not change\n"
    )


def test_a_multi_line_value_is_written_as_a_block(message: Path, tmp_path: Path) -> None:
    edit_mapping(
        message, {"text": block_text("새 첫 줄.\n새 둘째 줄.")}, root=tmp_path, check=no_problems
    )
    assert "text: |\n  새 첫 줄.\n  새 둘째 줄.\napproved_by:" in message.read_text("utf-8")


def test_a_failed_check_writes_nothing(message: Path, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def check(data: dict[str, Any]) -> list[Problem]:
        seen.append(data)
        return [Problem("input/messages/hope.yaml", "status", "'nope' is not allowed")]

    with pytest.raises(InputError) as caught:
        edit_mapping(message, {"status": "nope"}, root=tmp_path, check=check)
    assert [str(p) for p in caught.value.problems] == [
        "input/messages/hope.yaml: status: 'nope' is not allowed"
    ]
    assert seen[0]["status"] == "nope"  # the check saw the content as it would be read
    assert message.read_text("utf-8") == MESSAGE
    assert sorted(p.name for p in message.parent.iterdir()) == ["hope.yaml"]  # no temporary


def test_an_edit_from_a_page_loaded_before_another_change_is_refused(
    message: Path, tmp_path: Path
) -> None:
    as_loaded = hashlib.sha256(MESSAGE.encode("utf-8")).hexdigest()
    assert file_sha256(message) == as_loaded
    message.write_text(MESSAGE.replace("keep me", "someone else's note"), "utf-8")
    with pytest.raises(StaleEdit) as caught:
        edit_mapping(
            message,
            {"status": "approved"},
            root=tmp_path,
            check=no_problems,
            expected_sha256=as_loaded,
        )
    assert str(caught.value) == (
        "input/messages/hope.yaml changed on disk since you opened it (by another editor or a "
        "text editor); reload to see it"
    )
    assert caught.value.exit_code == 2
    assert "someone else's note" in message.read_text("utf-8")


def test_an_edit_of_the_file_as_loaded_goes_through(message: Path, tmp_path: Path) -> None:
    edit_mapping(
        message,
        {"status": "approved"},
        root=tmp_path,
        check=no_problems,
        expected_sha256=file_sha256(message),
    )
    assert "status: approved" in message.read_text("utf-8")


@pytest.mark.parametrize("from_a_page", [False, True])
def test_a_file_changed_during_the_edit_is_not_overwritten(
    message: Path, tmp_path: Path, from_a_page: bool
) -> None:
    other = MESSAGE.replace("keep me", "written meanwhile")

    def check_while_someone_writes(data: dict[str, Any]) -> list[Problem]:
        message.write_text(other, "utf-8")  # another process, between the read and the write
        return []

    expected = file_sha256(message) if from_a_page else None
    with pytest.raises(EditConflict) as caught:
        edit_mapping(
            message,
            {"status": "approved"},
            root=tmp_path,
            check=check_while_someone_writes,
            expected_sha256=expected,
        )
    assert isinstance(caught.value, StaleEdit) is from_a_page
    assert caught.value.exit_code == (2 if from_a_page else 1)
    if not from_a_page:
        assert str(caught.value) == (
            "input/messages/hope.yaml changed on disk while it was being edited; nothing was "
            "written. Run the command again"
        )
    assert message.read_text("utf-8") == other
    assert sorted(p.name for p in message.parent.iterdir()) == ["hope.yaml"]


def test_the_file_keeps_its_permissions(message: Path, tmp_path: Path) -> None:
    message.chmod(0o600)
    edit_mapping(message, {"status": "approved"}, root=tmp_path, check=no_problems)
    assert message.stat().st_mode & 0o777 == 0o600


def test_a_link_inside_the_project_edits_the_file_it_names(message: Path, tmp_path: Path) -> None:
    link = message.parent / "alias.yaml"
    link.symlink_to(message.name)
    edit_mapping(link, {"status": "approved"}, root=tmp_path, check=no_problems)
    assert link.is_symlink()
    assert "status: approved" in message.read_text("utf-8")


def test_a_file_that_does_not_read_is_not_edited(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n", "utf-8")
    with pytest.raises(InputError) as caught:
        edit_mapping(path, {"status": "approved"}, root=tmp_path, check=no_problems)
    [problem] = caught.value.problems
    assert problem.file == "broken.yaml" and problem.message.startswith("invalid YAML: ")
    assert path.read_text("utf-8") == "id: [unclosed\n"


def test_a_new_file_is_written_in_the_order_given(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    create_mapping(
        path,
        {"id": "new", "status": "draft", "text": block_text("하나\n둘")},
        root=tmp_path,
        check=no_problems,
    )
    assert path.read_text("utf-8") == "id: new\nstatus: draft\ntext: |\n  하나\n  둘\n"
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.yaml"]


def test_a_new_file_never_replaces_one(tmp_path: Path) -> None:
    path = tmp_path / "taken.yaml"
    path.write_text("id: taken\n", "utf-8")
    with pytest.raises(FileExists) as caught:
        create_mapping(path, {"id": "taken", "status": "draft"}, root=tmp_path, check=no_problems)
    assert str(caught.value) == "taken.yaml exists already; choose another id, or open that message"
    assert caught.value.exit_code == 2
    assert path.read_text("utf-8") == "id: taken\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.yaml"]


def test_a_new_file_that_fails_its_check_is_not_written(tmp_path: Path) -> None:
    def check(data: dict[str, Any]) -> list[Problem]:
        return [Problem("new.yaml", "text", "missing; this field is required")]

    with pytest.raises(InputError):
        create_mapping(tmp_path / "new.yaml", {"id": "new"}, root=tmp_path, check=check)
    assert list(tmp_path.iterdir()) == []


def test_a_block_ends_with_one_line_break() -> None:
    assert str(block_text("하나\n둘")) == "하나\n둘\n"
    assert str(block_text("하나\n")) == "하나\n"
