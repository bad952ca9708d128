"""Approving and rejecting messages: the editor's decision written into the message file.

An approval binds to the text: `approve` records who, when, and the digest of the text as it
stands (core.digest.text_sha256, the digest the cues and the ledger carry too). A message whose
text changes afterwards is no longer approved (core.models.Message.approval). `approve` refuses
text that could not go on the air (an identifying detail nobody cleared, a symbol that would
leave a hole): an approval of text that cannot air would mislead.

`migrate_approvals` binds the approvals made before approvals recorded a digest: it trusts
that each approved message's text is, today, the text that was approved.

`clear_finding` records an editor's judgement that one finding is harmless (`cleared:` in the
message file), with who and when: the finding is still reported, but no longer blocks.

The CLI (cli/messages.py) and the studio call these functions; every file is edited in place
with its comments and layout kept, and replaced atomically (inputs/edit.py). The studio
passes the digest of the file as its page showed it (`expected_sha256`): a decision about a
file that changed since is refused, never applied to text nobody looked at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import Approval, Clearance, Message, Status
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.edit import DELETE, edit_mapping
from audio_pipeline.inputs.fields import has_control_chars
from audio_pipeline.inputs.messages import MessageIndex, load_messages, validate_message
from audio_pipeline.inputs.safety import Gate, clearance_key
from audio_pipeline.inputs.voices import load_global_lexicon, load_voices
from audio_pipeline.text.lexicon import EMPTY, Lexicon

MAX_NAME_CHARS = 100
MAX_REASON_CHARS = 2000
MAX_NOTE_CHARS = 500  # a clearance's note, as the message loader allows
_APPROVAL_KEYS = ("approved_by", "approved_at", "approved_sha256")
_REJECTION_KEYS = ("rejected_by", "rejected_at", "rejection_reason")
MIGRATION_MARK = "(audio-pipeline migrate-approvals)"  # ends the comment a migration writes


@dataclass(frozen=True)
class Decision:
    """What one command did to one message file."""

    message_id: str
    file: str  # as shown to the user, relative to the project
    changed: bool
    status: str
    text_sha256: str
    note: str  # one line for a person


def _when(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("a decision's time must carry its UTC offset")
    return now.replace(microsecond=0)


def _checked_text(value: str | None, what: str, limit: int, *, multiline: bool = False) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError([Problem(what, "", "is empty; say who decides (a name or a team)")])
    if len(text) > limit or has_control_chars(text) or (not multiline and "\n" in text):
        raise InputError(
            [Problem(what, "", f"must be one line of at most {limit} characters, no control codes")]
        )
    return text


def _find(project: Project, message_id: str) -> tuple[Message, MessageIndex]:
    index = load_messages(project)
    file = project.show(project.messages_dir / f"{message_id}.yaml")
    message = index.messages.get(message_id)
    if message is None:
        if message_id in index.duplicates:
            raise InputError(
                [p for f in index.duplicates[message_id] for p in index.problems_of(f)]
            )
        raise InputError(
            index.problems_of(file)
            or [Problem(file, "", f"no message with id '{message_id}' in input/messages/")]
        )
    return message, index


def voice_lexicons(project: Project) -> list[Lexicon]:
    """Every voice's lexicon: the text must pass with whichever voice speaks it."""
    voices, _ = load_voices(project)
    lexicons = [v.lexicon for v in voices.values()]
    global_lexicon, _ = load_global_lexicon(project)
    return lexicons or [global_lexicon or EMPTY]


def _validator(project: Project, path: Path, digest: str | None) -> Any:
    """The edited file must load as a valid message, with the text the decision was about."""

    def check(data: dict[str, Any]) -> list[Problem]:
        message, problems, _ = validate_message(data, path, project)
        if message is not None and digest is not None and message.text_sha256 != digest:
            problems.append(
                Problem(
                    project.show(path),
                    "text",
                    "changed while it was being approved; nothing was written. Review the "
                    "new text and approve again",
                )
            )
        return problems

    return check


def approve_message(
    project: Project,
    message_id: str,
    by: str,
    now: dt.datetime,
    *,
    expected_sha256: str | None = None,
) -> Decision:
    """Approve the message's text as it stands. Raises InputError (nothing written) when the
    file is invalid or the text has a finding nobody cleared."""
    by = _checked_text(by, "--by", MAX_NAME_CHARS)
    message, _ = _find(project, message_id)
    file = project.show(message.source)
    digest = message.text_sha256
    if message.approval is Approval.CURRENT:
        return Decision(
            message.id,
            file,
            False,
            message.status.value,
            digest,
            f"already approved for this text by {message.approved_by}; nothing changed",
        )
    gate = Gate.load(project, voice_lexicons(project))
    problems = gate.problems + gate.air_problems([_as_approved(message)])
    if problems:
        raise InputError(problems)
    when = _when(now)
    changes: dict[str, Any] = {
        "status": Status.APPROVED.value,
        "approved_by": by,
        "approved_at": when,
        "approved_sha256": digest,
    }
    changes.update({key: DELETE for key in _REJECTION_KEYS})
    edit_mapping(
        message.source,
        changes,
        root=project.root,
        check=_validator(project, message.source, digest),
        group="approved_",
        stale_comment_marker=MIGRATION_MARK,
        expected_sha256=expected_sha256,
    )
    return Decision(
        message.id,
        file,
        True,
        Status.APPROVED.value,
        digest,
        f"approved by {by} at {when:%Y-%m-%d %H:%M}; text sha256 {digest[:12]}…",
    )


def _as_approved(message: Message) -> Message:
    """The message as it would be once approved (so the gate judges only its content)."""
    return replace(message, status=Status.APPROVED, approved_sha256=message.text_sha256)


def reject_message(
    project: Project,
    message_id: str,
    by: str,
    now: dt.datetime,
    reason: str | None = None,
    *,
    expected_sha256: str | None = None,
) -> Decision:
    """Reject the message: it never renders; an earlier approval is removed from the file."""
    by = _checked_text(by, "--by", MAX_NAME_CHARS)
    why = (
        _checked_text(reason, "--reason", MAX_REASON_CHARS, multiline=True)
        if reason is not None
        else None
    )
    message, _ = _find(project, message_id)
    when = _when(now)
    changes: dict[str, Any] = {
        "status": Status.REJECTED.value,
        "rejected_by": by,
        "rejected_at": when,
        "rejection_reason": why if why is not None else DELETE,
    }
    changes.update({key: DELETE for key in _APPROVAL_KEYS})
    edit_mapping(
        message.source,
        changes,
        root=project.root,
        check=_validator(project, message.source, message.text_sha256),
        group="rejected_",
        stale_comment_marker=MIGRATION_MARK,
        expected_sha256=expected_sha256,
    )
    return Decision(
        message.id,
        project.show(message.source),
        True,
        Status.REJECTED.value,
        message.text_sha256,
        f"rejected by {by} at {when:%Y-%m-%d %H:%M}" + (f": {why}" if why else ""),
    )


def clear_finding(
    project: Project,
    message_id: str,
    words: str,
    by: str,
    now: dt.datetime,
    note: str | None = None,
    *,
    expected_sha256: str | None = None,
) -> Decision:
    """Record that the finding `words` of a message was judged harmless by `by`: an entry
    {words, by, at, note} under `cleared:`. Only a finding the checks make now can be
    cleared (spacing and letter case aside), and never an address the spoken script leaves
    out (clearing it would leave a hole in the sentence). Raises InputError, nothing
    written."""
    by = _checked_text(by, "--by", MAX_NAME_CHARS)
    words = _checked_text(words, "--words", 200).strip()
    why = _checked_text(note, "--note", MAX_NOTE_CHARS) if note is not None else None
    message, _ = _find(project, message_id)
    file = project.show(message.source)
    check = Gate.load(project, voice_lexicons(project)).check(message)
    key = clearance_key(words)
    matching = [c for c in check.findings if clearance_key(c.finding.words) == key]
    if not matching:
        found = ", ".join(f"'{c.finding.words}'" for c in check.findings) or "none"
        raise InputError(
            [
                Problem(
                    file,
                    "cleared",
                    f"'{words}' is not a finding of this message; findings: {found}",
                )
            ]
        )
    finding = matching[0].finding
    if finding.removed_from_speech:
        raise InputError(
            [
                Problem(
                    file,
                    "cleared",
                    f"'{finding.words}' cannot be cleared: the spoken script leaves it out, "
                    f"which would leave a hole in the sentence; {finding.fix}",
                )
            ]
        )
    if all(c.clearance is not None for c in matching):
        done = matching[0].clearance
        assert done is not None
        return Decision(
            message.id,
            file,
            False,
            message.status.value,
            message.text_sha256,
            f"'{finding.words}' was already cleared by {done.by}; nothing changed",
        )
    when = _when(now)
    entry: dict[str, Any] = {"words": finding.words, "by": by, "at": when}
    if why:
        entry["note"] = why
    earlier = [_clearance_entry(c) for c in message.cleared]
    edit_mapping(
        message.source,
        {"cleared": [*earlier, entry]},
        root=project.root,
        check=_validator(project, message.source, message.text_sha256),
        expected_sha256=expected_sha256,
    )
    return Decision(
        message.id,
        file,
        True,
        message.status.value,
        message.text_sha256,
        f"'{finding.words}' cleared by {by} at {when:%Y-%m-%d %H:%M}: still reported, no "
        "longer blocking",
    )


def _clearance_entry(c: Clearance) -> dict[str, Any]:
    entry: dict[str, Any] = {"words": c.words, "by": c.by}
    if c.at is not None:
        entry["at"] = c.at
    if c.note is not None:
        entry["note"] = c.note
    return entry


def migrate_approvals(project: Project, by: str, now: dt.datetime) -> list[Decision]:
    """Record the digest of the current text of every message approved before approvals
    were bound to text (no `approved_sha256`). Messages already bound, stale ones and every
    other status are left as they are; invalid files are reported by `validate`."""
    by = _checked_text(by, "--by", MAX_NAME_CHARS)
    when = _when(now)
    index = load_messages(project)
    decisions: list[Decision] = []
    for message in sorted(index.messages.values(), key=lambda m: m.id):
        if message.approval is not Approval.UNBOUND:
            continue
        digest = text_sha256(message.text)
        edit_mapping(
            message.source,
            {"approved_sha256": digest},
            root=project.root,
            check=_validator(project, message.source, digest),
            group="approved_",
            comments={
                "approved_sha256": f"bound to this text by {by} on {when:%Y-%m-%d} "
                + MIGRATION_MARK
            },
        )
        decisions.append(
            Decision(
                message.id,
                project.show(message.source),
                True,
                Status.APPROVED.value,
                digest,
                f"approval of {message.approved_at} by {message.approved_by} bound to its "
                f"text (sha256 {digest[:12]}…)",
            )
        )
    return decisions
