"""The vocabulary glossary: South Korean loanwords a North Korean listener may not know, with a
plainer word to suggest and the source of each entry (audio_pipeline/data/glossary.yaml)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

# What may follow a term inside the same word: a particle, the plural 들, a copula, or any
# ending of 하다, 되다, 받다, 시키다 (힐링을, 멘토들, 힐링하세요, 케어합니다, 케어함,
# 힐링됩니다, 케어받는). The verb endings are matched by the syllable they start with, whatever
# its final consonant (a syllable block's 28 forms): 하 합 함 한 할, 해 했, 되 됩 됨 된 될,
# 돼 됐, 이 입 임 인 일 (the copula), and 였, 예요. Anything else means the term is only the
# start of another word, which is not flagged.
_VERB_SYLLABLES = "".join(f"{first}-{chr(ord(first) + 27)}" for first in "하해되돼이")
_ATTACHED = (
    "들|가|을|를|은|는|의|에|와|과|도|만|로|으로|처럼|까지|부터|보다|였|예요|나|랑|께|뿐|씩|"
    f"적|스러|라|야|받|시키|시켜|[{_VERB_SYLLABLES}]"
)


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    suggestion: str
    source: str  # a key of the file's `sources`
    note: str | None = None


@dataclass(frozen=True)
class Glossary:
    entries: tuple[GlossaryEntry, ...]
    sources: tuple[tuple[str, str], ...]  # (key, citation)

    def entry(self, written: str) -> GlossaryEntry:
        return _index(self)[_key(written)]


def _key(written: str) -> str:
    return re.sub(r"\s+", "", written).casefold()


def parse(data: Any) -> Glossary:
    """A glossary from its YAML data; malformed package data is a bug, so it raises."""
    if not isinstance(data, dict) or set(data) != {"sources", "entries"}:
        raise ValueError("glossary: expected the keys 'sources' and 'entries'")
    sources = {str(k): str(v) for k, v in data["sources"].items()}
    entries = []
    for i, item in enumerate(data["entries"]):
        term, suggestion, source = item.get("term"), item.get("suggestion"), item.get("source")
        if not (isinstance(term, str) and isinstance(suggestion, str) and term and suggestion):
            raise ValueError(f"glossary: entries[{i}]: needs a term and a suggestion")
        if source not in sources:
            raise ValueError(f"glossary: entries[{i}] ({term}): unknown source {source!r}")
        entries.append(GlossaryEntry(term, suggestion, source, item.get("note")))
    return Glossary(tuple(entries), tuple(sources.items()))


@functools.cache
def load() -> Glossary:
    text = resources.files("audio_pipeline").joinpath("data/glossary.yaml").read_text("utf-8")
    return parse(yaml.safe_load(text))


@functools.cache
def _index(glossary: Glossary) -> dict[str, GlossaryEntry]:
    return {_key(e.term): e for e in glossary.entries}


def _spacing_variants(term: str) -> str:
    """A term with or without a space wherever a space can fall: between its words and
    between any two of its Hangul syllables (셀모임 = 셀 모임, 스크린 도어 = 스크린도어); 한글
    맞춤법 제49항 allows a compound to be written either way."""
    out: list[str] = []
    for c in re.sub(r"\s+", " ", term.strip()):
        if c == " ":
            out.append(r"\s?")
            continue
        if out and out[-1] != r"\s?" and _HANGUL.match(c) and _HANGUL.match(out[-1][-1]):
            out.append(r"\s?")
        out.append(re.escape(c))
    return "".join(out)


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


@functools.cache
def pattern(glossary: Glossary) -> re.Pattern[str]:
    terms = sorted((e.term for e in glossary.entries), key=len, reverse=True)
    alternation = "|".join(_spacing_variants(t) for t in terms)
    return re.compile(
        rf"(?<![\uac00-\ud7a3A-Za-z])(?:{alternation})(?![A-Za-z])"
        rf"(?=$|[^\uac00-\ud7a3]|(?:{_ATTACHED}))",
        re.IGNORECASE,
    )
