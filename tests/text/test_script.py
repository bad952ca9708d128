"""The spoken script: the normalized text in engine-sized sentences, each with the pause that
follows it, and the lexicon entries it used."""

from __future__ import annotations

from audio_pipeline.text.lexicon import Lexicon
from audio_pipeline.text.script import build_script


def test_script_pauses_between_sentences_and_paragraphs() -> None:
    script = build_script(
        "m", "하나. 둘.\n\n셋.", max_chars=100, sentence_pause_s=0.5, paragraph_pause_s=1.0
    )
    assert [s.text for s in script.sentences] == ["하나.", "둘.", "셋."]
    assert [s.pause_after_s for s in script.sentences] == [0.5, 1.0, 0.0]
    assert script.spoken_text == "하나.\n둘.\n셋."


def test_script_is_the_normalized_text_split_within_the_engine_limit() -> None:
    text = (
        "2026년 11월 22일 오후 3시 30분, 요 3:16-18 말씀을 함께 읽으며 25,000원의 헌금과 "
        "120명의 성도가 3~5명씩 모여 기도했습니다."
    )
    script = build_script("m", text, max_chars=40, sentence_pause_s=0.5, paragraph_pause_s=1.0)
    spoken = (
        "이천이십육 년 십일월 이십이 일 오후 세 시 삼십 분, 요한복음 삼 장 십육 절에서 십팔 절 "
        "말씀을 함께 읽으며 이만 오천 원의 헌금과 백이십 명의 성도가 세 명에서 다섯 명씩 모여 "
        "기도했습니다."
    )
    assert all(len(s.text) <= 40 for s in script.sentences)
    assert " ".join(s.text for s in script.sentences).split() == spoken.split()  # no word cut
    assert script.sentences[0].text == "이천이십육 년 십일월 이십이 일 오후 세 시 삼십 분,"
    assert not any(c.isdigit() for c in script.spoken_text)


def test_a_sentence_cut_for_length_pauses_less_than_a_sentence_end() -> None:
    script = build_script(
        "m",
        "하나 둘 셋 넷 다섯 여섯. 끝.\n\n새 문단.",
        max_chars=8,
        sentence_pause_s=0.5,
        paragraph_pause_s=1.0,
    )
    assert [(s.text, s.pause_after_s) for s in script.sentences] == [
        ("하나 둘 셋 넷", 0.2),  # a cut inside a sentence: 0.4 of the sentence pause
        ("다섯 여섯.", 0.5),
        ("끝.", 1.0),
        ("새 문단.", 0.0),
    ]


def test_the_script_records_the_lexicon_entries_it_used() -> None:
    lexicon = Lexicon((("Amen", "아멘"), ("Jesus", "예수")))
    script = build_script(
        "m",
        "Jesus 안에서",
        max_chars=100,
        sentence_pause_s=0.5,
        paragraph_pause_s=1.0,
        lexicon=lexicon,
    )
    assert script.message_id == "m"
    assert script.spoken_text == "예수 안에서"
    assert script.lexicon_used == (("Jesus", "예수"),)  # Amen was not used


def test_a_text_with_nothing_to_say_has_no_sentences() -> None:
    script = build_script("m", "🙏\n\n", max_chars=100, sentence_pause_s=0.5, paragraph_pause_s=1.0)
    assert script.sentences == () and script.spoken_text == ""
