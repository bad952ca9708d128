"""Korean number words: Sino-Korean and native numerals, and how a number is read before a
counter. Pure functions on integers; finding numbers in text is `numerals.py`'s job.

The rules, as the National Institute of Korean Language (국립국어원) states them:
- 한글 맞춤법 제44항: numbers are grouped by 만 (10^4) and a space falls between groups:
  십이억 삼천사백오십육만 칠천팔백구십팔.
- 한글 맞춤법 제43항: a counter (단위 명사) is its own word: 한 개, 열 살, 두 시 삼십 분.
- 한글 맞춤법 제52항 (속음): 육월 -> 유월, 십월 -> 시월.
- 표준어 규정 제6항: 둘째, 셋째, 넷째; in numbers above ten 열두째, 스물두째.
- 표준어 규정 제17항: 석/넉 before some units (석 달, 넉 달 in common use; 서/너 before 돈, 말,
  발, 푼).
- Native numerals (고유어 수사) take their attributive form (수관형사) before a counter: 한, 두,
  세, 네, 스무 (표준국어대사전); from one hundred up the Sino-Korean reading is used (백 명).
"""

from __future__ import annotations

from typing import Final

SINO_DIGITS: Final = ("영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구")
_SINO_PLACES: Final = ((1000, "천"), (100, "백"), (10, "십"), (1, ""))
_MAN_UNITS: Final = ("", "만", "억", "조", "경")

_NATIVE_ONES: Final = ("", "하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉")
_NATIVE_ONES_ATTR: Final = ("", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉")
_NATIVE_TENS: Final = ("", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔")

# Counters read with native numerals (표준국어대사전 examples: 세 명, 다섯 마리, 두 시, 한 번).
NATIVE_COUNTERS: Final = frozenset(
    {
        "명", "사람", "개", "살", "시", "시간", "마리", "가지", "번", "달", "권", "잔", "대",
        "배", "그루", "송이", "벌", "켤레", "척", "채", "통", "곳", "군데", "쌍", "자루",
        "포기", "끼", "병", "상자", "그릇", "방울", "마디", "줄", "걸음", "차례", "해",
        "번째", "째", "제자", "지파", "식구", "가족", "가정", "아이", "아들", "딸", "형제",
        "자매", "나라", "주먹", "봉지", "사발", "숟가락",
        # money of the Bible, counted as 개역개정 reads it: 다섯 달란트 (마 25:15), 한
        #데나리온 (마 20:2), 열 므나 (눅 19:16), 두 렙돈 (막 12:42), 열 드라크마 (눅 15:8),
        # 일곱 갑절
        "달란트", "데나리온", "므나", "렙돈", "고드란트", "드라크마", "갑절",
    }
)  # fmt: skip
# Counters read with Sino-Korean numerals (the list, and the units that follow it).
SINO_COUNTERS: Final = frozenset(
    {
        "년", "년대", "년도", "년간", "월", "일", "일간", "분", "초", "원", "층", "주", "주일",
        "주년", "주간", "장", "절", "편", "개월", "세", "세기", "회", "차", "호", "위", "등",
        "번지", "번길", "학년", "달러", "유로", "엔", "위안", "파운드", "센트", "펜스",
        "퍼센트", "도", "킬로미터", "미터", "센티미터", "밀리미터", "킬로그램", "그램",
        "리터", "밀리리터", "인분", "부", "쪽", "페이지", "리", "평", "톤",
        # measures of the Bible, read in Sino-Korean as 개역개정 reads them: 삼백 규빗 (창
        # 6:15), 은 사백 세겔 (창 23:15), 오 리 (마 5:41), 한 에바 ... 십분의 일
        "규빗", "큐빗", "세겔", "에바", "호멜", "오멜", "스타디온", "밧", "힌",
        # foreign measures (외래어 표기법 spellings)
        "마일", "피트", "인치", "야드", "에이커", "갤런", "온스", "킬로", "헥타르",
    }
)  # fmt: skip
COUNTERS: Final = NATIVE_COUNTERS | SINO_COUNTERS

_MONTHS: Final = {6: "유월", 10: "시월"}  # 한글 맞춤법 제52항 (속음)
_SEOK_NEOK: Final = {3: "석", 4: "넉"}  # 표준어 규정 제17항: 석 달, 넉 달
_SEO_NEO: Final = {3: "서", 4: "너"}  # 표준어 규정 제17항: 서 돈, 너 말
_SEO_NEO_UNITS: Final = frozenset({"돈", "말", "발", "푼"})
_ORDINAL_SMALL: Final = {1: "첫째", 2: "둘째", 3: "셋째", 4: "넷째"}  # 표준어 규정 제6항

# Two neighbouring native numbers before one counter are said as one word: 두세 명, 서너 개.
_NATIVE_PAIRS: Final = {
    1: "한두",
    2: "두세",
    3: "서너",
    4: "네다섯",
    5: "대여섯",
    6: "예닐곱",
    7: "일고여덟",
    8: "여덟아홉",
}


def _sino_below_10000(n: int) -> str:
    out = []
    for place, unit in _SINO_PLACES:
        digit = n // place % 10
        if digit == 0:
            continue
        # 일 is dropped before 십, 백, 천: 십, 백, 천 (not 일십, 일백, 일천)
        out.append(unit if digit == 1 and unit else SINO_DIGITS[digit] + unit)
    return "".join(out)


def sino(n: int) -> str:
    """Sino-Korean reading: 25000 -> 이만 오천,
    1_234_567_898 -> 십이억 삼천사백오십육만 칠천팔백구십팔."""
    if n < 0:
        return "마이너스 " + sino(-n)
    if n == 0:
        return "영"
    groups: list[str] = []
    index = 0
    while n:
        n, group = divmod(n, 10_000)
        if group:
            if index == 1 and group == 1 and not n:
                groups.append("만")  # 만 원, not 일만 원; but 일억, 일조
            else:
                groups.append(_sino_below_10000(group) + _MAN_UNITS[index])
        index += 1
    return " ".join(reversed(groups))  # 한글 맞춤법 제44항: 만 단위로 띄어 쓴다


def sino_digits(digits: str, zero: str = "영") -> str:
    """Digit by digit: 6·25 -> 육이오; zero as 공 in numbers read like codes (010 -> 공일공)."""
    return "".join(zero if d == "0" else SINO_DIGITS[int(d)] for d in digits)


def native(n: int, *, attributive: bool = False) -> str:
    """Native Korean numeral for 1..99; `attributive` is the form before a counter
    (한 명, 스무 살, 스물한 개). Outside 1..99 the Sino-Korean reading is returned."""
    if not 1 <= n <= 99:
        return sino(n)
    tens, ones = divmod(n, 10)
    if attributive:
        if ones == 0 and tens == 2:
            return "스무"
        return _NATIVE_TENS[tens] + _NATIVE_ONES_ATTR[ones]
    return _NATIVE_TENS[tens] + _NATIVE_ONES[ones]


def month_name(n: int) -> str:
    """1 -> 일월, 6 -> 유월, 10 -> 시월, 11 -> 십일월 (one word each)."""
    return _MONTHS.get(n) or sino(n) + "월"


def ordinal_native(n: int) -> str:
    """n + 째: 첫째, 둘째, 열두째, 스무째 (표준어 규정 제6항)."""
    if n in _ORDINAL_SMALL:
        return _ORDINAL_SMALL[n]
    if not 1 <= n <= 99:
        return sino(n) + "째"
    tens, ones = divmod(n, 10)
    if ones == 0:
        return ("스무" if tens == 2 else _NATIVE_TENS[tens]) + "째"
    unit = {1: "한", 2: "두"}.get(ones, _NATIVE_ONES[ones])
    return _NATIVE_TENS[tens] + unit + "째"


def takes_native(n: int, counter: str) -> bool:
    """Whether `n counter` is read with a native numeral (1..99 before a native counter)."""
    if counter not in NATIVE_COUNTERS or not 1 <= n <= 99:
        return False
    if counter == "배":
        # multiples: 두 배, 세 배, 열 배 (표준국어대사전 '배'), but 삼십 배, 육십 배, 백 배 (마
        # 13:8, 개역개정) beyond ten
        return n <= 10
    # 20대, 30대: an age bracket (이십 대), not twenty vehicles
    return not (counter == "대" and n % 10 == 0)


def counted(n: int, counter: str) -> str:
    """`n` read before `counter`, with the counter: 세 명, 유월, 석 달, 첫 번째, 이만 오천 원."""
    if counter == "월" and 1 <= n <= 12:
        return month_name(n)
    if counter == "번째":
        return ("첫" if n == 1 else native(n, attributive=True) if n <= 99 else sino(n)) + " 번째"
    if counter == "째":
        return ordinal_native(n)
    if counter == "달" and n in _SEOK_NEOK:
        return f"{_SEOK_NEOK[n]} 달"
    if counter in _SEO_NEO_UNITS and n in _SEO_NEO:
        return f"{_SEO_NEO[n]} {counter}"
    if takes_native(n, counter):
        return f"{native(n, attributive=True)} {counter}"
    return f"{sino(n)} {counter}"


def counted_pair(a: int, b: int, counter: str) -> str | None:
    """Two neighbouring numbers before one counter, said as one word when Koreans do:
    두세 명, 서너 시간, 이삼 일. None when the range is read out in full instead."""
    if b != a + 1 or not 1 <= a <= 8:
        return None
    if takes_native(a, counter) and counter not in ("시", "번째", "째", "달"):
        return f"{_NATIVE_PAIRS[a]} {counter}"
    if counter in ("일", "년", "주", "개월", "주일"):
        return f"{SINO_DIGITS[a]}{SINO_DIGITS[b]} {counter}"
    return None
