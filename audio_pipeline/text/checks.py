"""Listener checks: warnings for the editor and the reviewer, never silent edits.

Two families:
- `identifying`: details that could identify a supporter, a listener or a believer, for the
  editor to remove before approval (identifying.py: phone numbers, e-mail addresses, URLs,
  handles, long numbers, street addresses, personal names written in Latin letters or with a
  title). The gate in inputs/safety.py blocks a message on them.
- `vocabulary`: South Korean Anglicisms and loanwords a North Korean listener may not know,
  with a suggested native alternative (the glossary in audio_pipeline/data/glossary.yaml).

`validate`, `preview` and the review page show these; nothing here changes any text.
EMAIL and URL are re-exported for the normalizer, which leaves addresses out of the script.
(`normalize.py` adds a third kind, `speech`, for what the spoken script does with the text.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audio_pipeline.text import glossary
from audio_pipeline.text.identifying import EMAIL, URL, ExtraPattern, Finding, identifying


@dataclass(frozen=True)
class TextWarning:
    kind: str  # "identifying" | "vocabulary" | "speech" (normalize.py)
    rule: str  # short rule name, e.g. "phone-number", "email", "anglicism"
    excerpt: str  # the text that triggered the warning, as written
    message: str  # what to do, for a person
    suggestion: str | None = None  # a replacement to consider (vocabulary warnings)
    start: int = -1  # character offset of `excerpt` in the checked text


def identifying_details(text: str, extra: Sequence[ExtraPattern] = ()) -> list[TextWarning]:
    """Possible identifying details in `text` (identifying.py), in order of appearance, no
    overlaps, as warnings for people: the exact words, why they matter and what to do."""
    return [as_warning(f) for f in identifying(text, extra)]


def as_warning(finding: Finding) -> TextWarning:
    return TextWarning(
        "identifying",
        finding.kind,
        finding.words,
        f"{finding.reason}; {finding.fix}",
        None,
        finding.start,
    )


def vocabulary(text: str) -> list[TextWarning]:
    """South Korean loanwords from the glossary, each with a plainer word and its source."""
    table = glossary.load()
    found = []
    for match in glossary.pattern(table).finditer(text):
        entry = table.entry(match[0])
        note = f" ({entry.note})" if entry.note else ""
        # written otherwise than the entry (셀 모임 for 셀모임): name the entry too
        named = "" if match[0] == entry.term else f" (glossary entry '{entry.term}')"
        found.append(
            TextWarning(
                "vocabulary",
                "loanword",
                match[0],
                f"may not be understood in North Korea{named}; consider '{entry.suggestion}'"
                f"{note} [source: {entry.source}]",
                entry.suggestion,
                match.start(),
            )
        )
    return found


def describe(w: TextWarning) -> str:
    """One line for a person: kind, the words as written, what to do."""
    return f"{w.kind}: '{w.excerpt}': {w.message}"


def listener_checks(text: str, extra: Sequence[ExtraPattern] = ()) -> list[TextWarning]:
    """Every listener-check warning for one message text, in order of appearance."""
    return sorted([*identifying_details(text, extra), *vocabulary(text)], key=lambda w: w.start)


__all__ = [
    "EMAIL",
    "URL",
    "TextWarning",
    "as_warning",
    "describe",
    "identifying_details",
    "listener_checks",
    "vocabulary",
]
