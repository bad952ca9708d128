"""Identifying details in a message text: what could lead to a person if it went on the air.

Pure functions over a string. Each finding carries the exact words as written, a kind, why it
matters and how to fix it; whether a finding blocks a message (and whether an editor has
cleared it) is decided by the gate in inputs/safety.py, not here.

Kinds: e-mail addresses (also spelled out: 골뱅이, (at), (dot)), web addresses, messenger
handles and IDs, phone numbers (Korean, international, written in Hangul digits), long numbers
(accounts, identity and card numbers), street addresses and districts, Korean names with a
title (김철수 집사님, 박 장로님), foreign given names in Hangul with a title (데이비드 형제님),
names in Latin letters, and the project's own patterns (input/identifying.yaml).

Precision matters as much as recall: Bible references, dates, times, counters, amounts,
frequencies, offices used generically (목사님들, 한 형제) and Bible names must not be flagged.
tests/data/identifying.yaml is a hand-labelled corpus that measures both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from audio_pipeline.text import names

H = "\uac00-\ud7a3"  # Hangul syllables


@dataclass(frozen=True)
class Finding:
    kind: str  # email, url, handle, phone-number, long-number, street-address, korean-name, ...
    words: str  # exactly as written in the text
    start: int  # character offset of `words` in the checked text
    reason: str  # why it matters, for a person
    fix: str  # what to do about it
    # the spoken script leaves it out (web and e-mail addresses): clearing it would leave a
    # hole in the sentence, so only rewriting the sentence helps
    removed_from_speech: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.words)


@dataclass(frozen=True)
class ExtraPattern:
    """A project's own pattern (input/identifying.yaml): a regular expression or a literal."""

    pattern: re.Pattern[str]
    reason: str


_REMOVE = "remove it before approval"
_GENERAL = "remove it or use a general word (한 형제, 한 자매)"
_REWRITE = "rewrite the sentence without it (it is never read on the air)"

# --- addresses on the internet -------------------------------------------------------------

# each starts where a word starts: a match tried from every letter of a long word is quadratic
EMAIL: Final = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# prayer.kim 골뱅이 naver 닷컴, grace.lee (at) example (dot) org
_SPELLED_EMAIL: Final = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+\s*(?:\(at\)|\[at\]|\bat\b|골뱅이|앳)\s*[A-Za-z0-9-]+"
    r"(?:\s*(?:\(dot\)|\[dot\]|\bdot\b|점|쩜)\s*[A-Za-z]{2,}|\s*닷\s*(?:컴|넷|오알지|[A-Za-z]{2,}))+",
    re.IGNORECASE,
)
_TLDS = (
    "com|org|net|kr|kp|cn|io|co|info|tv|me|us|uk|ca|au|de|jp|edu|gov|church|app|ly|be|gl|to"
    "|link|xyz|site|online|ru|hk|tw|fm|asia|biz"
)
# http(s)://..., www...., or a bare domain with a common ending (example.org/page); trailing
# punctuation belongs to the sentence, not to the address
URL: Final = re.compile(
    r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%]*[A-Za-z0-9\-_~/#=%]"
    rf"|(?<![A-Za-z0-9@.-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})(?![A-Za-z0-9-])"
    r"(?:/[A-Za-z0-9\-._~:/?#@!$&*+=%]*[A-Za-z0-9\-_~/#=%@])?",
    re.IGNORECASE,
)
_HANDLE: Final = re.compile(
    r"(?<![A-Za-z0-9._%+-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?"
)
# 카카오톡 아이디 kimcs77, 위챗 ID: hope_yanji (아이디어 is an idea, not an ID)
_MESSENGER_ID: Final = re.compile(
    r"(?:카카오톡|카톡|텔레그램|위챗|라인|시그널|인스타그램|인스타|페이스북|트위터|스카이프|"
    r"아이디(?!어)|\bID\b|\bid\b)"
    r"(?:\s*(?:아이디(?!어)|ID|id|계정|번호))?\s*[:：]?\s*"
    r"(?P<id>(?=[A-Za-z0-9_.-]*[0-9_])[A-Za-z][A-Za-z0-9_.-]{2,29}[A-Za-z0-9])"
)

# --- numbers -------------------------------------------------------------------------------

_NUMBER_RUN: Final = re.compile(r"(?<![\d,.:/A-Za-z])[+(]?\d[\d\s().-]*\d(?![\d]|[,.]\d)")
_DATE_SHAPED: Final = re.compile(r"\d{4}\s?([-./])\s?\d{1,2}\s?\1\s?\d{1,2}\.?")
_YEAR_RANGE: Final = re.compile(r"([12]\d{3})\s?[-~]\s?([12]\d{3})")
_PHONE_SHAPES: Final = (
    re.compile(r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){1,4}"),  # +82 10-1234-5678
    re.compile(r"\(?0\d{1,2}\)?[\s.-]?\d{3,4}[\s.-]?\d{4}"),  # 010-1234-5678, (02) 123-4567
    re.compile(r"1[5-9]\d{2}-\d{4}"),  # 1588-1234: a hotline
    re.compile(r"\d{3}[\s.-]\d{3,4}[\s.-]\d{4}"),  # 191-234-5678 (North Korea), 138 1234 5678
    re.compile(r"\(\d{3}\)\s?\d{3}-\d{4}"),  # (555) 123-4567
)
_LONG_DIGITS: Final = re.compile(r"(?<![\d,.])[A-Z]{0,2}\d{6,}(?![\d]|[,.]\d)")
# 공일공 일이삼사 오육칠팔: a phone number written out in Hangul digits
_HANGUL_PHONE: Final = re.compile(
    r"(?<![가-힣])공[일이][공영일이삼사오육칠팔구]?[\s-]?[공영일이삼사오육칠팔구]{3,4}[\s-]?"
    r"[공영일이삼사오육칠팔구]{4}(?![가-힣])"
)


def _numbers(text: str) -> Iterable[tuple[str, re.Match[str], str, str]]:
    """Phone numbers and long numbers. A digit run counts as a phone number when it has a
    phone number's shape; a date (2026. 12. 24.), a year range (1950-1953), a Bible reference
    or a time (they hold a colon) and an amount (a thousands comma) never do."""
    for m in _NUMBER_RUN.finditer(text):
        run = m[0].rstrip(" (-.")
        digits = sum(c.isdigit() for c in run)
        years = _YEAR_RANGE.fullmatch(run)
        if years and int(years[2]) >= int(years[1]):  # 1950-1953, not the hotline 1588-1234
            continue
        if _DATE_SHAPED.fullmatch(run) or digits < 7:
            continue
        if digits <= 15 and any(shape.fullmatch(run) for shape in _PHONE_SHAPES):
            yield "phone-number", m, run, ""
        elif digits >= 9 and re.search(r"\d[\s-]\d", run):
            yield "long-number", m, run, ""


# --- addresses on the ground ---------------------------------------------------------------

_PROVINCES = (
    "서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충청북|충청남|충북|충남|전라북|전라남|"
    "전북|전남|경상북|경상남|경북|경남|제주|평양|남포|라선|나선|개성|평안북|평안남|함경북|"
    "함경남|황해북|황해남|자강|량강|양강|신의주|청진|함흥|원산|혜산|회령|무산|사리원|해주|강계|"
    "안산|수원|성남|고양|용인|부천|청주|천안|전주|포항|창원|김해|연길|옌지|단동|단둥|심양|선양|"
    "도문|투먼|훈춘|장춘|길림|지린|요녕|랴오닝|흑룡강|헤이룽장"
)
_ROAD_ADVERBS = "서로|스스로|새로|바로|홀로|실로|대로|별로|따로|절로|날로|저절로|주로|진실로|참으로"
_STREET_ADDRESS: Final = re.compile(
    # a province or city with a district or a neighbourhood: 평양시 중구역, 서울 강남구,
    # 양강도 혜산시 혜화동, 회령시 유선동 3반
    rf"(?<![{H}])(?:{_PROVINCES})(?:특별시|광역시|직할시|특별자치시|특별자치도|시|도|성)?"
    rf"(?:\s?[{H}]{{1,6}}(?:구역|구|군|시|동|리|읍|면|현))+"
    rf"(?:\s?(?:[{H}]{{1,6}}(?:동|리|읍|면)|\d{{1,3}}\s?(?:반|통)))*"
    rf"(?=$|[^{H}]|에|의|은|는|이|가|을|를|도|에서|입)"
    # road-name address: 테헤란로 123, 중앙로12길 5-3
    rf"|(?<![{H}\d])(?!(?:{_ROAD_ADVERBS})\s)[{H}]{{1,10}}\d*(?:로|길)"
    rf"(?<!으로)(?<!에게로)(?<!께로)\s?\d{{1,4}}(?:-\d{{1,4}})?(?![\d{H}]|[,.]\d)"
    r"(?!\s?(?:년|명|개|번|살|시|일|월))"
    # a neighbourhood with its lot number: 우동 1234, 원곡동 123-4번지
    rf"|(?<![{H}])[{H}]{{1,4}}(?:동|리|가)\s\d{{1,4}}(?:-\d{{1,4}})?(?:\s?번지)?(?![\d{H}])"
    # lot number, apartment unit: 123-4번지, 101동 202호
    r"|\d+(?:-\d+)?\s?번지|\d+\s?동\s?\d+\s?호"
    # street address in English: 12 Main Street
    r"|\b\d+\s+(?:[A-Z][a-z]+\s+)+(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive"
    r"|Dr|Way|Court|Ct)\b\.?"
)

# --- names ---------------------------------------------------------------------------------

_TITLES_LATIN = (
    r"(?:Mr|Mrs|Ms|Miss|Dr|Rev|Pastor|Brother|Sister|Elder|Deacon|Missionary|Prof|Father)\.?"
)
_LATIN_WORD = r"[A-Z][a-z]+(?:[-'’][A-Za-z][a-z]*)?"
_LATIN_NAMES: Final = re.compile(
    rf"\b{_TITLES_LATIN}\s+{_LATIN_WORD}(?:\s+{_LATIN_WORD})*"
    rf"|\b{_LATIN_WORD}(?:\s+{_LATIN_WORD})+\b"
    rf"|\b{_LATIN_WORD}(?=\s?(?:{names.TITLES_KO}))"
)


def _latin_names(text: str) -> Iterable[re.Match[str]]:
    for m in _LATIN_NAMES.finditer(text):
        if not names.latin_is_not_a_person(m[0]):
            yield m


# --- the table -----------------------------------------------------------------------------

Finder = Callable[[str], Iterable[tuple[str, re.Match[str], str, str]]]


def _simple(
    kind: str, pattern: re.Pattern[str] | Callable[[str], Iterable[re.Match[str]]]
) -> Finder:
    find = pattern.finditer if isinstance(pattern, re.Pattern) else pattern

    def finder(text: str) -> Iterable[tuple[str, re.Match[str], str, str]]:
        for m in find(text):
            yield kind, m, m[0], ""

    return finder


def _messenger_ids(text: str) -> Iterable[tuple[str, re.Match[str], str, str]]:
    for m in _MESSENGER_ID.finditer(text):
        yield "handle", m, m["id"], "id"


_WHY: Final = {
    "email": ("an e-mail address reaches one person", _REWRITE, True),
    "url": ("a web address leads to a person or a group", _REWRITE, True),
    "handle": ("a messenger handle or ID reaches one person", _REMOVE, False),
    "phone-number": ("a phone number reaches one person", _REMOVE, False),
    "long-number": (
        "a long number (an account, an identity or card number?) can be traced",
        "remove it unless it identifies no one",
        False,
    ),
    "street-address": ("a street address or district narrows a person down", _REMOVE, False),
    "korean-name": ("a name with a title identifies a person", _GENERAL, False),
    "latin-name": ("a personal name in Latin letters identifies a person", _GENERAL, False),
}
# In this order: an earlier kind wins where two overlap (an e-mail address is no web address).
_FINDERS: Final[tuple[Finder, ...]] = (
    _simple("email", EMAIL),
    _simple("email", _SPELLED_EMAIL),
    _simple("url", URL),
    _simple("handle", _HANDLE),
    _messenger_ids,
    _numbers,
    _simple("phone-number", _HANGUL_PHONE),
    _simple("street-address", _STREET_ADDRESS),
    _simple("long-number", _LONG_DIGITS),
    _simple("latin-name", _latin_names),
    _simple("korean-name", names.korean_names),
)


def identifying(text: str, extra: Sequence[ExtraPattern] = ()) -> list[Finding]:
    """Every identifying detail in `text`, in order of appearance, never two over the same
    words. `extra` are the project's own patterns (checked after the built-in ones)."""
    found: list[Finding] = []

    def add(kind: str, start: int, words: str, reason: str, fix: str, removed: bool) -> None:
        end = start + len(words)
        if words.strip() and not any(start < f.end and f.start < end for f in found):
            found.append(Finding(kind, words, start, reason, fix, removed))

    for finder in _FINDERS:
        for kind, m, words, group in finder(text):
            reason, fix, removed = _WHY[kind]
            start = m.start(group) if group else m.start()
            add(kind, start, words, reason, fix, removed)
    for extra_pattern in extra:
        for m in extra_pattern.pattern.finditer(text):
            add("project-pattern", m.start(), m[0], extra_pattern.reason, _REMOVE, False)
    return sorted(found, key=lambda f: f.start)
