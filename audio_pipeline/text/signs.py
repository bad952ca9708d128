"""Signed numbers: a minus sign reverses the meaning, so it is never dropped.

A temperature below zero is read 영하 (-5도 -> 영하 오 도, -3℃ -> 영하 섭씨 삼 도), above zero
with a plus sign 영상; as Korean weather reports say it (표준국어대사전 '영하': 섭씨온도계에서
눈금이 0℃ 이하의 온도). Any other signed number is read 마이너스 / 플러스 (-3% -> 마이너스 삼
퍼센트). A sign is a sign only where a number starts: after a space, a bracket or the start of
the line, never between two numbers (3-5명 is a range, 2026-11-22 a date) or inside a word.
`영하 -5도` is not read twice: the sign is dropped after 영하 or 영상.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from audio_pipeline.text.numbers import sino, sino_digits

_MINUS: Final = "-−–"  # hyphen-minus, U+2212 minus sign, the en dash some editors type
_SIGN = rf"[{_MINUS}+]"
_NUMBER = r"\d+(?:\.\d+)?"
_TEMPERATURE_UNITS: Final = {"℃": "섭씨", "°C": "섭씨", "°F": "화씨", "°": "", "도": ""}
_UNIT = r"(?:℃|°C|°F|°|도)"
_START = r"(?<![0-9A-Za-z\uac00-\ud7a3.,)\]])"
# -5~-10도, -5 ~ 3℃: a range of temperatures, at least one of them signed
_TEMPERATURE_RANGE: Final = re.compile(
    rf"{_START}(?P<s1>{_SIGN})?(?P<a>{_NUMBER})\s*[~∼〜～]\s*(?P<s2>{_SIGN})?(?P<b>{_NUMBER})"
    rf"\s?(?P<unit>{_UNIT})"
)
# a temperature's sign may follow a word directly (기온-5도): a minus before degrees is never
# a hyphen
_TEMPERATURE: Final = re.compile(
    rf"(?:(?P<before>영하|영상)\s?)?(?<![0-9A-Za-z.,)\]])(?P<s>{_SIGN})(?P<a>{_NUMBER})\s?"
    rf"(?P<unit>{_UNIT})"
)
_SIGNED: Final = re.compile(rf"{_START}(?P<s>[{_MINUS}+±])(?=\d)")


def _number(written: str) -> str:
    value = Decimal(written)
    if value == value.to_integral_value():
        return sino(int(value))
    whole, _, fraction = written.partition(".")
    return f"{sino(int(whole))} 점 {sino_digits(fraction)}"


def _degrees(sign: str | None, number: str, unit: str) -> str:
    scale = _TEMPERATURE_UNITS[unit]
    above_or_below = {"+": "영상 "}.get(sign or "", "영하 " if sign else "")
    return f"{above_or_below}{scale + ' ' if scale else ''}{_number(number)} 도"


def read_signs(text: str) -> str:
    """Signed temperatures and numbers as words; unsigned ones are left to numerals.py."""

    def span(m: re.Match[str]) -> str:
        s1, s2 = m["s1"], m["s2"]
        if not (s1 or s2):
            return m[0]
        # -5~3도: from below zero to above it, 영하 오 도에서 영상 삼 도
        if s1 and s1 in _MINUS and not s2 and Decimal(m["b"]) > 0:
            s2 = "+"
        return f"{_degrees(s1, m['a'], m['unit'])}에서 {_degrees(s2, m['b'], m['unit'])}"

    def temperature(m: re.Match[str]) -> str:
        if m["before"]:  # 영하 -5도: 영하 already says it
            return f"{m['before']} {_degrees(None, m['a'], m['unit'])}"
        attached = m.string[m.start() - 1 : m.start()].strip() != ""  # 기온-5도
        return (" " if attached else "") + _degrees(m["s"], m["a"], m["unit"])

    text = _TEMPERATURE_RANGE.sub(span, text)
    text = _TEMPERATURE.sub(temperature, text)
    words = {"+": "플러스 ", "±": "플러스마이너스 "}
    return _SIGNED.sub(lambda m: words.get(m["s"], "마이너스 "), text)
