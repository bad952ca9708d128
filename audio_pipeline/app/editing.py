"""Writing and editing messages, as an editor does in the studio: a new message, its title
and text changed, a draft submitted for review; and the live view of a text being typed
(the spoken script and the listener checks).

The safety rules decide what an edit does to a decision: an approval binds to the text
(core.models.Message.approval), so an edit of an approved message's text or title makes it
pending again and removes the approval (who, when, the digest) from the file: someone must
read and approve the new words. A rejected message is not edited (it never airs; write a
new one). Every file is written through inputs/edit.py (round trip, atomic, refused when it
changed on disk since the editor loaded it) and validated as the loader reads it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from audio_pipeline.app.approval import Decision, voice_lexicons
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import Message, Status
from audio_pipeline.core.project import Project
from audio_pipeline.engines.registry import ENGINES
from audio_pipeline.inputs.edit import DELETE, block_text, create_mapping, edit_mapping
from audio_pipeline.inputs.fields import ID_PATTERN, ID_RULE
from audio_pipeline.inputs.messages import load_messages, validate_message
from audio_pipeline.inputs.safety import Gate, ReviewState, review_state
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.text.lexicon import EMPTY
from audio_pipeline.text.script import build_script

EDITABLE = (Status.DRAFT, Status.PENDING, Status.APPROVED)
NEW_STATUSES = (Status.DRAFT, Status.PENDING)
_APPROVAL_KEYS = ("approved_by", "approved_at", "approved_sha256")


def clean_text(value: str) -> str:
    """Text as a browser sends it (CRLF line ends, trailing spaces) as a message file holds
    it: LF line ends, NFC, no trailing spaces on a line, no blank lines around it."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def check_id(message_id: str) -> str:
    """A message id as typed: the file name it becomes must be safe (InputError)."""
    if not ID_PATTERN.match(message_id):
        raise InputError([Problem("id", "", f"'{message_id[:70]}' is not a valid id; {ID_RULE}")])
    return message_id


def _validator(project: Project, message_id: str) -> Any:
    path = project.messages_dir / f"{message_id}.yaml"

    def check(data: dict[str, Any]) -> list[Problem]:
        return validate_message(data, path, project)[1]

    return check


def create_message(
    project: Project, message_id: str, *, title: str, text: str, status: str = "pending"
) -> Decision:
    """A new message file, input/messages/<id>.yaml: id, status (draft or pending), title,
    text. Never replaces a file (FileExists); an id claimed by another file is refused."""
    check_id(message_id)
    if status not in {s.value for s in NEW_STATUSES}:
        raise InputError(
            [Problem("status", "", "a new message is a draft or pending (ready for review)")]
        )
    index = load_messages(project)
    path = project.messages_dir / f"{message_id}.yaml"
    if message_id in index.messages or message_id in index.duplicates:
        raise InputError([Problem(project.show(path), "id", f"'{message_id}' is taken")])
    data: dict[str, Any] = {"id": message_id, "status": status}
    if title.strip():
        data["title"] = title.strip()
    data["text"] = block_text(clean_text(text))
    create_mapping(path, data, root=project.root, check=_validator(project, message_id))
    message = load_messages(project).messages[message_id]
    return Decision(
        message_id, project.show(path), True, status, message.text_sha256, f"{status}: written"
    )


def _find(project: Project, message_id: str) -> Message:
    check_id(message_id)
    index = load_messages(project)
    message = index.messages.get(message_id)
    file = project.show(project.messages_dir / f"{message_id}.yaml")
    if message is None:
        raise InputError(
            index.problems_of(file)
            or [Problem(file, "", f"no message with id '{message_id}' in input/messages/")]
        )
    return message


def edit_message(
    project: Project,
    message_id: str,
    *,
    title: str,
    text: str,
    expected_sha256: str,
) -> Decision:
    """Change a message's title and text. An approved message whose words change is pending
    again and its approval is removed (the safety rules); a rejected one is not edited.
    `expected_sha256` is the file as the editor loaded it (StaleEdit when it changed)."""
    message = _find(project, message_id)
    file = project.show(message.source)
    if message.status not in EDITABLE:
        raise InputError(
            [
                Problem(
                    file,
                    "status",
                    f"message is {message.status.value}; it is not edited (write a new message)",
                )
            ]
        )
    new_text, new_title = clean_text(text), title.strip()
    if new_text == message.text.strip("\n") and new_title == (message.title or ""):
        return Decision(
            message.id, file, False, message.status.value, message.text_sha256, "nothing changed"
        )
    changes: dict[str, Any] = {
        "title": new_title if new_title else DELETE,
        "text": block_text(new_text),
    }
    status = message.status
    note = "saved"
    if status is Status.APPROVED:
        status = Status.PENDING
        changes["status"] = status.value
        changes.update({key: DELETE for key in _APPROVAL_KEYS})
        note = (
            f"saved; it was approved by {message.approved_by}, and is pending again: "
            "the new words need an approval"
        )
    edit_mapping(
        message.source,
        changes,
        root=project.root,
        check=_validator(project, message.id),
        expected_sha256=expected_sha256,
    )
    digest = replace(message, text=new_text).text_sha256
    return Decision(message.id, file, True, status.value, digest, note)


def submit_message(project: Project, message_id: str, *, expected_sha256: str) -> Decision:
    """A draft is ready for review: its status becomes pending."""
    message = _find(project, message_id)
    file = project.show(message.source)
    if message.status is not Status.DRAFT:
        raise InputError(
            [Problem(file, "status", f"message is {message.status.value}, not a draft")]
        )
    edit_mapping(
        message.source,
        {"status": Status.PENDING.value},
        root=project.root,
        check=_validator(project, message.id),
        expected_sha256=expected_sha256,
    )
    return Decision(message.id, file, True, "pending", message.text_sha256, "ready for review")


@dataclass(frozen=True)
class DraftCheck:
    """What an editor sees while typing: the spoken script, the gate's findings and the
    lines `validate` would print for this text."""

    voice: str  # whose lexicon and request size made the script
    script: tuple[str, ...]  # one line per request sent to the engine
    state: ReviewState  # every finding, cleared ones marked
    lines: tuple[str, ...]  # findings, vocabulary, what the script does: one line each
    too_long: bool = False


def check_draft(
    project: Project, message_id: str, *, title: str, text: str, saved: Message | None = None
) -> DraftCheck:
    """The spoken script and the listener checks of a text being typed, through the same
    gate as render and validate. `saved`: the message as its file holds it (its clearances
    and approval apply)."""
    cleaned = clean_text(text)[: defaults.MAX_TEXT_CHARS]
    path = project.messages_dir / f"{message_id}.yaml"
    base = saved or Message(message_id, Status.PENDING, cleaned, None, None, path)
    message = replace(base, text=cleaned, title=title.strip() or None)
    voices, _ = load_voices(project)
    voice = voices.get(project.default_voice) or voices.get(defaults.DEFAULT_VOICE)
    lexicon = voice.lexicon if voice is not None else EMPTY
    script = build_script(
        message_id,
        cleaned,
        max_chars=ENGINES[voice.engine].max_chars if voice else defaults.ESPEAK_MAX_CHARS,
        sentence_pause_s=voice.sentence_pause_s if voice else defaults.SENTENCE_PAUSE_S,
        paragraph_pause_s=voice.paragraph_pause_s if voice else defaults.PARAGRAPH_PAUSE_S,
        lexicon=lexicon,
    )
    gate = Gate.load(project, voice_lexicons(project))
    # what validate says of a message not (or no longer) approved: every finding included
    unapproved = replace(message, status=Status.PENDING, approved_sha256=None)
    lines = tuple(str(p) for p in gate.warnings([unapproved]))
    return DraftCheck(
        voice.name if voice else defaults.DEFAULT_VOICE,
        tuple(s.text for s in script.sentences),
        review_state(message, gate),
        lines,
        len(clean_text(text)) > defaults.MAX_TEXT_CHARS,
    )
