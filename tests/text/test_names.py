"""Personal names: a Korean name (or a surname alone before an office) with a title, a
foreign given name in Hangul with a title, and the words that look like names and are not;
Latin-script phrases that are people and those that are not."""

from __future__ import annotations

import pytest

from audio_pipeline.text.names import korean_names, latin_is_not_a_person


def names_in(text: str) -> list[str]:
    return [m[0] for m in korean_names(text)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("김철수 집사님과 함께", ["김철수 집사님"]),
        ("이영희 권사", ["이영희 권사"]),
        ("송지훈님께", ["송지훈님"]),  # 님 attached
        ("홍길동 형제", ["홍길동 형제"]),
        ("이재한 형제", ["이재한 형제"]),  # a given name ending like an adjective
        ("리영호 동무", ["리영호 동무"]),  # 리 as North Koreans write 이
        ("박 장로님", ["박 장로님"]),  # a surname alone before an office
        ("정 전도사님", ["정 전도사님"]),
        ("데이비드 형제님", ["데이비드 형제님"]),  # a modern foreign given name
        ("김철수 집사님과 박 장로님", ["김철수 집사님", "박 장로님"]),
    ],
)
def test_names_with_a_title_are_found(text: str, names: list[str]) -> None:
    assert names_in(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "김철수",  # no title: nothing marks it as a name
        "하나님의 사랑",
        "주님의 형제",
        "사랑하는 형제님",
        "한 목사님",  # 'a pastor'
        "한 형제",  # 'a brother'
        "이 자매님",  # 'this sister'
        "여러분 성도",
        "신실한 형제",
        "어려운 가정",
        "공동체 형제",
        "기도회 형제",
        "전도사님들",
        "로그인 성도",  # loanword syllables no given name uses
        "서비스 성도",
        "스티브",  # a foreign name without a title
    ],
)
def test_words_that_are_no_names(text: str) -> None:
    assert names_in(text) == []


@pytest.mark.parametrize(
    ("phrase", "not_a_person"),
    [
        ("Jesus Christ", True),
        ("Merry Christmas", True),
        ("Open Doors", True),
        ("Voice of the Martyrs", True),
        ("Hope Church", True),  # an organisation word
        ("Far East Broadcasting Company", True),
        ("John Smith", False),
        ("Sister Grace", False),  # a title makes a person
        ("Pastor Lee", False),
        ("Dr. Kim", False),
        ("Sister Mary", False),  # even with a word that alone is no person
    ],
)
def test_latin_phrases_that_are_not_people(phrase: str, not_a_person: bool) -> None:
    assert latin_is_not_a_person(phrase) is not_a_person
