"""Message files (input/messages/*.yaml): read, validate, and index by id."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.models import (
    Message,
    Status,
)
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.fields import FieldReader
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from audio_pipeline.text.checks import describe
from audio_pipeline.text.lexicon import EMPTY, Lexicon
from audio_pipeline.text.normalize import review_warnings

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


MESSAGE_FIELDS = (
    "id",
    "status",
    "text",
    "approved_by",
    "approved_at",
    "title",
    "attribution",
    "attribution_approved",
    "notes",
)


def _read_message(path: Path, project: Project) -> tuple[Message | None, list[Problem], str | None]:
    """(message or None, problems, the id the file claims even when it has problems)."""
    data, problems = load_yaml_mapping(path, root=project.root)
    if data is None:
        return None, problems, None
    r = FieldReader(data, project.show(path), problems)
    r.reject_unknown(MESSAGE_FIELDS)
    msg_id = r.ident("id")
    status = r.choice("status", [s.value for s in Status])
    text = r.text("text", max_chars=defaults.MAX_TEXT_CHARS, multiline=True)
    approved = status == Status.APPROVED.value
    approved_by = r.text("approved_by", required=approved)
    approved_at = r.timestamp("approved_at", required=approved)
    title = r.text("title", required=False, max_chars=200)
    attribution = r.text("attribution", required=False, max_chars=200)
    attribution_approved = r.boolean("attribution_approved")
    notes = r.text("notes", required=False, max_chars=5000, multiline=True)
    if msg_id is not None and path.stem != msg_id:
        r.problem("id", f"'{msg_id}' does not match the file name; name the file {msg_id}.yaml")
    if approved and text is not None and not HANGUL.search(text):
        r.problem("text", "has no Korean (Hangul) text; only translated messages can be approved")
    if problems or msg_id is None or status is None or text is None:
        return None, problems, msg_id
    return (
        Message(
            id=msg_id,
            status=Status(status),
            text=text,
            approved_by=approved_by,
            approved_at=approved_at,
            source=path,
            title=title,
            attribution=attribution,
            attribution_approved=attribution_approved,
            notes=notes,
        ),
        problems,
        msg_id,
    )


@dataclass(frozen=True)
class MessageIndex:
    messages: dict[str, Message]  # valid messages by id (ids claimed twice left out)
    problems: list[Problem]  # of every message file
    duplicates: dict[str, list[str]]  # id -> files claiming it

    def problems_of(self, file: str) -> list[Problem]:
        return [p for p in self.problems if p.file == file]


def load_messages(project: Project) -> MessageIndex:
    """Every message file, keyed by id. Two files claiming one id is a problem of both, and
    the id is left out: which text is the approved one is for the editor to say."""
    claims: dict[str, list[Path]] = {}
    valid: dict[str, Message] = {}
    problems: list[Problem] = []
    folder = project.messages_dir
    if not folder.is_dir():
        missing = Problem(project.show(folder), "", "folder not found; messages live here")
        return MessageIndex({}, [missing], {})
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        message, file_problems, claimed = _read_message(path, project)
        problems += file_problems
        if claimed is not None:
            claims.setdefault(claimed, []).append(path)
        if message is not None:
            valid[message.id] = message
    messages: dict[str, Message] = {}
    duplicates: dict[str, list[str]] = {}
    for msg_id, paths in claims.items():
        if len(paths) == 1:
            if msg_id in valid:
                messages[msg_id] = valid[msg_id]
            continue
        files = [project.show(p) for p in paths]
        duplicates[msg_id] = files
        for file in files:
            others = ", ".join(f for f in files if f != file)
            problems.append(Problem(file, "id", f"duplicate id '{msg_id}' (also in {others})"))
    return MessageIndex(messages, problems, duplicates)


def message_warnings(
    project: Project, messages: Iterable[Message], lexicon: Lexicon = EMPTY
) -> list[Problem]:
    """Listener checks and what the spoken script does, per message text: warnings for the
    editor, never errors (they do not change an exit code)."""
    return [
        Problem(project.show(m.source), "text", describe(w))
        for m in messages
        for w in review_warnings(m.text, lexicon)
    ]
