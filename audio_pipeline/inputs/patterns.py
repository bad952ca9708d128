"""The project's own identifying words and patterns (input/identifying.yaml): what this
ministry knows must never reach the air, beyond what the built-in checks find (a partner
church's name, a village, an account format). Optional; validated like every input.

    patterns:
      - words: 새벽빛 후원회          # literal words: any letter case, any spacing between them
        reason: the supporters' association; naming it ties a listener to it
      - regex: '\\bHOPE-\\d{4}\\b'     # a regular expression (Python syntax, any letter case)
        reason: our letter reference numbers lead to a sender

A finding of a project pattern blocks a message like a built-in one, and may be cleared the
same way (`cleared:` in the message file).
"""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.fields import FieldReader, SubReader
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from audio_pipeline.text.identifying import ExtraPattern

ENTRY_FIELDS: Final = ("words", "regex", "reason")
MAX_PATTERNS: Final = 500
MAX_PATTERN_CHARS: Final = 300


def _literal(words: str) -> re.Pattern[str]:
    """Literal words, matched in any letter case and with or without the spaces between them
    (새벽빛 후원회 = 새벽빛후원회)."""
    parts = [re.escape(w) for w in words.split()]
    return re.compile(r"\s*".join(parts), re.IGNORECASE)


def _compiled(e: SubReader) -> re.Pattern[str] | None:
    words = e.text("words", required=False, max_chars=MAX_PATTERN_CHARS)
    regex = e.data.get("regex")
    if (words is None) == (regex is None):
        e.problem("", "give exactly one of 'words' (literal) or 'regex' (a regular expression)")
        return None
    if words is not None:
        return _literal(words)
    source = e.text("regex", max_chars=MAX_PATTERN_CHARS)
    if source is None:
        return None
    try:
        pattern = re.compile(source, re.IGNORECASE)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        e.problem("regex", f"is not a valid regular expression: {exc.msg}{where}")
        return None
    if pattern.fullmatch(""):
        e.problem("regex", "matches empty text, so it would flag every message; make it stricter")
        return None
    return pattern


def load_patterns(project: Project) -> tuple[tuple[ExtraPattern, ...], list[Problem]]:
    """The project's patterns, and every problem of the file (a missing file is no patterns)."""
    path = project.root / defaults.IDENTIFYING_FILE
    if not path.exists() and not path.is_symlink():
        return (), []
    data, problems = load_yaml_mapping(path, root=project.root)
    if data is None:
        return (), problems
    r = FieldReader(data, project.show(path), problems)
    r.reject_unknown(("patterns",))
    raw = data.get("patterns")
    if not isinstance(raw, list):
        r.problem(
            "patterns", "expected a list of {words: ..., reason: ...} or {regex: ..., reason: ...}"
        )
        return (), problems
    if len(raw) > MAX_PATTERNS:
        r.problem("patterns", f"has {len(raw)} entries; at most {MAX_PATTERNS} allowed")
        return (), problems
    found: list[ExtraPattern] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            r.problem(
                f"patterns[{i}]", "expected {words: ..., reason: ...} or {regex: ..., reason: ...}"
            )
            continue
        e = SubReader(item, r.file, problems, f"patterns[{i}]")
        before = len(problems)
        e.reject_unknown(ENTRY_FIELDS)
        pattern = _compiled(e)
        reason = e.text("reason", max_chars=300)
        if pattern is not None and reason is not None and len(problems) == before:
            found.append(ExtraPattern(pattern, f"a project pattern: {reason}"))
    return (tuple(found) if not problems else ()), problems
