"""Bible references read aloud: the 66 books of the 개역개정 and their abbreviations, chapter
and verse in Sino-Korean with 장 and 절 (편 for the Psalms), ranges, lists, chapters alone, and
what is not a reference."""

from __future__ import annotations

import pytest

from audio_pipeline.text import bible


def test_bible_table_has_66_books_with_distinct_abbreviations() -> None:
    assert len(bible.BOOKS) == 66
    assert [b.number for b in bible.BOOKS] == list(range(1, 67))
    abbreviations = [a for b in bible.BOOKS for a in b.abbreviations]
    assert len(abbreviations) == len(set(abbreviations))
    assert bible.book("요") is not None and bible.book("요").name == "요한복음"  # type: ignore[union-attr]
    assert bible.book("시편") is not None and bible.book("시편").chapter_word == "편"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "number", "name"),
    [
        ("창", 1, "창세기"),
        ("창세기", 1, "창세기"),
        ("시", 19, "시편"),
        ("마", 40, "마태복음"),
        ("마가", 41, "마가복음"),
        ("요한", 43, "요한복음"),
        ("삼상", 9, "사무엘상"),
        ("요일", 62, "요한일서"),
        ("계시록", 66, "요한계시록"),
    ],
)
def test_a_book_by_its_name_or_abbreviation(written: str, number: int, name: str) -> None:
    found = bible.book(written)
    assert found is not None and (found.number, found.name) == (number, name)


def test_unknown_books_and_chapter_words() -> None:
    assert bible.book("요한사서") is None and bible.book("") is None
    assert [b.name for b in bible.BOOKS if b.chapter_word != "장"] == ["시편"]


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("요 3:16", "요한복음 삼 장 십육 절"),
        ("요한복음 3:16", "요한복음 삼 장 십육 절"),
        ("요 3장 16절", "요한복음 삼 장 십육 절"),
        ("롬 8:28절", "로마서 팔 장 이십팔 절"),
        ("시 23:1", "시편 이십삼 편 일 절"),
        ("행 2:1", "사도행전 이 장 일 절"),
        ("요일 4:8", "요한일서 사 장 팔 절"),  # the longer abbreviation, not 요 + 일
        ("요 3:16-18", "요한복음 삼 장 십육 절에서 십팔 절"),
        ("마 5:3~12", "마태복음 오 장 삼 절에서 십이 절"),
        ("눅 15:11–32", "누가복음 십오 장 십일 절에서 삼십이 절"),
        ("요 3:16-4:2", "요한복음 삼 장 십육 절에서 사 장 이 절"),
        ("시편 23:1-6", "시편 이십삼 편 일 절에서 육 절"),
        ("요 3:16, 18", "요한복음 삼 장 십육 절, 십팔 절"),
        ("고전 13:4-7, 13", "고린도전서 십삼 장 사 절에서 칠 절, 십삼 절"),
        ("요 3:16 말씀", "요한복음 삼 장 십육 절 말씀"),
    ],
)
def test_chapter_and_verse(text: str, spoken: str) -> None:
    assert bible.read_references(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("시편 23편", "시편 이십삼 편"),
        ("시 23편", "시편 이십삼 편"),
        ("요한복음 3장", "요한복음 삼 장"),
        ("요한복음 3", "요한복음 삼 장"),  # a full name needs no 장
        ("창 1-3장", "창세기 일 장에서 삼 장"),
    ],
)
def test_chapters_alone(text: str, spoken: str) -> None:
    assert bible.read_references(text) == spoken


@pytest.mark.parametrize(
    "text",
    [
        "시 23",  # an abbreviation and a number may be no reference at all
        "3:16",  # no book
        "필요 3:1",  # 요 inside a word
        "요 0:1",  # there is no chapter 0
        "오늘은 좋은 날입니다.",
    ],
)
def test_what_is_not_a_reference_is_left_alone(text: str) -> None:
    assert bible.read_references(text) == text
