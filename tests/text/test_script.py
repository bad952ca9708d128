"""Sentence splitting and the spoken script: engine-sized chunks, pauses, no cut words."""

from __future__ import annotations

import pytest

from audio_pipeline.text import sentences
from audio_pipeline.text.script import build_script


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


def test_script_pauses_between_sentences_and_paragraphs() -> None:
    script = build_script(
        "m", "하나. 둘.\n\n셋.", max_chars=100, sentence_pause_s=0.5, paragraph_pause_s=1.0
    )
    assert [s.text for s in script.sentences] == ["하나.", "둘.", "셋."]
    assert [s.pause_after_s for s in script.sentences] == [0.5, 1.0, 0.0]
    assert script.spoken_text == "하나.\n둘.\n셋."
