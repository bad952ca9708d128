"""Pronunciation lexicon files (voices/lexicon.yaml, voices/<voice>.lexicon.yaml): read and
validate them into a text.lexicon.Lexicon."""

from __future__ import annotations

import re
from pathlib import Path

from audio_pipeline.core.errors import Problem
from audio_pipeline.inputs.fields import FieldReader
from audio_pipeline.inputs.yamlio import display_path, load_yaml_mapping
from audio_pipeline.text.lexicon import EMPTY, Entry, Lexicon, _fold

GLOBAL_FILE = "lexicon.yaml"


VOICE_SUFFIX = ".lexicon.yaml"


MAX_WRITTEN_CHARS = 100


MAX_SPOKEN_CHARS = 200


MAX_ENTRIES = 5_000


SPOKEN_ALLOWED = re.compile(r"^[\uac00-\ud7a3 ,.?!]+$")


SPOKEN_RULE = "Hangul syllables, spaces and , . ? ! only (write numbers and letters out)"


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
