"""Splitting text into paragraphs, sentences and engine-sized chunks: what ends a sentence,
what a blank line does, and cuts that never fall inside a word."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_pipeline.text import sentences


def test_sentences_split_at_end_punctuation_and_lines() -> None:
    text = "하나님은 당신을 잊지 않으셨습니다. 힘을 내십시오!\n기도합니다"
    assert sentences.sentences(sentences.paragraphs(text)[0]) == [
        "하나님은 당신을 잊지 않으셨습니다.",
        "힘을 내십시오!",
        "기도합니다",
    ]


def test_blank_line_separates_paragraphs() -> None:
    assert len(sentences.paragraphs("첫 문단입니다.\n\n둘째 문단입니다.")) == 2


def test_double_dots_become_one_ellipsis() -> None:
    # espeak-ng#1271: ".." at the end of input makes espeak-ng produce gibberish
    assert sentences.clean("기다립니다..") == "기다립니다…"


@pytest.mark.parametrize("limit", [20, 35, 100])
def test_long_sentence_is_cut_between_words_never_inside(limit: int) -> None:
    sentence = (
        "주님께서는 피곤한 자에게 능력을 주시고, 무능한 자에게 힘을 더하신다고 "
        "약속하셨으며 우리는 그 약속을 날마다 붙들고 살아갑니다."
    )
    chunks = sentences.fit(sentence, limit)
    assert all(len(c) <= limit for c in chunks)
    assert " ".join(chunks).split() == sentence.split()  # every word kept, none cut


def test_clause_boundary_is_preferred() -> None:
    chunks = sentences.fit("우리는 서로 얼굴을 본 적이 없지만, 그리스도 안에서 한 가족입니다.", 30)
    assert chunks[0].endswith("없지만,")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("첫 줄\r\n둘째 줄\r셋째 줄", "첫 줄\n둘째 줄\n셋째 줄"),  # Windows and old Mac lines
        ("  가   나  ", "가 나"),
        ("가\u00a0\u00a0나\u3000다\t라", "가 나 다 라"),  # no-break and ideographic spaces
        ("하나\n\n둘", "하나\n\n둘"),  # the blank line that starts a paragraph is kept
        ("기다립니다...", "기다립니다…"),
        ("기다립니다……", "기다립니다…"),
        ("정말..?", "정말…?"),
    ],
)
def test_clean_unifies_spaces_lines_and_ellipses(text: str, expected: str) -> None:
    assert sentences.clean(text) == expected


def test_clean_composes_hangul() -> None:
    decomposed = unicodedata.normalize("NFD", "한국어")
    assert len(decomposed) == 8  # 한 and 국 have three jamo each, 어 two
    assert sentences.clean(decomposed) == "한국어"


def test_paragraphs_are_never_empty_and_keep_their_lines() -> None:
    text = "\n\n첫 문단.\n둘째 줄.\n \n\t\n둘째 문단.\n\n\n"
    assert sentences.paragraphs(text) == ["첫 문단.\n둘째 줄.", "둘째 문단."]
    assert sentences.paragraphs("\n \n\n") == []


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("정말？ 네。 좋아요！ 끝", ["정말？", "네。", "좋아요！", "끝"]),  # full-width forms
        ("기다립니다… 그리고 또", ["기다립니다…", "그리고 또"]),
        ("3.14는 원주율입니다. 끝", ["3.14는 원주율입니다.", "끝"]),  # no space after a decimal
        ("요한복음 삼 장. 아멘", ["요한복음 삼 장.", "아멘"]),
        ("마침표 없이 끝나는 문장", ["마침표 없이 끝나는 문장"]),
        ("  앞뒤 공백.  ", ["앞뒤 공백."]),
    ],
)
def test_what_ends_a_sentence(paragraph: str, expected: list[str]) -> None:
    assert sentences.sentences(paragraph) == expected


def test_a_sentence_keeps_the_closing_quote_that_follows_its_end() -> None:
    assert sentences.sentences('그가 말했다. "힘내라!" 그리고 갔다.') == [
        "그가 말했다.",
        '"힘내라!"',
        "그리고 갔다.",
    ]


def test_a_word_longer_than_the_limit_is_cut_into_pieces_of_the_limit() -> None:
    assert sentences.fit("가" * 25, 10) == ["가" * 10, "가" * 10, "가" * 5]
    assert sentences.fit("짧은 말 " + "나" * 12, 10) == ["짧은 말", "나" * 10, "나" * 2]


def test_a_sentence_within_the_limit_is_one_chunk() -> None:
    assert sentences.fit("짧습니다.", 10) == ["짧습니다."]
    assert sentences.fit("열 글자 문장입니다", 10) == ["열 글자 문장입니다"]  # exactly 10


def test_every_clause_mark_is_a_place_to_cut() -> None:
    assert sentences.fit("하나, 둘; 셋: 넷· 다섯", 6) == ["하나, 둘;", "셋: 넷·", "다섯"]
    assert sentences.fit("하나， 둘、 셋； 넷", 6) == ["하나， 둘、", "셋； 넷"]


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.text(st.sampled_from("가나다라,;."), min_size=1, max_size=15), min_size=1, max_size=30
    ),
    limit=st.integers(1, 40),
)
def test_fit_never_exceeds_the_limit_and_loses_no_letter(words: list[str], limit: int) -> None:
    sentence = " ".join(words)
    chunks = sentences.fit(sentence, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join(chunks).replace(" ", "") == sentence.replace(" ", "")
