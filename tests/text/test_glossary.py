"""The vocabulary glossary: the shipped table, the parser that refuses malformed data, and how
a term is found in running text (any spacing of a compound, an attached particle or verb
ending, never inside another word), on a small table written here."""

from __future__ import annotations

from typing import Any

import pytest

from audio_pipeline.text import glossary
from audio_pipeline.text.checks import listener_checks


def test_glossary_has_230_entries_each_with_a_known_source() -> None:
    table = glossary.load()
    assert len(table.entries) == 230  # the count the README gives
    sources = dict(table.sources)
    assert all(e.source in sources and e.suggestion != e.term for e in table.entries)
    assert len({e.term for e in table.entries}) == len(table.entries)
    # every entry is found in running text by its own term
    for entry in table.entries:
        found = [w.excerpt for w in listener_checks(f"오늘 {entry.term}을 생각합니다.")]
        assert entry.term in found, entry.term


SMALL: dict[str, Any] = {
    "sources": {"nikl": "국립국어원", "editorial": "the compiler"},
    "entries": [
        {"term": "셀 모임", "suggestion": "작은 모임", "source": "editorial"},
        {"term": "힐링", "suggestion": "치유", "source": "nikl", "note": "다듬은 말"},
        {"term": "SNS", "suggestion": "누리 소통망", "source": "editorial"},
    ],
}


def test_a_table_is_parsed_with_its_sources_and_notes() -> None:
    table = glossary.parse(SMALL)
    assert table.sources == (("nikl", "국립국어원"), ("editorial", "the compiler"))
    assert table.entries == (
        glossary.GlossaryEntry("셀 모임", "작은 모임", "editorial", None),
        glossary.GlossaryEntry("힐링", "치유", "nikl", "다듬은 말"),
        glossary.GlossaryEntry("SNS", "누리 소통망", "editorial", None),
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([], "glossary: expected the keys 'sources' and 'entries'"),
        ({"sources": {}}, "glossary: expected the keys 'sources' and 'entries'"),
        ({**SMALL, "extra": 1}, "glossary: expected the keys 'sources' and 'entries'"),
        (
            {"sources": {"s": "x"}, "entries": [{"term": "", "suggestion": "y", "source": "s"}]},
            "glossary: entries[0]: needs a term and a suggestion",
        ),
        (
            {"sources": {"s": "x"}, "entries": [{"term": "힐링", "source": "s"}]},
            "glossary: entries[0]: needs a term and a suggestion",
        ),
        (
            {"sources": {"s": "x"}, "entries": [{"term": "힐링", "suggestion": "치유"}]},
            "glossary: entries[0] (힐링): unknown source None",
        ),
        (
            {
                "sources": {"s": "x"},
                "entries": [{"term": "힐링", "suggestion": "치유", "source": "t"}],
            },
            "glossary: entries[0] (힐링): unknown source 't'",
        ),
    ],
)
def test_malformed_data_is_refused(data: Any, error: str) -> None:
    with pytest.raises(ValueError) as caught:
        glossary.parse(data)
    assert str(caught.value) == error


def found(text: str) -> list[str]:
    table = glossary.parse(SMALL)
    return [m[0] for m in glossary.pattern(table).finditer(text)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("셀 모임에서", ["셀 모임"]),
        ("셀모임에서", ["셀모임"]),  # a compound with or without its space (제49항)
        ("힐링", ["힐링"]),
        ("힐링을 위해", ["힐링"]),
        ("힐링하세요", ["힐링"]),
        ("힐링됐다", ["힐링"]),
        ("힐링이다", ["힐링"]),
        ("힐링받는", ["힐링"]),
        ("sns에 올린", ["sns"]),  # Latin letters in any case
        ("힐링과 SNS", ["힐링", "SNS"]),
        ("힐링캠프", []),  # the start of another word
        ("치힐링", []),  # the end of another word
        ("ASNS", []),
        ("SNSs", []),
        ("셀  모임", []),  # two spaces are no way of writing the compound
    ],
)
def test_a_term_is_found_as_a_word_with_its_ending(text: str, words: list[str]) -> None:
    assert found(text) == words


def test_an_entry_is_looked_up_however_it_was_spaced_or_cased() -> None:
    table = glossary.parse(SMALL)
    assert table.entry("셀모임").term == "셀 모임"
    assert table.entry("셀 모임").term == "셀 모임"
    assert table.entry("sns").suggestion == "누리 소통망"
    with pytest.raises(KeyError):
        table.entry("멘토")
