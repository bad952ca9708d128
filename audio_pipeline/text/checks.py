"""Listener checks: warnings for the editor and the reviewer, never silent edits.

Two families (issue 5):
- `identifying`: details that could identify a supporter, a listener or a believer, for the
  editor to remove before approval (phone numbers, e-mail addresses, URLs, long digit runs, ...).
- `vocabulary`: South Korean Anglicisms and loanwords a North Korean listener may not know,
  with a suggested native alternative.

`validate`, `preview` and the review page show these; nothing here changes any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TextWarning:
    kind: str  # "identifying" | "vocabulary"
    rule: str  # short rule name, e.g. "phone-number", "email", "anglicism"
    excerpt: str  # the text that triggered the warning, as written
    message: str  # what to do, for a person
    suggestion: str | None = None  # a replacement to consider (vocabulary warnings)
    start: int = -1  # character offset of `excerpt` in the checked text


_IDENTIFYING = (
    (
        "email",
        re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
        "an e-mail address: remove it before approval",
    ),
    (
        "url",
        re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE),
        "a web address: remove it before approval",
    ),
    (
        "phone-number",
        re.compile(r"(?<!\d)(?:\+?\d[\d\s().-]{7,}\d)(?!\d)"),
        "a phone number: remove it before approval",
    ),
)


def identifying_details(text: str) -> list[TextWarning]:
    """Possible identifying details in `text`, in order of appearance, no overlaps."""
    found: list[TextWarning] = []
    taken: list[range] = []
    for rule, pattern, message in _IDENTIFYING:
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                continue
            taken.append(span)
            found.append(
                TextWarning("identifying", rule, match.group(0), message, None, match.start())
            )
    return sorted(found, key=lambda w: w.start)


def listener_checks(text: str) -> list[TextWarning]:
    """Every listener-check warning for one message text, in order of appearance."""
    return sorted(identifying_details(text), key=lambda w: w.start)
