"""Korean number words, known answers: Sino-Korean grouped by 만, native numerals and their
forms before a counter, months, ordinals, and which counters take which numerals (the rules
the module cites: 한글 맞춤법 제43, 44, 52항; 표준어 규정 제6, 17항)."""

from __future__ import annotations

import pytest

from audio_pipeline.text import numbers


@pytest.mark.parametrize(
    ("n", "sino", "native"),
    [(1, "일", "하나"), (10, "십", "열"), (20, "이십", "스물"), (32, "삼십이", "서른둘"),
     (99, "구십구", "아흔아홉"), (100, "백", "백"), (10_000, "만", "만")],
)  # fmt: skip
def test_numerals(n: int, sino: str, native: str) -> None:
    assert numbers.sino(n) == sino
    assert numbers.native(n) == native


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "영"),
        (11, "십일"),
        (101, "백일"),  # 일 is dropped before 십, 백, 천 only
        (110, "백십"),
        (1001, "천일"),
        (10_001, "만 일"),  # a space between the groups of 만 (제44항)
        (20_000, "이만"),
        (25_000, "이만 오천"),
        (110_000, "십일만"),
        (1_000_000, "백만"),
        (10_000_000, "천만"),
        (100_000_000, "일억"),  # 만 alone, but 일억
        (100_010_000, "일억 일만"),  # 만 with a group before it keeps its 일
        (1_234_567_898, "십이억 삼천사백오십육만 칠천팔백구십팔"),
        (10**12, "일조"),
        (-5, "마이너스 오"),
    ],
)
def test_sino_korean_is_grouped_by_man(n: int, spoken: str) -> None:
    assert numbers.sino(n) == spoken


@pytest.mark.parametrize(
    ("n", "counting", "before_a_counter"),
    [
        (1, "하나", "한"), (2, "둘", "두"), (3, "셋", "세"), (4, "넷", "네"),
        (5, "다섯", "다섯"), (11, "열하나", "열한"), (12, "열둘", "열두"),
        (20, "스물", "스무"), (21, "스물하나", "스물한"), (22, "스물둘", "스물두"),
        (30, "서른", "서른"), (40, "마흔", "마흔"), (50, "쉰", "쉰"), (60, "예순", "예순"),
        (70, "일흔", "일흔"), (80, "여든", "여든"), (90, "아흔", "아흔"),
        (100, "백", "백"), (0, "영", "영"),  # outside 1..99: Sino-Korean
    ],
)  # fmt: skip
def test_native_numerals_and_their_attributive_forms(
    n: int, counting: str, before_a_counter: str
) -> None:
    assert numbers.native(n) == counting
    assert numbers.native(n, attributive=True) == before_a_counter


def test_month_names_with_the_two_customary_readings() -> None:
    assert [numbers.month_name(m) for m in range(1, 13)] == [
        "일월", "이월", "삼월", "사월", "오월", "유월",  # 육월 -> 유월 (제52항)
        "칠월", "팔월", "구월", "시월", "십일월", "십이월",  # 십월 -> 시월
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("n", "ordinal"),
    [(1, "첫째"), (2, "둘째"), (3, "셋째"), (4, "넷째"), (5, "다섯째"), (10, "열째"),
     (11, "열한째"), (12, "열두째"), (20, "스무째"), (21, "스물한째"), (22, "스물두째"),
     (23, "스물셋째"), (100, "백째")],
)  # fmt: skip
def test_native_ordinals(n: int, ordinal: str) -> None:
    assert numbers.ordinal_native(n) == ordinal


@pytest.mark.parametrize(
    ("n", "counter", "native"),
    [
        (3, "명", True),
        (99, "명", True),
        (100, "명", False),  # from a hundred up: 백 명
        (0, "명", False),
        (3, "년", False),  # a Sino-Korean counter
        (3, "없는말", False),  # not a counter at all
        (10, "배", True),  # 열 배
        (11, "배", False),  # 십일 배
        (30, "배", False),  # 삼십 배 (마 13:8)
        (2, "대", True),  # 두 대: two vehicles
        (20, "대", False),  # 이십 대: people in their twenties
        (21, "대", True),
    ],
)
def test_which_counters_take_native_numerals(n: int, counter: str, native: bool) -> None:
    assert numbers.takes_native(n, counter) is native


@pytest.mark.parametrize(
    ("n", "counter", "spoken"),
    [
        (3, "명", "세 명"),
        (20, "살", "스무 살"),
        (100, "명", "백 명"),
        (3, "년", "삼 년"),
        (25_000, "원", "이만 오천 원"),
        (6, "월", "유월"),
        (13, "월", "십삼 월"),  # no month: read as a number
        (1, "번째", "첫 번째"),
        (2, "번째", "두 번째"),
        (100, "번째", "백 번째"),
        (12, "째", "열두째"),
        (3, "달", "석 달"),  # 표준어 규정 제17항
        (4, "달", "넉 달"),
        (5, "달", "다섯 달"),
        (3, "돈", "서 돈"),
        (4, "말", "너 말"),
        (1, "시", "한 시"),
        (13, "시", "열세 시"),
        (20, "대", "이십 대"),
        (11, "배", "십일 배"),
    ],
)
def test_a_number_before_its_counter(n: int, counter: str, spoken: str) -> None:
    assert numbers.counted(n, counter) == spoken


@pytest.mark.parametrize(
    ("a", "b", "counter", "spoken"),
    [
        (1, 2, "시간", "한두 시간"),
        (2, 3, "명", "두세 명"),
        (3, 4, "개", "서너 개"),
        (4, 5, "개", "네다섯 개"),
        (5, 6, "명", "대여섯 명"),
        (6, 7, "명", "예닐곱 명"),
        (7, 8, "명", "일고여덟 명"),
        (8, 9, "명", "여덟아홉 명"),
        (2, 3, "일", "이삼 일"),  # Sino-Korean pairs before 일, 년, 주, 개월, 주일
        (3, 4, "년", "삼사 년"),
        (2, 3, "개월", "이삼 개월"),
        (2, 4, "명", None),  # not neighbours
        (9, 10, "명", None),
        (2, 3, "시", None),  # 두 시에서 세 시: a time is said in full
        (2, 3, "분", None),
    ],
)
def test_two_neighbouring_numbers_said_as_one_word(
    a: int, b: int, counter: str, spoken: str | None
) -> None:
    assert numbers.counted_pair(a, b, counter) == spoken


def test_digit_by_digit() -> None:
    assert numbers.sino_digits("625") == "육이오"
    assert numbers.sino_digits("105") == "일영오"
    assert numbers.sino_digits("010", zero="공") == "공일공"  # numbers read like codes


def test_native_and_sino_counters_do_not_overlap() -> None:
    # a counter in both tables would be read two ways
    assert numbers.NATIVE_COUNTERS.isdisjoint(numbers.SINO_COUNTERS)
