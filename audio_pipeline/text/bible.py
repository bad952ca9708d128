"""Bible references read as a Korean announcer reads them:
"요 3:16-18" -> "요한복음 삼 장 십육 절에서 십팔 절". The book is named in full, chapter and
verse are read in Sino-Korean with 장 and 절 (the Psalms count 편, not 장: 시편 이십삼 편 일 절).

Book names and abbreviations are those of the 개역개정 Bible (대한성서공회), the translation
Korean Protestant churches read, with a few other short forms in common use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from audio_pipeline.text.numbers import sino


@dataclass(frozen=True)
class Book:
    number: int  # 1..66, canonical order
    name: str  # full name, as read aloud
    abbreviations: tuple[str, ...]  # 개역개정 abbreviation first

    @property
    def chapter_word(self) -> str:
        return "편" if self.name == "시편" else "장"


_TABLE: Final = (
    ("창세기", "창 창세"),
    ("출애굽기", "출 출애"),
    ("레위기", "레 레위"),
    ("민수기", "민 민수"),
    ("신명기", "신 신명"),
    ("여호수아", "수 여호"),
    ("사사기", "삿 사사"),
    ("룻기", "룻"),
    ("사무엘상", "삼상"),
    ("사무엘하", "삼하"),
    ("열왕기상", "왕상"),
    ("열왕기하", "왕하"),
    ("역대상", "대상"),
    ("역대하", "대하"),
    ("에스라", "스"),
    ("느헤미야", "느"),
    ("에스더", "에"),
    ("욥기", "욥"),
    ("시편", "시"),
    ("잠언", "잠"),
    ("전도서", "전"),
    ("아가", "아"),
    ("이사야", "사"),
    ("예레미야", "렘"),
    ("예레미야애가", "애 애가"),
    ("에스겔", "겔"),
    ("다니엘", "단"),
    ("호세아", "호"),
    ("요엘", "욜"),
    ("아모스", "암"),
    ("오바댜", "옵"),
    ("요나", "욘"),
    ("미가", "미"),
    ("나훔", "나"),
    ("하박국", "합"),
    ("스바냐", "습"),
    ("학개", "학"),
    ("스가랴", "슥"),
    ("말라기", "말"),
    ("마태복음", "마 마태"),
    ("마가복음", "막 마가"),
    ("누가복음", "눅 누가"),
    ("요한복음", "요 요한"),
    ("사도행전", "행 행전"),
    ("로마서", "롬 로마"),
    ("고린도전서", "고전"),
    ("고린도후서", "고후"),
    ("갈라디아서", "갈"),
    ("에베소서", "엡"),
    ("빌립보서", "빌"),
    ("골로새서", "골"),
    ("데살로니가전서", "살전"),
    ("데살로니가후서", "살후"),
    ("디모데전서", "딤전"),
    ("디모데후서", "딤후"),
    ("디도서", "딛"),
    ("빌레몬서", "몬"),
    ("히브리서", "히"),
    ("야고보서", "약"),
    ("베드로전서", "벧전"),
    ("베드로후서", "벧후"),
    ("요한일서", "요일"),
    ("요한이서", "요이"),
    ("요한삼서", "요삼"),
    ("유다서", "유"),
    ("요한계시록", "계 계시록"),
)

BOOKS: Final = tuple(
    Book(i, name, tuple(abbr.split())) for i, (name, abbr) in enumerate(_TABLE, start=1)
)
_BY_NAME: Final = {b.name: b for b in BOOKS}
_BY_ABBREVIATION: Final = {a: b for b in BOOKS for a in b.abbreviations}


def book(written: str) -> Book | None:
    """The book a full name or an abbreviation stands for."""
    return _BY_NAME.get(written) or _BY_ABBREVIATION.get(written)


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_DASH = r"\s*[-~–—∼〜～]\s*"
_VERSE = r"(\d+)\s*절?"
# chapter:verse (or 3장 16절), optional range to a verse or to chapter:verse, optional list
_REFERENCE: Final = re.compile(
    rf"(?<![가-힣A-Za-z0-9])(?P<book>{_alternation([*_BY_NAME, *_BY_ABBREVIATION])})\s*"
    r"(?P<ch>[1-9]\d*)\s*(?::|장\s*)(?P<v>[1-9]\d*)(?:\s*절)?"
    rf"(?:{_DASH}(?:(?P<ch2>\d+)\s*(?::|장\s*))?(?P<v2>\d+)(?:\s*절)?)?"
    r"(?P<more>(?:\s*,\s*\d+(?:\s*절)?(?!\s*[:장]))*)"
)
# a chapter alone, or a chapter range: 시편 23편, 창 1-3장; a full name needs no 장/편
_CHAPTER: Final = re.compile(
    rf"(?<![가-힣A-Za-z0-9])(?:(?P<abbr>{_alternation(list(_BY_ABBREVIATION))})"
    rf"|(?P<full>{_alternation(list(_BY_NAME))}))\s*"
    rf"(?P<ch>[1-9]\d*)(?:{_DASH}(?P<ch2>[1-9]\d*))?\s*(?P<word>장|편)?(?![\d:])"
)


def _reference(m: re.Match[str]) -> str:
    b = book(m["book"])
    assert b is not None
    out = f"{b.name} {sino(int(m['ch']))} {b.chapter_word} {sino(int(m['v']))} 절"
    if m["v2"]:
        to = f"{sino(int(m['v2']))} 절"
        if m["ch2"]:
            to = f"{sino(int(m['ch2']))} {b.chapter_word} {to}"
        out += f"에서 {to}"
    for verse in re.findall(r"\d+", m["more"] or ""):
        out += f", {sino(int(verse))} 절"
    return out


def _chapter(m: re.Match[str]) -> str:
    if m["abbr"] and not m["word"]:
        return m[0]  # "시 23" may not be a reference at all: leave it to the number rules
    b = book(m["abbr"] or m["full"])
    assert b is not None
    out = f"{b.name} {sino(int(m['ch']))} {b.chapter_word}"
    if m["ch2"]:
        out += f"에서 {sino(int(m['ch2']))} {b.chapter_word}"
    return out


def read_references(text: str) -> str:
    """Every Bible reference in `text` spelled out for speech; other text unchanged."""
    return _CHAPTER.sub(_chapter, _REFERENCE.sub(_reference, text))
