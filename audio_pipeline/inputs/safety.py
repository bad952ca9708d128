"""The gate between approved text and the air: identifying details, and approvals bound to text.

A message may be synthesized for broadcast (render, batch, a `select:` queue, a preview with a
network voice) only when
- its approval is current: status approved AND the digest of its text is the one recorded at
  approval (`approved_sha256`); text edited since is not approved any more;
- nothing identifying is found in what reaches the air or the files (the text, the title, an
  approved attribution) that an editor has not cleared (`cleared:` in the message file), by the
  built-in checks (text/identifying.py) and the project's own patterns (input/identifying.yaml);
- nothing the spoken script would leave out of a sentence (a symbol that stood for a word,
  letters a Korean voice cannot read): removal is never silent. Web and e-mail addresses are
  left out of the script too, so clearing them cannot help; only rewriting the sentence does.

Every finding becomes one Problem: file, field, the exact words, why, how to fix. A cleared
finding no longer blocks but is still reported as a warning (and shown on the review page).
`load_episode` runs the gate on the messages an episode lists and narrows the queue of a
`select:` episode to the messages that pass, so every caller of it gets the gate.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from audio_pipeline.core.errors import Problem
from audio_pipeline.core.models import Approval, Clearance, Message, Status
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.messages import MessageIndex
from audio_pipeline.inputs.patterns import load_patterns
from audio_pipeline.text.checks import TextWarning, describe, vocabulary
from audio_pipeline.text.identifying import ExtraPattern, Finding, identifying
from audio_pipeline.text.lexicon import EMPTY, Lexicon
from audio_pipeline.text.normalize import normalize

# What the spoken script does that blocks a message: (why, how to fix), by warning rule.
_SPEECH_BLOCKS = {
    "symbol-removed": (
        "a symbol inside a sentence is not read on the air and would leave a hole in it",
        "write what it means in words, or remove it",
    ),
    "unreadable": (
        "a Korean voice cannot read these letters",
        "write them in Hangul",
    ),
}
# web and e-mail addresses: left out of the script and flagged as identifying already
_SPEECH_COVERED = frozenset({"email-removed", "url-removed", *_SPEECH_BLOCKS})


@dataclass(frozen=True)
class Checked:
    """One finding in one field of a message, and the editor's clearance if there is one."""

    field: str  # text | title | attribution
    finding: Finding
    clearance: Clearance | None = None

    @property
    def family(self) -> str:
        return "speech" if self.finding.kind in _SPEECH_BLOCKS else "identifying"

    @property
    def blocks(self) -> bool:
        return self.clearance is None


@dataclass(frozen=True)
class MessageCheck:
    """What the gate found in one message: every finding (cleared or not), and clearances
    that match nothing (stale entries an editor should remove)."""

    message: Message
    findings: tuple[Checked, ...]
    unused: tuple[Clearance, ...] = ()

    @property
    def blocking(self) -> tuple[Checked, ...]:
        return tuple(c for c in self.findings if c.blocks)

    @property
    def cleared(self) -> tuple[Checked, ...]:
        return tuple(c for c in self.findings if not c.blocks)

    @property
    def may_air(self) -> bool:
        return self.message.approval is Approval.CURRENT and not self.blocking


def clearance_key(words: str) -> str:
    """Cleared words match a finding whatever the spacing and letter case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", words)).casefold()


def _speech_findings(text: str, lexicons: Sequence[Lexicon]) -> list[Finding]:
    found: dict[tuple[str, int], Finding] = {}
    for lexicon in lexicons:
        for w in normalize(text, lexicon).warnings:
            if w.rule in _SPEECH_BLOCKS:
                why, fix = _SPEECH_BLOCKS[w.rule]
                found[(w.excerpt, w.start)] = Finding(w.rule, w.excerpt, max(w.start, 0), why, fix)
    return list(found.values())


def _fields(message: Message) -> list[tuple[str, str]]:
    """What reaches the air or the files: the text, the title, an approved attribution."""
    fields = [("text", message.text)]
    if message.title:
        fields.append(("title", message.title))
    if message.attribution and message.attribution_approved:
        fields.append(("attribution", message.attribution))
    return fields


def check_message(
    message: Message,
    patterns: Sequence[ExtraPattern] = (),
    lexicons: Sequence[Lexicon] = (EMPTY,),
) -> MessageCheck:
    """Every finding of one message, with the clearances applied. `lexicons`: those of the
    voices that may speak it (a symbol a lexicon spells out is not left out)."""
    clearances = {clearance_key(c.words): c for c in message.cleared}
    used: set[str] = set()
    checked: list[Checked] = []
    for name, value in _fields(message):
        found = identifying(value, patterns)
        if name == "text":
            for f in _speech_findings(value, lexicons):
                if not any(f.start < g.end and g.start < f.end for g in found):
                    found.append(f)
        for f in sorted(found, key=lambda f: f.start):
            clearance = None if f.removed_from_speech else clearances.get(clearance_key(f.words))
            if clearance is not None:
                used.add(clearance_key(f.words))
            checked.append(Checked(name, f, clearance))
    unused = tuple(c for k, c in clearances.items() if k not in used)
    return MessageCheck(message, tuple(checked), unused)


def _when(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "an unknown date"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time():
            return value.date().isoformat()  # '2026-11-20' written in quotes
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def approval_problem(project: Project, message: Message) -> Problem | None:
    """Why an approved message is not approved for this text any more, or None."""
    file = project.show(message.source)
    state = message.approval
    if state is Approval.STALE:
        return Problem(
            file,
            "text",
            f"text changed after approval on {_when(message.approved_at)} by "
            f"{message.approved_by}; approve again "
            f"(audio-pipeline approve {message.id} --by NAME)",
        )
    if state is Approval.UNBOUND:
        return Problem(
            file,
            "approved_sha256",
            "approved before approvals were bound to the text; record the digest of the "
            "approved text with `audio-pipeline migrate-approvals --by NAME` (once, for every "
            f"message), or approve it again (audio-pipeline approve {message.id} --by NAME)",
        )
    return None


def finding_problem(project: Project, message: Message, c: Checked) -> Problem:
    """One line for a blocking finding: the exact words, why, how to fix."""
    f = c.finding
    how = f.fix
    if not f.removed_from_speech:
        how += (
            f"; or, after judging it harmless, add {{words: {f.words}, by: NAME}} under "
            "`cleared:` in the message file"
        )
    return Problem(
        project.show(message.source), c.field, f"{c.family}: '{f.words}': {f.reason}; {how}"
    )


def cleared_warning(project: Project, message: Message, c: Checked) -> Problem:
    f, by = c.finding, c.clearance
    assert by is not None
    return Problem(
        project.show(message.source),
        c.field,
        f"{c.family}: '{f.words}': {f.reason}; cleared by {by.by} on {_when(by.at)}",
    )


def air_problems(project: Project, check: MessageCheck) -> list[Problem]:
    """What keeps one message off the air: its approval, then every blocking finding."""
    problems = [p for p in [approval_problem(project, check.message)] if p is not None]
    return problems + [finding_problem(project, check.message, c) for c in check.blocking]


@dataclass(frozen=True)
class Gate:
    """The gate for one run: the project's patterns and the lexicons of the voices."""

    project: Project
    patterns: tuple[ExtraPattern, ...] = ()
    lexicons: tuple[Lexicon, ...] = (EMPTY,)
    problems: list[Problem] = field(default_factory=list)  # of input/identifying.yaml

    @classmethod
    def load(cls, project: Project, lexicons: Iterable[Lexicon] = (EMPTY,)) -> Gate:
        patterns, problems = load_patterns(project)
        return cls(project, patterns, tuple(lexicons) or (EMPTY,), problems)

    def check(self, message: Message) -> MessageCheck:
        return check_message(message, self.patterns, self.lexicons)

    def air_problems(self, messages: Iterable[Message]) -> list[Problem]:
        """Every problem that keeps these messages off the air (render exits 2 on them)."""
        return [p for m in messages for p in air_problems(self.project, self.check(m))]

    def queue(self, index: MessageIndex) -> MessageIndex:
        """The index a `select:` episode chooses from: a message approved by status whose
        approval is stale or that has a blocking finding is left out, and its problems join
        the index's (so the render's 'left out of the queue' warning names its file)."""
        held: list[Problem] = []
        eligible: dict[str, Message] = {}
        for msg_id, message in index.messages.items():
            if message.approval is Approval.NONE:
                eligible[msg_id] = message  # pending, draft, rejected: never chosen anyway
                continue
            problems = air_problems(self.project, self.check(message))
            if problems:
                held += problems
            else:
                eligible[msg_id] = message
        return replace(index, messages=eligible, problems=[*index.problems, *held])

    def warnings(self, messages: Iterable[Message]) -> list[Problem]:
        """What `validate` prints as warnings, per message: vocabulary and what the spoken
        script does; findings that are cleared; clearances that match nothing; and, for a
        message not (or no longer) approved, its approval and its findings, for the editor
        to settle before approving it. A rejected message never airs: nothing to say."""
        out: list[Problem] = []
        for message in messages:
            if message.status is Status.REJECTED:
                continue
            check = self.check(message)
            file = self.project.show(message.source)
            lines: list[tuple[str, int, Problem]] = []
            if message.approval is not Approval.CURRENT:
                stale = approval_problem(self.project, message)
                if stale is not None:
                    lines.append(("", -1, stale))
                for c in check.blocking:
                    problem = finding_problem(self.project, message, c)
                    lines.append((c.field, c.finding.start, problem))
            for c in check.cleared:
                lines.append((c.field, c.finding.start, cleared_warning(self.project, message, c)))
            for w in self._script_warnings(message.text):
                lines.append(("text", w.start, Problem(file, "text", describe(w))))
            lines.sort(key=lambda item: (item[0] != "", item[0] != "text", item[1]))
            out += [p for _, _, p in lines]
            out += [
                Problem(
                    file,
                    "cleared",
                    f"'{c.words}' matches nothing the checks find in this message "
                    "(an address cannot be cleared); remove the entry",
                )
                for c in check.unused
            ]
        return out

    def _script_warnings(self, text: str) -> list[TextWarning]:
        """Vocabulary, and what the script does that is not a finding (spelled-out words,
        decorations left out), with the first voice's lexicon."""
        flagged = [range(f.start, f.end) for f in identifying(text, self.patterns)]
        speech = [
            w
            for w in normalize(text, self.lexicons[0]).warnings
            if w.rule not in _SPEECH_COVERED and not any(w.start in r for r in flagged)
        ]
        return sorted([*vocabulary(text), *speech], key=lambda w: w.start)


def project_problems(project: Project, index: MessageIndex, gate: Gate) -> list[Problem]:
    """For `validate` of the whole project: the patterns file, and every message approved for
    its current text that has a blocking finding (it claims to be ready for the air)."""
    problems = list(gate.problems)
    for message in index.messages.values():
        if message.approval is Approval.CURRENT:
            check = gate.check(message)
            problems += [finding_problem(project, message, c) for c in check.blocking]
    return problems


@dataclass(frozen=True)
class ReviewFinding:
    """One finding as the review page shows it. No editor's name: the page is an output."""

    field: str  # text | title | attribution
    family: str  # identifying | speech
    kind: str  # email, phone-number, korean-name, symbol-removed, project-pattern, ...
    words: str
    start: int  # offset of `words` in the field's value
    reason: str
    fix: str
    cleared: bool  # an editor judged it harmless: shown, but it does not block


@dataclass(frozen=True)
class ReviewState:
    """What the review page needs to show a message's standing before broadcast."""

    approval: Approval  # current, stale (text changed after approval), unbound, none
    findings: tuple[ReviewFinding, ...]  # every finding, cleared ones included
    may_air: bool  # approved for this text and nothing blocking


def review_state(message: Message, gate: Gate) -> ReviewState:
    check = gate.check(message)
    findings = tuple(
        ReviewFinding(
            c.field,
            c.family,
            c.finding.kind,
            c.finding.words,
            c.finding.start,
            c.finding.reason,
            c.finding.fix,
            not c.blocks,
        )
        for c in check.findings
    )
    return ReviewState(message.approval, findings, check.may_air)
