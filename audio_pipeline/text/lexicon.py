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
from pathlib import Path

from ..errors import Problem
from ..fields import FieldReader
from ..yamlio import display_path, load_yaml_mapping

GLOBAL_FILE = "lexicon.yaml"
VOICE_SUFFIX = ".lexicon.yaml"
MAX_WRITTEN_CHARS = 100
MAX_SPOKEN_CHARS = 200
MAX_ENTRIES = 5_000

SPOKEN_ALLOWED = re.compile(r"^[\uac00-\ud7a3 ,.?!]+$")
SPOKEN_RULE = "Hangul syllables, spaces and , . ? ! only (write numbers and letters out)"
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

Entry = tuple[str, str]  # (written, spoken)


def _fold(written: str) -> str:
    """The form entries are matched and compared by: Latin letters in any case are one."""
    return written.casefold()


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
    body = re.escape(written)
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


def parse_entries(data: dict[str, object], file: str, problems: list[Problem]) -> Lexicon:
    """A lexicon from a loaded YAML mapping; every bad entry is a Problem (file, field, rule)."""
    r = FieldReader(data, file, problems)
    r.reject_unknown(("entries",))
    raw = r.mapping("entries")
    if len(raw) > MAX_ENTRIES:
        r.problem("entries", f"has {len(raw)} entries; at most {MAX_ENTRIES} allowed")
        return EMPTY
    entries: dict[str, Entry] = {}
    for key, value in raw.items():
        where = f"entries.{key}"
        if not isinstance(key, str) or not key.strip() or key != key.strip():
            r.problem(where, "a written form must be text without leading or trailing spaces")
            continue
        if len(key) > MAX_WRITTEN_CHARS or "\n" in key:
            r.problem(
                where, f"a written form is one line of at most {MAX_WRITTEN_CHARS} characters"
            )
            continue
        if not isinstance(value, str) or not value.strip():
            r.problem(where, f"the spoken form must be text; allowed: {SPOKEN_RULE}")
            continue
        spoken = " ".join(value.split())
        if len(spoken) > MAX_SPOKEN_CHARS or not SPOKEN_ALLOWED.match(spoken):
            r.problem(where, f"spoken form '{value[:40]}' is not allowed; allowed: {SPOKEN_RULE}")
            continue
        folded = _fold(key)
        if folded in entries:
            r.problem(where, f"same word as '{entries[folded][0]}' (letter case is ignored)")
            continue
        entries[folded] = (key, spoken)
    return Lexicon(tuple(sorted(entries.values())))


def load_lexicon(path: Path, *, root: Path | None = None) -> tuple[Lexicon, list[Problem]]:
    """One lexicon file; a missing file is an empty lexicon. Problems name file and entry."""
    if not path.exists() and not path.is_symlink():
        return EMPTY, []
    data, problems = load_yaml_mapping(path, root=root)
    if data is None:
        return EMPTY, problems
    lexicon = parse_entries(data, display_path(path, root), problems)
    return (EMPTY if problems else lexicon), problems


def is_lexicon_file(path: Path) -> bool:
    """Lexicon files live beside the voice profiles but are not voices."""
    return path.name == GLOBAL_FILE or path.name.endswith(VOICE_SUFFIX)


def voice_lexicon_path(voices_dir: Path, voice: str) -> Path:
    return voices_dir / f"{voice}{VOICE_SUFFIX}"
