"""The spoken script's normalization: a known-answer corpus (tests/data/normalization.yaml),
each case citing its rule, and the warnings the reviewer gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from audio_pipeline.inputs.lexicons import parse_entries
from audio_pipeline.text.lexicon import Lexicon
from audio_pipeline.text.normalize import normalize, review_warnings

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
