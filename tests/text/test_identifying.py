"""The identifying-details detector, one kind at a time: the exact words and where they stand,
why they matter and what to do, which kinds the spoken script leaves out, which kind wins
where two overlap, the project's own patterns, and the numbers and places that identify no one.
(tests/text/test_identifying_corpus.py scores it on a labelled corpus.)"""

from __future__ import annotations

import re

import pytest

from audio_pipeline.text.identifying import ExtraPattern, Finding, identifying


def kinds(text: str) -> list[tuple[str, str]]:
    found = identifying(text)
    assert all(text[f.start : f.end] == f.words for f in found)  # the words, where they stand
    return [(f.kind, f.words) for f in found]


def test_a_finding_says_what_why_and_what_to_do() -> None:
    [email, phone] = identifying("메일 kim@example.org, 전화 010-1234-5678")
    assert email == Finding(
        kind="email",
        words="kim@example.org",
        start=3,
        reason="an e-mail address reaches one person",
        fix="rewrite the sentence without it (it is never read on the air)",
        removed_from_speech=True,
    )
    assert email.end == 18
    assert phone == Finding(
        kind="phone-number",
        words="010-1234-5678",
        start=23,
        reason="a phone number reaches one person",
        fix="remove it before approval",
        removed_from_speech=False,
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("abc@def.co.kr입니다", [("email", "abc@def.co.kr")]),
        ("minsu.park 골뱅이 naver 닷컴", [("email", "minsu.park 골뱅이 naver 닷컴")]),
        ("grace.lee (at) example (dot) org", [("email", "grace.lee (at) example (dot) org")]),
        ("example.com에서", [("url", "example.com")]),
        ("자세히는 https://x.org/a?b=1, 그리고", [("url", "https://x.org/a?b=1")]),
        ("텔레그램 @prayer_kim 으로", [("handle", "@prayer_kim")]),
        ("카톡 아이디: kim_cs", [("handle", "kim_cs")]),  # the id, not the messenger's name
        ("ID hope_yanji", [("handle", "hope_yanji")]),
    ],
)
def test_addresses_and_handles(text: str, found: list[tuple[str, str]]) -> None:
    assert kinds(text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("+82 10-1234-5678", [("phone-number", "+82 10-1234-5678")]),
        ("전화 02-123-4567", [("phone-number", "02-123-4567")]),
        ("(02) 123-4567로", [("phone-number", "(02) 123-4567")]),
        ("010 1234 5678", [("phone-number", "010 1234 5678")]),
        ("191-234-5678", [("phone-number", "191-234-5678")]),
        ("1588-1234", [("phone-number", "1588-1234")]),  # a hotline
        ("공일공 일이삼사 오육칠팔", [("phone-number", "공일공 일이삼사 오육칠팔")]),
        ("계좌 123-456-789012", [("long-number", "123-456-789012")]),
        ("번호는 123456 입니다", [("long-number", "123456")]),
    ],
)
def test_phone_and_long_numbers(text: str, found: list[tuple[str, str]]) -> None:
    assert kinds(text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("양강도 혜산시 혜화동", [("street-address", "양강도 혜산시 혜화동")]),
        ("회령시 유선동 3반", [("street-address", "회령시 유선동 3반")]),
        ("중앙로12길 5-3", [("street-address", "중앙로12길 5-3")]),
        ("우동 1234", [("street-address", "우동 1234")]),
        ("12 Main Street", [("street-address", "12 Main Street")]),
        ("김철수 집사님과", [("korean-name", "김철수 집사님")]),
        ("Kim Min-jun 자매", [("latin-name", "Kim Min-jun")]),
        ("David 형제님께", [("latin-name", "David")]),
    ],
)
def test_places_and_people(text: str, found: list[tuple[str, str]]) -> None:
    assert kinds(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "1950-1953년",  # years, not the hotline shape
        "2026. 12. 24.",  # a date
        "15:30에",  # a time
        "요 3:16",  # a Bible reference
        "25,000원",  # an amount
        "12345",  # five digits identify no one
        "좋은 아이디어 abc123",  # 아이디어 is an idea, not an ID
        "me@x",  # no domain
        "테헤란로 123년",  # a road name before a year is a number of years
        "서로 도와요",
        "바로 5분",
        "평양 근처",  # a city alone narrows no one down
        "Jesus Christ 안에서",
    ],
)
def test_what_identifies_no_one(text: str) -> None:
    assert identifying(text) == []


def test_an_address_is_found_once_as_its_first_kind() -> None:
    # an e-mail address holds a domain, and a web address would match it too
    assert kinds("연락 kim@example.org") == [("email", "kim@example.org")]


def test_findings_come_in_order_of_appearance() -> None:
    text = "www.example.org 에서 김철수 집사님께 010-1234-5678 로"
    assert [f.kind for f in identifying(text)] == ["url", "korean-name", "phone-number"]


def test_project_patterns_come_after_the_built_in_kinds_and_never_overlap_them() -> None:
    extra = [
        ExtraPattern(re.compile(r"새벽빛\s*후원회", re.IGNORECASE), "a project pattern: ours"),
        ExtraPattern(re.compile(r"example", re.IGNORECASE), "a project pattern: inside"),
    ]
    found = identifying("kim@example.org 새벽빛 후원회", extra)
    assert [(f.kind, f.words, f.start) for f in found] == [
        ("email", "kim@example.org", 0),
        ("project-pattern", "새벽빛 후원회", 16),
    ]
    assert found[1].reason == "a project pattern: ours"
    assert found[1].fix == "remove it before approval" and not found[1].removed_from_speech
    assert identifying("새벽빛 후원회") == []  # only the project knows it
