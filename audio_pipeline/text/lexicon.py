"""The pronunciation lexicon: written form -> spoken form, applied before the engine.

For names, loanwords, Latin-script words and anything an engine reads wrongly. Two files in
`voices/`: `lexicon.yaml` for every voice, and `<voice>.lexicon.yaml` for one voice (its
entries win over the global ones). Each file is a mapping under `entries:`:

    entries:
      Jesus: 지저스
      FEBC: 에프이비시

A spoken form is final: Hangul, spaces and the punctuation , . ? ! only, so no later rule
(numbers, Latin spelling) touches it. Latin-script written forms match in any letter case;
a written form matches whole words only (a Hangul one may take a particle: 요셉이).

The entries a clip actually used are part of its cache key (synthesis.clip_key): changing an
entry the clip used makes a new clip; changing an unused entry does not.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

Entry = tuple[str, str]  # (written, spoken)


def _fold(written: str) -> str:
    """The form entries are matched and compared by: Latin letters in any case are one, and
    so are the ways of separating the words of a name and of writing an apostrophe."""
    return re.sub(r"[\s\-]+", " ", written.casefold().replace("’", "'")).strip()


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...] = ()

    def merged(self, override: Lexicon) -> Lexicon:
        """This lexicon with `override`'s entries added; on the same written form, override wins."""
        table = {_fold(w): (w, s) for w, s in self.entries}
        table.update({_fold(w): (w, s) for w, s in override.entries})
        return Lexicon(tuple(sorted(table.values())))

    def apply(self, text: str) -> tuple[str, tuple[Entry, ...]]:
        """`text` with every entry replaced; and the entries used, sorted (for the cache key)."""
        if not self.entries:
            return text, ()
        pattern, table = _compiled(self.entries)
        used: dict[str, Entry] = {}

        def replace(m: re.Match[str]) -> str:
            entry = table[_fold(m[0])]
            used[entry[0]] = entry
            return entry[1]

        return pattern.sub(replace, text), tuple(sorted(used.values()))


EMPTY = Lexicon()


def _bounded(written: str) -> str:
    # a name of several words matches however the words are separated (Far East, Far-East,
    # a line break) and either apostrophe (Samaritan's, Samaritan’s)
    body = r"[\s\-]+".join(re.sub(r"['’]", "['’]", re.escape(word)) for word in written.split())
    if _LATIN_OR_DIGIT.match(written[0]):
        body = r"(?<![A-Za-z0-9])" + body
    elif _HANGUL.match(written[0]):
        body = r"(?<![\uac00-\ud7a3])" + body
    if _LATIN_OR_DIGIT.match(written[-1]):
        body += r"(?![A-Za-z0-9])"
    return body


@functools.lru_cache(maxsize=64)
def _compiled(entries: tuple[Entry, ...]) -> tuple[re.Pattern[str], dict[str, Entry]]:
    ordered = sorted(entries, key=lambda e: len(e[0]), reverse=True)  # longest first
    pattern = re.compile("|".join(_bounded(w) for w, _ in ordered), re.IGNORECASE)
    return pattern, {_fold(w): (w, s) for w, s in entries}
