"""Listener checks: identifying details are found and never edited away silently."""

from __future__ import annotations

import time

import pytest
import yaml

from audio_pipeline.text.checks import listener_checks, vocabulary
from tests.conftest import REPO


def test_email_phone_and_url_are_flagged_in_order() -> None:
    text = (
        "연락은 kim.supporter@example.org 또는 +1 (555) 123-4567, www.example.org/page 로 하세요."
    )
    rules = [(w.rule, w.excerpt) for w in listener_checks(text)]
    assert rules == [
        ("email", "kim.supporter@example.org"),
        ("phone-number", "+1 (555) 123-4567"),
        ("url", "www.example.org/page"),
    ]
    assert all(w.kind == "identifying" and w.start >= 0 for w in listener_checks(text))


def test_plain_message_has_no_warnings() -> None:
    assert listener_checks("하나님은 당신을 잊지 않으셨습니다.") == []


def test_plain_sample_messages_have_no_warnings() -> None:
    for path in sorted((REPO / "input/messages").glob("*.yaml")):
        text = yaml.safe_load(path.read_text("utf-8"))["text"]
        assert listener_checks(text) == [], path.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("John Smith 형제와 Kim Min-jun 자매",
         [("latin-name", "John Smith"), ("latin-name", "Kim Min-jun")]),
        ("David 형제님께", [("latin-name", "David")]),
        ("Pastor Lee 가 기도합니다", [("latin-name", "Pastor Lee")]),
        ("김철수 집사님과 함께", [("korean-name", "김철수 집사님")]),
        ("평양시 중구역에 사는 형제", [("street-address", "평양시 중구역")]),
        ("서울 강남구 테헤란로 123",
         [("street-address", "서울 강남구"), ("street-address", "테헤란로 123")]),
        ("101동 202호, 12-3번지",
         [("street-address", "101동 202호"), ("street-address", "12-3번지")]),
        ("12 Main Street 에서", [("street-address", "12 Main Street")]),
        ("번호는 123456 입니다", [("long-number", "123456")]),
        ("naver.com 에서", [("url", "naver.com")]),
    ],
)  # fmt: skip
def test_identifying_details(text: str, expected: list[tuple[str, str]]) -> None:
    warnings = listener_checks(text)
    assert [(w.rule, w.excerpt) for w in warnings] == expected
    assert all(w.kind == "identifying" and text[w.start :].startswith(w.excerpt) for w in warnings)


@pytest.mark.parametrize(
    "text",
    [
        "Jesus Christ 안에서 Merry Christmas!",
        "하나님 아버지, 주님의 자매들, 우리의 형제, 사랑하는 형제님",
        "서로 3년 동안, 스스로 5 번 기도했습니다",
        "2026-11-22 오후 3시, 요 3:16, 25,000원",
        "평양 근처, 서울 시민, 오늘도 지구 곳곳에서",
        "스마트한 생각, 노트북, 알바니아, 스타일리스트",
    ],
)
def test_no_false_alarms_on_ordinary_words(text: str) -> None:
    assert listener_checks(text) == []


def test_loanwords_get_a_suggestion_and_a_source() -> None:
    text = "힐링이 필요할 때 멘토를 찾고, 스트레스 받지 마세요. 파이팅! 스크린도어 SNS에"
    warnings = listener_checks(text)
    assert [(w.excerpt, w.suggestion) for w in warnings] == [
        ("힐링", "치유"),
        ("멘토", "인생 길잡이"),
        ("스트레스", "마음의 짐"),
        ("파이팅", "힘내세요"),
        ("스크린도어", "안전문"),
        ("SNS", "누리 소통망"),
    ]
    assert all(w.kind == "vocabulary" and "[source: " in w.message for w in warnings)


@pytest.mark.parametrize(
    "text",
    ["1-" * 2500, "a" * 5000, "1." * 2500, "a_" * 2500, "(1)" * 1600, "a at " * 1000],
)
def test_identifying_details_take_linear_time(text: str) -> None:
    started = time.monotonic()
    listener_checks(text)
    assert time.monotonic() - started < 0.5  # a pattern tried from every letter is quadratic


@pytest.mark.parametrize(
    ("text", "excerpt", "entry", "suggestion"),
    [
        ("케어합니다", "케어", "케어", "돌봄"),
        ("힐링합니다", "힐링", "힐링", "치유"),
        ("힐링합시다", "힐링", "힐링", "치유"),
        ("마음이 힐링됩니다", "힐링", "힐링", "치유"),
        ("서로 케어함", "케어", "케어", "돌봄"),
        ("케어받는 가정", "케어", "케어", "돌봄"),
        ("케어했습니다", "케어", "케어", "돌봄"),
        ("힐링이에요", "힐링", "힐링", "치유"),
        ("멘토예요", "멘토", "멘토", "인생 길잡이"),
        ("스트레스받지 마세요", "스트레스", "스트레스", "마음의 짐"),
        ("셀 모임에서", "셀 모임", "셀모임", "작은 모임"),
        ("셀모임에서", "셀모임", "셀모임", "작은 모임"),
        ("스크린도어", "스크린도어", "스크린 도어", "안전문"),
        ("셀리더 모임", "셀리더", "셀 리더", "작은 모임 인도자"),
        ("오늘의 뉴스입니다", "뉴스", "뉴스", "소식"),
        ("이 메시지를 전합니다", "메시지", "메시지", "말씀"),
    ],
)  # fmt: skip
def test_loanwords_match_every_ending_and_spacing(
    text: str, excerpt: str, entry: str, suggestion: str
) -> None:
    [warning] = vocabulary(text)
    assert warning.excerpt == excerpt
    assert warning.suggestion == suggestion
    named = "" if excerpt == entry else f" (glossary entry '{entry}')"
    assert warning.message.startswith(
        f"may not be understood in North Korea{named}; consider '{suggestion}'"
    )


@pytest.mark.parametrize("text", ["힐링캠프", "뉴스레터", "케어링", "파티션"])
def test_a_term_inside_another_word_is_not_flagged(text: str) -> None:
    assert vocabulary(text) == []
