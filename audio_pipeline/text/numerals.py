"""Numbers in running text, spelled out as a Korean announcer reads them.

Passes, in order (each a pure function str -> str; `read_numbers` runs them all):
dates (2026-11-22, 12/24(목)), clock times (15:30), named days and digit strings (6·25,
6.25 전쟁, 010-...), signed numbers and temperatures (signs.py: -5도 -> 영하 오 도), numbers
that label a thing (1번 출구), ordinals (제1장), fractions (1/2), then amounts with an
optional currency, range, unit or counter (25,000원, $100, 3~5명, 50%, 5km). Counters
decide native or Sino-Korean numerals (numbers.py). Bible references (3:16) must be read
before this runs.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from audio_pipeline.text.numbers import (
    COUNTERS,
    counted,
    counted_pair,
    month_name,
    sino,
    sino_digits,
)
from audio_pipeline.text.signs import read_signs

_WEEKDAYS: Final = {d: d + "요일" for d in "월화수목금토일"}


def _date(year: str, month: str, day: str) -> str | None:
    y, m, d = int(year), int(month), int(day)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return None
    return f"{sino(y)} 년 {month_name(m)} {sino(d)} 일"


# 2026-11-22, 2026/11/22, 2026.11.22, 2026. 11. 22. (한글 맞춤법 부록 1: 마침표로 연월일을 표시)
_ISO_DATES: Final = (
    re.compile(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])"),
    re.compile(r"(?<![\d.])(\d{4})/(\d{1,2})/(\d{1,2})(?![\d])"),
    re.compile(r"(?<![\d.])(\d{4})\.\s?(\d{1,2})\.\s?(\d{1,2})\.?(?![\d])"),
)
_WEEKDAY = re.compile(r"(\d+\s?일|[일이삼사오육칠팔구십]+ 일)\s?\(([월화수목금토일])(?:요일)?\)")
# 12/24(목), 10/3: month/day with a slash. A slash also writes a fraction (1/2, 3/4, 1/10 of
# the tithe), so without a weekday after it a smaller number over a month-sized one stays a
# fraction (fractions below); every other pair that can be a date is one (12/25, 10/3, 8/15).
_SLASH_DATE = re.compile(
    r"(?<![\d/.])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])(?![\d/])"
    r"(?P<weekday>\s?\([월화수목금토일](?:요일)?\))?"
)


def _slash_date(m: re.Match[str]) -> str:
    month, day = int(m[1]), int(m[2])
    if not m["weekday"] and month < day <= 12:
        return m[0]  # 1/2, 3/4, 1/10: a fraction
    return f"{month_name(month)} {sino(day)} 일{m['weekday'] or ''}"


def read_dates(text: str) -> str:
    for pattern in _ISO_DATES:
        text = pattern.sub(lambda m: _date(m[1], m[2], m[3]) or m[0], text)
    text = _SLASH_DATE.sub(_slash_date, text)
    # 11월 22일(일) -> ... 일 일요일: the day of the week in brackets is read out
    return _WEEKDAY.sub(lambda m: f"{m[1]} {_WEEKDAYS[m[2]]}", text)


_CLOCK = re.compile(r"(?<![\d:.])([01]?\d|2[0-4]):([0-5]\d)(?![\d:])")


def read_times(text: str) -> str:
    """15:30 -> 열다섯 시 삼십 분; 9:00 -> 아홉 시 (hours native, minutes Sino-Korean)."""

    def clock(m: re.Match[str]) -> str:
        hour, minute = int(m[1]), int(m[2])
        spoken = counted(hour, "시") if hour else "영 시"
        return spoken + (f" {sino(minute)} 분" if minute else "")

    return _CLOCK.sub(clock, text)


# 6·25, 3·1절, 4·19: named days (the day's name, not its date). Korean reads the month as a
# number and the day digit by digit from 13 up: 육이오, 사일구, 오일팔, 십이육 (10·26); days up
# to 12 and round tens as numbers: 삼일절, 육십 (6·10), 십이십이 (12·12).
_DOTTED_DAY = re.compile(r"(?<!\d)(1[0-2]|[1-9])[·・](\d{1,2})(?!\d)")
# The same days written with a full stop (6.25 전쟁, 3.1 운동, 1.4 후퇴, 5.18 민주화 운동): a
# dot also writes a decimal (3.14, 36.5도), so only before the word that names the event.
_EVENTS = (
    "전쟁|동란|사변|운동|혁명|의거|항쟁|민주|선언|공동선언|정상회담|사태|참사|남침|후퇴|"
    "기념일|때|당시|이후|이전"
)
_DOT_DAY = re.compile(
    rf"(?<![\d.])(1[0-2]|[1-9])\.(\d{{1,2}})(?![\d.])(?=\s?(?:{_EVENTS}))"
    r"|(?<![\d.])(3)\.(1)(?=절)"  # 3.1절 (삼일절); 요 3.16절 is a verse
)


def _day_name(month: str, day: str) -> str:
    d = int(day)
    spoken_day = sino(d) if d <= 12 or d % 10 == 0 else sino_digits(day)
    return sino(int(month)) + spoken_day


# 010-1234-5678, 007: codes and numbers with a leading zero, digit by digit with 공
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])\d+(?:-\d+){2,}(?![\d])|(?<![\d.,])0\d+(?![\d.,])")


def read_digit_strings(text: str) -> str:
    text = _DOTTED_DAY.sub(lambda m: _day_name(m[1], m[2]), text)
    text = _DOT_DAY.sub(lambda m: _day_name(m[1] or m[3], m[2] or m[4]), text)
    return _DIGIT_GROUPS.sub(
        lambda m: " ".join(sino_digits(g, zero="공") for g in m[0].split("-")), text
    )


# N번 counts times (세 번 기도했습니다: native, 한 번) unless it labels something: 1번 출구,
# 3번 버스, 찬송가 1번, 2번 문제 are read as Sino-Korean numbers (일 번, 삼 번), as a number
# that names a thing is (표준국어대사전 '번': 차례나 순서를 나타내는 말 ... 일 번 타자).
# after the number: words of two syllables or more, or one syllable standing alone (방, not 방법)
_LABELLED = (
    "출구|버스|문제|찬송|찬양|선수|타자|좌석|채널|질문|항목|트랙|게이트|창구|열차"
    "|(?:방|곡|홈|칸)(?=$|[^\uac00-\ud7a3]|[은는이가을를의에도으])"
)
_LABELS = "찬송가|새찬송가|찬송|찬양|버스|출구|문제|번호|좌석|채널|선수|방|곡|노선|질문|항목"
_LABEL_NUMBER = re.compile(
    rf"(?<![\uac00-\ud7a3])(?P<label>{_LABELS})\s(?P<a>\d+)\s?번(?![째지길])"
    rf"|(?<![\d.,])(?P<b>\d+)\s?번(?=\s?(?:{_LABELLED}))"
)


def read_labels(text: str) -> str:
    """1번 출구 -> 일 번 출구, 찬송가 1번 -> 찬송가 일 번 (a number naming a thing)."""

    def label(m: re.Match[str]) -> str:
        before = f"{m['label']} " if m["label"] else ""
        return f"{before}{sino(int(m['a'] or m['b']))} 번"

    return _LABEL_NUMBER.sub(label, text)


_ORDINAL = re.compile(r"(?<![\uac00-\ud7a3])제\s?(\d+)(?=(\s?)([\uac00-\ud7a3]?))")


def read_ordinals(text: str) -> str:
    """제1장 -> 제일 장, 제3세계 -> 제삼 세계 (제 + Sino-Korean, 한글 맞춤법 제43항 붙임)."""
    return _ORDINAL.sub(lambda m: f"제{sino(int(m[1]))}" + (" " if m[3] and not m[2] else ""), text)


_FRACTION = re.compile(r"(?<![\d/.])(\d+)/(\d+)(?![\d/])")


def read_fractions(text: str) -> str:
    """1/2 -> 이 분의 일 (the denominator first, as Korean says it)."""
    return _FRACTION.sub(lambda m: f"{sino(int(m[2]))} 분의 {sino(int(m[1]))}", text)


# --- amounts -----------------------------------------------------------------------------------

_MAGNITUDES: Final = {"천": 1000, "백": 100}
_BIG: Final = {"만": 10**4, "억": 10**8, "조": 10**12}
_PART = r"\d+(?:\.\d+)?(?:천|백)?(?:조|억|만(?!큼|나|난|날))?"
# a number: 25,000 | 3.5 | 100만 | 1억 2천만 | 2천5백
_AMOUNT = (
    r"(?:\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|" + _PART + r")"
    r"(?:\s?\d+(?:천|백)?(?:조|억|만(?!큼|나|난|날)))*"
)
_CURRENCY: Final = {"$": "달러", "₩": "원", "€": "유로", "£": "파운드", "¥": "엔"}
_SUBUNIT: Final = {"달러": "센트", "유로": "센트", "파운드": "펜스"}
# units written in Latin letters or symbols, with the word read and what goes before the number
_UNITS: Final = {
    "km/h": ("킬로미터", "시속"),
    "%p": ("퍼센트포인트", ""),
    "%": ("퍼센트", ""),
    "℃": ("도", "섭씨"),
    "°C": ("도", "섭씨"),
    "°F": ("도", "화씨"),
    "°": ("도", ""),
    "km": ("킬로미터", ""),
    # foreign measures (외래어 표기법 spellings): 5ft -> 오 피트
    "ft": ("피트", ""),
    "mi": ("마일", ""),
    "lbs": ("파운드", ""),
    "lb": ("파운드", ""),
    "oz": ("온스", ""),
    "gal": ("갤런", ""),
    "yd": ("야드", ""),
    "cm": ("센티미터", ""),
    "mm": ("밀리미터", ""),
    "kg": ("킬로그램", ""),
    "mg": ("밀리그램", ""),
    "ml": ("밀리리터", ""),
    "mL": ("밀리리터", ""),
    "m": ("미터", ""),
    "g": ("그램", ""),
    "L": ("리터", ""),
}


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_UNIT_RE = rf"(?:{_alternation(list(_UNITS))})(?![A-Za-z])"
_COUNTER_RE = _alternation(sorted(COUNTERS))
_CUR = rf"[{re.escape(''.join(_CURRENCY))}]"
_EXPRESSION = re.compile(
    rf"(?<!\d)(?:(?P<cur>{_CUR})\s?)?(?P<a>{_AMOUNT})"
    rf"(?:(?P<dash>\s*[~∼〜～]\s*|-)(?P<cur2>{_CUR})?(?P<b>{_AMOUNT}))?"
    rf"(?:(?P<unit>\s?{_UNIT_RE})|(?P<sp>\s?)(?P<counter>{_COUNTER_RE}))?"
)


def parse_amount(written: str) -> Decimal:
    """'25,000' -> 25000, '1억 2천만' -> 120000000, '3.5' -> 3.5."""
    total = Decimal(0)
    for number, small, big in re.findall(
        r"([\d,]+(?:\.\d+)?)(천|백)?(조|억|만)?", written.replace(" ", "")
    ):
        value = Decimal(number.replace(",", ""))
        value *= _MAGNITUDES.get(small, 1) * _BIG.get(big, 1)
        total += value
    return total


def _words(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return sino(int(amount))
    whole, _, fraction = format(amount, "f").partition(".")
    return f"{sino(int(whole))} 점 {sino_digits(fraction)}"


def _money(amount: Decimal, unit: str) -> str:
    """$2.50 -> 이 달러 오십 센트; ₩25,000 -> 이만 오천 원."""
    sub = _SUBUNIT.get(unit)
    if sub and amount != amount.to_integral_value():
        cents = int((amount - int(amount)) * 100)
        whole = f"{sino(int(amount))} {unit} " if int(amount) else ""
        return f"{whole}{sino(cents)} {sub}"
    return f"{_words(amount)} {unit}"


def _with_counter(amount: Decimal, counter: str) -> str:
    if amount == amount.to_integral_value():
        return counted(int(amount), counter)
    return f"{_words(amount)} {counter}"  # 1.5배 -> 일 점 오 배: decimals are Sino-Korean


def _counter_fits(m: re.Match[str]) -> bool:
    """A counter after a space counts only when it is a word of its own (3 명, not 3 대표)."""
    counter, rest = m["counter"], m.string[m.end() :]
    if not m["sp"] or len(counter) > 1:
        return True
    return not rest or not re.match(r"[\uac00-\ud7a3]", rest) or rest[0] in "은는이가을를의에도만"


def _expression(m: re.Match[str]) -> str:
    if m["counter"] and not _counter_fits(m):
        # the word after the space is not a counter: read the number alone, keep the rest
        return _expression_parts(m, counter=None) + m["sp"] + m["counter"]
    return _expression_parts(m, counter=m["counter"])


def _expression_parts(m: re.Match[str], counter: str | None) -> str:
    a = parse_amount(m["a"])
    b = parse_amount(m["b"]) if m["b"] else None
    currency = _CURRENCY.get(m["cur"] or m["cur2"] or "")
    unit, prefix = _UNITS.get((m["unit"] or "").strip(), ("", ""))
    if b is not None and m["dash"] == "-" and not (currency or unit or counter):
        # 3-4 with nothing after it is not clearly a range: read the numbers, keep the dash
        return f"{_words(a)}-{_words(b)}"

    def one(x: Decimal) -> str:
        if currency:
            return _money(x, currency)
        if unit:
            return f"{_words(x)} {unit}"
        if counter:
            return _with_counter(x, counter)
        return _words(x)

    if b is None:
        spoken = one(a)
    else:
        pair = None
        if counter and a == int(a) and b == int(b):
            pair = counted_pair(int(a), int(b), counter)
        spoken = pair or f"{one(a)}에서 {one(b)}"
    return f"{prefix} {spoken}" if prefix else spoken


# 9시~12시, 100원~200원: the counter written twice is read like 9~12시
_SAME_COUNTER_RANGE = re.compile(
    rf"(?<!\d)(\d+(?:,\d{{3}})*)\s?({_COUNTER_RE})(\s*[~∼〜～]\s*)(\d+(?:,\d{{3}})*)\s?\2"
)
# 3:1 that is no clock time (and no Bible verse, read before this): a ratio or a score
_RATIO = re.compile(r"(?<![\d:])(\d+)\s?:\s?(\d+)(?![\d:])")


def read_amounts(text: str) -> str:
    text = _SAME_COUNTER_RANGE.sub(lambda m: f"{m[1]}{m[3]}{m[4]}{m[2]}", text)
    text = _RATIO.sub(lambda m: f"{sino(int(m[1]))} 대 {sino(int(m[2]))}", text)
    return _EXPRESSION.sub(_expression, text)


def read_numbers(text: str) -> str:
    """Every number in `text` as words (Bible references already read)."""
    for rule in (
        read_dates,
        read_times,
        read_digit_strings,
        read_signs,
        read_labels,
        read_ordinals,
        read_fractions,
        read_amounts,
    ):
        text = rule(text)
    return text
