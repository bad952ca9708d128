"""Signed numbers and temperatures: a minus is never dropped; below zero is 영하, a signed
temperature above zero 영상, any other signed number 마이너스 / 플러스; a dash between two
numbers is no sign."""

from __future__ import annotations

import pytest

from audio_pipeline.text.signs import read_signs


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("-5도", "영하 오 도"),
        ("+3도", "영상 삼 도"),
        ("-3.5°C", "영하 섭씨 삼 점 오 도"),
        ("-3℃", "영하 섭씨 삼 도"),
        ("-40°F", "영하 화씨 사십 도"),
        ("–12°", "영하 십이 도"),  # an en dash typed for a minus
        ("−7도", "영하 칠 도"),  # U+2212 MINUS SIGN
        ("-0.5도", "영하 영 점 오 도"),
        ("기온-5도", "기온 영하 오 도"),  # attached to a word: a minus before degrees is no hyphen
        ("영하 -5도", "영하 오 도"),  # 영하 already says it
        ("영상 +3도", "영상 삼 도"),
    ],
)
def test_signed_temperatures(text: str, spoken: str) -> None:
    assert read_signs(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("-5~3도", "영하 오 도에서 영상 삼 도"),  # across zero: the second is above it
        ("-5 ~ 3℃", "영하 섭씨 오 도에서 영상 섭씨 삼 도"),
        ("-5~-10도", "영하 오 도에서 영하 십 도"),
        ("5~10도", "5~10도"),  # unsigned: left to the amounts
    ],
)
def test_temperature_ranges(text: str, spoken: str) -> None:
    assert read_signs(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("-3%", "마이너스 3%"),  # the number itself is read by the amounts after this
        ("(-3)", "(마이너스 3)"),
        ("x -3", "x 마이너스 3"),
        ("−7에서 +3까지", "마이너스 7에서 플러스 3까지"),
        ("±2", "플러스마이너스 2"),
    ],
)
def test_other_signed_numbers(text: str, spoken: str) -> None:
    assert read_signs(text) == spoken


@pytest.mark.parametrize(
    "text",
    ["3-5명", "2026-11-22", "1-3", "a-3", "25°C", "010-1234-5678", "3.5-4"],
)
def test_a_dash_that_is_no_sign_is_left_alone(text: str) -> None:
    assert read_signs(text) == text
