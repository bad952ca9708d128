"""Message files (input/messages/*.yaml): read, validate, and index by id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.models import Clearance, Message, Status
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.fields import FieldReader, SubReader
from audio_pipeline.inputs.yamlio import load_yaml_mapping

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
    "approved_sha256",
    "cleared",
    "rejected_by",
    "rejected_at",
    "rejection_reason",
    "filler",
)
CLEARED_FIELDS = ("words", "by", "at", "note")
MAX_CLEARED = 200
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _read_message(path: Path, project: Project) -> tuple[Message | None, list[Problem], str | None]:
    """(message or None, problems, the id the file claims even when it has problems)."""
    data, problems = load_yaml_mapping(path, root=project.root)
    if data is None:
        return None, problems, None
    return validate_message(data, path, project, problems)


def validate_message(
    data: dict[str, Any], path: Path, project: Project, problems: list[Problem] | None = None
) -> tuple[Message | None, list[Problem], str | None]:
    """A message file's loaded data -> (message or None, problems, the id it claims)."""
    problems = [] if problems is None else problems
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
    filler = r.boolean("filler")
    notes = r.text("notes", required=False, max_chars=5000, multiline=True)
    approved_sha256 = _digest(r)
    cleared = _cleared(r)
    rejected_by = r.text("rejected_by", required=False)
    rejected_at = r.timestamp("rejected_at", required=False)
    rejection_reason = r.text("rejection_reason", required=False, max_chars=2000, multiline=True)
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
            approved_sha256=approved_sha256,
            cleared=cleared,
            rejected_by=rejected_by,
            rejected_at=rejected_at,
            rejection_reason=rejection_reason,
            filler=filler,
        ),
        problems,
        msg_id,
    )


def _digest(r: FieldReader) -> str | None:
    """approved_sha256: written by `audio-pipeline approve`, the digest of the approved text."""
    value = r.data.get("approved_sha256")
    if value is None:
        return None
    if not isinstance(value, str) or not SHA256_HEX.match(value):
        r.problem(
            "approved_sha256",
            "is not a SHA-256 digest (64 characters 0-9, a-f); "
            "approve the message again (audio-pipeline approve) to record it",
        )
        return None
    return value


def _cleared(r: FieldReader) -> tuple[Clearance, ...]:
    """`cleared:` findings an editor judged harmless, each {words, by, at?, note?}."""
    raw = r.data.get("cleared")
    if raw is None:
        return ()
    example = "e.g. cleared: [{words: 김철수 집사님, by: 편집팀, at: 2026-11-20}]"
    if not isinstance(raw, list):
        r.problem("cleared", f"expected a list of cleared findings, {example}")
        return ()
    if len(raw) > MAX_CLEARED:
        r.problem("cleared", f"has {len(raw)} entries; at most {MAX_CLEARED} allowed")
        return ()
    found: list[Clearance] = []
    for i, item in enumerate(raw):
        where = f"cleared[{i}]"
        if isinstance(item, str):
            r.problem(
                where,
                f"'{item[:40]}' needs who cleared it: write {{words: {item[:40]}, by: NAME}}",
            )
            continue
        if not isinstance(item, dict):
            r.problem(where, f"expected {{words: ..., by: ...}}, {example}")
            continue
        c = SubReader(item, r.file, r.problems, where)
        before = len(r.problems)
        c.reject_unknown(CLEARED_FIELDS)
        words = c.text("words", max_chars=200)
        by = c.text("by", max_chars=100)
        at = c.timestamp("at", required=False)
        note = c.text("note", required=False, max_chars=500)
        if len(r.problems) == before and words is not None and by is not None:
            found.append(Clearance(words, by, at, note))
    return tuple(found)


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
