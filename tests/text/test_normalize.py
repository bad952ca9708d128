"""The spoken script's normalization: a known-answer corpus (tests/data/normalization.yaml),
each case citing its rule, and the warnings the reviewer gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from audio_pipeline.inputs.lexicons import parse_entries
from audio_pipeline.text import bible, numbers
from audio_pipeline.text.lexicon import Lexicon
from audio_pipeline.text.normalize import normalize, review_warnings
from audio_pipeline.text.script import build_script

CORPUS_FILE = Path(__file__).parent.parent / "data" / "normalization.yaml"
CORPUS: dict[str, Any] = yaml.safe_load(CORPUS_FILE.read_text("utf-8"))


def corpus_lexicon() -> Lexicon:
    problems: list[object] = []
    lexicon = parse_entries({"entries": CORPUS["lexicon"]}, "corpus", problems)  # type: ignore[arg-type]
    assert problems == []
    return lexicon


LEXICON = corpus_lexicon()


def test_corpus_is_large_cites_known_rules_and_covers_every_rule() -> None:
    cases = CORPUS["cases"]
    assert len(cases) >= 150
    used = {c["rule"] for c in cases}
    assert used == set(CORPUS["rules"]), "every rule has cases, every case a described rule"
    assert all(set(c) == {"rule", "input", "expected"} for c in cases)
    assert len({c["input"] for c in cases}) == len(cases), "no case twice"


@pytest.mark.parametrize(
    "case", CORPUS["cases"], ids=[f"{c['rule']}:{c['input']}" for c in CORPUS["cases"]]
)
def test_known_answer(case: dict[str, str]) -> None:
    assert normalize(case["input"], LEXICON).text == case["expected"]


def test_bible_table_has_66_books_with_distinct_abbreviations() -> None:
    assert len(bible.BOOKS) == 66
    assert [b.number for b in bible.BOOKS] == list(range(1, 67))
    abbreviations = [a for b in bible.BOOKS for a in b.abbreviations]
    assert len(abbreviations) == len(set(abbreviations))
    assert bible.book("요") is not None and bible.book("요").name == "요한복음"  # type: ignore[union-attr]
    assert bible.book("시편") is not None and bible.book("시편").chapter_word == "편"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("n", "sino", "native"),
    [(1, "일", "하나"), (10, "십", "열"), (20, "이십", "스물"), (32, "삼십이", "서른둘"),
     (99, "구십구", "아흔아홉"), (100, "백", "백"), (10_000, "만", "만")],
)  # fmt: skip
def test_numerals(n: int, sino: str, native: str) -> None:
    assert numbers.sino(n) == sino
    assert numbers.native(n) == native


def test_latin_word_spelled_out_with_a_warning_at_its_place() -> None:
    text = "오늘 KBS 방송에서 Jesus 이야기를 들었습니다."
    result = normalize(text, LEXICON)
    assert result.text == "오늘 케이비에스 방송에서 예수 이야기를 들었습니다."
    [warning] = result.warnings
    assert (warning.kind, warning.rule, warning.excerpt) == ("speech", "spelled-out", "KBS")
    assert warning.suggestion == "케이비에스"
    assert text[warning.start : warning.start + 3] == "KBS"
    assert result.lexicon_used == (("Jesus", "예수"),)


def test_addresses_are_removed_with_a_warning_but_flagged_once_for_review() -> None:
    text = "자세한 것은 www.example.org 에 있습니다."
    result = normalize(text, LEXICON)
    assert "example" not in result.text
    assert [w.rule for w in result.warnings] == ["url-removed"]
    review = review_warnings(text, LEXICON)
    assert [(w.kind, w.rule) for w in review] == [("identifying", "url")]


def test_a_line_with_nothing_to_say_does_not_become_a_paragraph_break() -> None:
    text = "첫째 줄입니다.\n🙏🙏\n둘째 줄입니다.\n\n새 문단입니다."
    assert normalize(text).text == "첫째 줄입니다.\n둘째 줄입니다.\n\n새 문단입니다."


def test_script_is_the_normalized_text_split_within_the_engine_limit() -> None:
    text = (
        "2026년 11월 22일 오후 3시 30분, 요 3:16-18 말씀을 함께 읽으며 25,000원의 헌금과 "
        "120명의 성도가 3~5명씩 모여 기도했습니다."
    )
    script = build_script(
        "m", text, max_chars=40, sentence_pause_s=0.5, paragraph_pause_s=1.0, lexicon=LEXICON
    )
    spoken = normalize(text, LEXICON).text
    assert all(len(s.text) <= 40 for s in script.sentences)
    assert " ".join(s.text for s in script.sentences).split() == spoken.split()  # no word cut
    assert "이천이십육 년 십일월 이십이 일" in " ".join(s.text for s in script.sentences)
    assert not any(c.isdigit() for c in script.spoken_text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("연락은 ☎ 으로 하세요.", [("symbol-removed", "☎")]),
        ("김○○ 집사님께", [("symbol-removed", "○○")]),
        ("○○ 마을에서", [("symbol-removed", "○○")]),
        ("나는 ♥ 너를", [("symbol-removed", "♥")]),
        ("힘내세요 🙏😊", [("decoration-removed", "🙏😊")]),
        ("★ 오늘의 말씀 ★", [("decoration-removed", "★"), ("decoration-removed", "★")]),
        ("감사합니다~ 여러분", [("decoration-removed", "~")]),
        ("主님께 영광", [("unreadable", "主")]),
        ("ㅋㅋ 좋아요", [("unreadable", "ㅋㅋ")]),
    ],
)  # fmt: skip
def test_what_the_script_leaves_out_is_reported(text: str, expected: list[tuple[str, str]]) -> None:
    """Removal is never silent: a symbol inside a sentence would leave a hole (the gate blocks
    it); one where a sentence starts or ends is decoration, reported but harmless."""
    warnings = normalize(text).warnings
    assert [(w.rule, w.excerpt) for w in warnings] == expected
    assert all(text[w.start :].startswith(w.excerpt) for w in warnings)


def test_an_unknown_name_of_several_latin_words_gets_one_warning_naming_it() -> None:
    result = normalize("World Vision 이 도왔습니다. KBS 도요.", LEXICON)
    assert [(w.rule, w.excerpt) for w in result.warnings] == [
        ("spelled-out", "World Vision"),
        ("spelled-out", "KBS"),
    ]
    assert result.warnings[0].message == (
        "a name of 2 words not in the pronunciation lexicon, so it is spelled out letter by "
        "letter as '더블유오알엘디 브이아이에스아이오엔'; add 'World Vision' to "
        "voices/lexicon.yaml with the way it is said"
    )


def test_the_shipped_lexicon_reads_the_organisations_it_names() -> None:
    from audio_pipeline.inputs.lexicons import load_lexicon
    from tests.conftest import REPO

    lexicon, problems = load_lexicon(REPO / "voices" / "lexicon.yaml")
    assert problems == []
    spoken = normalize("Open Doors, World-Vision, Voice of the Martyrs, FEBC", lexicon)
    assert spoken.text == "오픈도어즈, 월드비전, 순교자의 소리, 극동방송"
    assert spoken.warnings == ()
