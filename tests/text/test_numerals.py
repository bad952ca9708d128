"""Numbers in running text, one pass at a time, with the Korean an announcer would read
(dates, clock times, named days and codes, labels, ordinals, fractions, amounts), and what each
pass leaves alone for the next."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audio_pipeline.text import numerals


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2026-11-22", "이천이십육 년 십일월 이십이 일"),
        ("2026/6/10", "이천이십육 년 유월 십 일"),
        ("2026.11.22", "이천이십육 년 십일월 이십이 일"),
        ("2026. 11. 22.", "이천이십육 년 십일월 이십이 일"),
        ("12/24(목)", "십이월 이십사 일 목요일"),
        ("5/8(금요일)", "오월 팔 일 금요일"),
        ("12/25 성탄절", "십이월 이십오 일 성탄절"),
        ("10/3", "시월 삼 일"),
        ("11월 22일(일)", "11월 22일 일요일"),  # the weekday is read, the numbers left to amounts
        # not dates: a month out of range, a longer number, a fraction
        ("2026-13-01", "2026-13-01"),
        ("2026-11-223", "2026-11-223"),
        ("3/4", "3/4"),
        ("1/10", "1/10"),
    ],
)
def test_dates(text: str, spoken: str) -> None:
    assert numerals.read_dates(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("15:30", "열다섯 시 삼십 분"),
        ("9:00", "아홉 시"),
        ("오후 3:00에", "오후 세 시에"),
        ("0:05", "영 시 오 분"),
        ("24:00", "스물네 시"),
        ("12:60", "12:60"),  # no such minute
        ("25:00", "25:00"),  # no such hour
        ("1:2:3", "1:2:3"),
    ],
)
def test_clock_times_hours_native_minutes_sino(text: str, spoken: str) -> None:
    assert numerals.read_times(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("6·25", "육이오"),
        ("4·19", "사일구"),
        ("10·26", "십이육"),
        ("6·10", "육십"),  # a round ten is a number
        ("12·12", "십이십이"),  # so is a day up to twelve
        ("3·1절", "삼일절"),
        ("6.25 전쟁", "육이오 전쟁"),
        ("3.1절", "삼일절"),
        ("6.25", "6.25"),  # without the event's name a dot writes a decimal
        ("3.14", "3.14"),
        ("010-1234-5678", "공일공 일이삼사 오육칠팔"),
        ("007", "공공칠"),
        ("1,007", "1,007"),  # a thousands comma: an amount, not a code
    ],
)
def test_named_days_and_codes(text: str, spoken: str) -> None:
    assert numerals.read_digit_strings(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("1번 출구", "일 번 출구"),
        ("2번 버스", "이 번 버스"),
        ("찬송가 1번", "찬송가 일 번"),
        ("새찬송가 300번을", "새찬송가 삼백 번을"),
        ("2번 방", "이 번 방"),
        ("2번 방에", "이 번 방에"),
        # counting times, not naming a thing: left for the counters (세 번)
        ("3번 기도", "3번 기도"),
        ("2번 방법", "2번 방법"),
        ("1번째", "1번째"),
    ],
)
def test_a_number_naming_a_thing_is_sino_korean(text: str, spoken: str) -> None:
    assert numerals.read_labels(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("제1장", "제일 장"),
        ("제3세계", "제삼 세계"),
        ("제2차", "제이 차"),
        ("제 2 차", "제이 차"),
        ("제10", "제십"),
        ("문제1", "문제1"),  # 제 inside a word is no ordinal
    ],
)
def test_ordinals_with_je(text: str, spoken: str) -> None:
    assert numerals.read_ordinals(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [("1/2", "이 분의 일"), ("3/4", "사 분의 삼"), ("소득의 1/10", "소득의 십 분의 일")],
)
def test_fractions_denominator_first(text: str, spoken: str) -> None:
    assert numerals.read_fractions(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("25,000원", "이만 오천 원"),
        ("12,345", "만 이천삼백사십오"),
        ("1억 2천만 원", "일억 이천만 원"),
        ("3.14", "삼 점 일사"),
        ("1.5배", "일 점 오 배"),
        ("$2.50", "이 달러 오십 센트"),
        ("$0.99", "구십구 센트"),
        ("€10", "십 유로"),
        ("50%", "오십 퍼센트"),
        ("60km/h", "시속 육십 킬로미터"),
        ("5ft", "오 피트"),
        ("3~5명", "세 명에서 다섯 명"),
        ("2~3명", "두세 명"),
        ("10~20%", "십 퍼센트에서 이십 퍼센트"),
        ("100원~200원", "백 원에서 이백 원"),
        ("3-4", "삼-사"),  # a dash with nothing after it is not clearly a range
        ("3:1", "삼 대 일"),
        ("3 명이", "세 명이"),
        ("3 대표", "삼 대표"),  # 대 starts a word here: no counter
        ("100만큼", "백만큼"),  # 만큼 is a particle, not ten thousand
    ],
)
def test_amounts_currencies_units_ranges_and_counters(text: str, spoken: str) -> None:
    assert numerals.read_amounts(text) == spoken


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("25,000", Decimal(25_000)),
        ("1억 2천만", Decimal(120_000_000)),
        ("2천5백", Decimal(2_500)),
        ("100만", Decimal(1_000_000)),
        ("3.5", Decimal("3.5")),
        ("1,234.5", Decimal("1234.5")),
    ],
)
def test_parse_amount(written: str, value: Decimal) -> None:
    assert numerals.parse_amount(written) == value


def test_the_passes_run_in_order() -> None:
    # a date before the amounts (which would read 2026 as a number), a time before the ratios
    assert numerals.read_numbers("2026-11-22 15:30에 3명") == (
        "이천이십육 년 십일월 이십이 일 열다섯 시 삼십 분에 세 명"
    )
    assert numerals.read_numbers("12/24(목) 오후 3시, 기온 -5도") == (
        "십이월 이십사 일 목요일 오후 세 시, 기온 영하 오 도"
    )
    assert numerals.read_numbers("찬송가 1번을 3번 부릅니다") == "찬송가 일 번을 세 번 부릅니다"
