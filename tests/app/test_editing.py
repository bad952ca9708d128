"""Writing and editing messages as the studio does (app/editing.py): a new message written
once, an edit refused when the file changed since it was opened or the message is rejected."""

from __future__ import annotations

import pytest

from audio_pipeline.app import editing
from audio_pipeline.core.errors import InputError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.edit import FileExists, StaleEdit, create_mapping, file_sha256
from audio_pipeline.inputs.messages import load_messages


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
