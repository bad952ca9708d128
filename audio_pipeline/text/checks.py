"""Listener checks: warnings for the editor and the reviewer, never silent edits.

Two families:
- `identifying`: details that could identify a supporter, a listener or a believer, for the
  editor to remove before approval (phone numbers, e-mail addresses, URLs, long digit runs,
  street addresses, personal names written in Latin letters or with a title).
- `vocabulary`: South Korean Anglicisms and loanwords a North Korean listener may not know,
  with a suggested native alternative (the glossary in audio_pipeline/data/glossary.yaml).

`validate`, `preview` and the review page show these; nothing here changes any text.
(`normalize.py` adds a third kind, `speech`, for what the spoken script does with the text.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from audio_pipeline.text import glossary


@dataclass(frozen=True)
class TextWarning:
    kind: str  # "identifying" | "vocabulary" | "speech" (normalize.py)
    rule: str  # short rule name, e.g. "phone-number", "email", "anglicism"
    excerpt: str  # the text that triggered the warning, as written
    message: str  # what to do, for a person
    suggestion: str | None = None  # a replacement to consider (vocabulary warnings)
    start: int = -1  # character offset of `excerpt` in the checked text


_TLDS = "com|org|net|kr|kp|io|co|info|tv|me|us|uk|ca|au|de|jp|cn|edu|gov|church|app"
EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# http(s)://..., www...., or a bare domain with a common ending (example.org/page);
# trailing punctuation belongs to the sentence, not to the address
URL: Final = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()\[\]]*[^\s<>\"'()\[\].,;:!?]"
    rf"|(?<![\w@.])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})\b(?:/[^\s<>\"'()]*[^\s<>\"'().,;:!?])?",
    re.IGNORECASE,
)

# Capitalized Latin words that are not names (so "Jesus Christ" or "Merry Christmas" is not one)
_NOT_NAMES: Final = frozenset(
    """jesus christ god lord holy spirit bible amen hallelujah gospel church korea korean north
    south merry christmas happy new year good friday easter sunday monday tuesday wednesday
    thursday saturday january february march april may june july august september october
    november december the of and radio news world peace love hope grace in his name""".split()  # noqa: SIM905
)
_TITLES_LATIN = r"(?:Mr|Mrs|Ms|Miss|Dr|Rev|Pastor|Brother|Sister|Elder|Deacon)\.?"
_TITLES_KO = "씨|님|형제|자매|집사|권사|장로|목사|전도사|선교사|선생|동무"
_LATIN_NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Za-z][a-z]*)?"
_LATIN_NAMES: Final = re.compile(
    rf"\b{_TITLES_LATIN}\s+{_LATIN_NAME_WORD}(?:\s+{_LATIN_NAME_WORD})*"
    rf"|\b{_LATIN_NAME_WORD}(?:\s+{_LATIN_NAME_WORD})+\b"
    rf"|\b{_LATIN_NAME_WORD}(?=\s?(?:{_TITLES_KO}))"
)
# A Korean name with a title: surname + two syllables + 집사님, 형제, 씨 ... (김철수 집사님)
_SURNAMES = (
    "김|이|박|최|정|강|조|윤|장|임|한|오|서|신|권|황|안|송|류|유|전|홍|고|문|양|손|배|백|허|"
    "남|심|노|하|곽|성|차|주|우|구|민|진|나|지|엄|채|원|천|방|공|현|함|변|염|여|추|도|소|석|"
    "선|설|마|길|연|위|표|명|기|반|왕|금|옥|육|인|맹|제|모|탁|국|어|은|편|용|리|림|로"
)
_KOREAN_NAME: Final = re.compile(
    rf"(?<![\uac00-\ud7a3])(?:{_SURNAMES})(?![\uac00-\ud7a3]?(?:님|의|은|는|이|가|을|를|도|에|로))"
    rf"[\uac00-\ud7a3]{{2}}\s?(?:{_TITLES_KO})"
)
_LONG_DIGITS: Final = re.compile(r"(?<![\d,.])\d{6,}(?![\d,.])")
_PROVINCES = (
    "서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충청북|충청남|충북|충남|전라북|전라남|"
    "전북|전남|경상북|경상남|경북|경남|제주|평양|남포|라선|나선|개성|평안북|평안남|함경북|"
    "함경남|황해북|황해남|자강|량강|양강|신의주|청진|함흥|원산|혜산|회령|무산|사리원|해주|강계"
)
_ROAD_ADVERBS = "서로|스스로|새로|바로|홀로|실로|대로|별로|따로|절로|날로|저절로|주로|진실로|참으로"
_STREET_ADDRESS: Final = re.compile(
    # a province or city with a district: 평양시 중구역, 서울 강남구, 양강도 혜산시
    rf"(?<![\uac00-\ud7a3])(?:{_PROVINCES})(?:특별시|광역시|직할시|특별자치시|특별자치도|시|도)?"
    r"\s?[\uac00-\ud7a3]{1,6}(?:구역|구|군|시|동|리|읍|면)"
    r"(?=$|[^\uac00-\ud7a3]|에|의|은|는|이|가|을|를|도)"
    # road-name address: 테헤란로 123, 중앙로12길 5-3
    rf"|(?<![\uac00-\ud7a3])(?!(?:{_ROAD_ADVERBS})\s)[\uac00-\ud7a3]{{1,10}}\d*(?:로|길)"
    r"(?<!으로)(?<!에게로)(?<!께로)\s?\d{1,4}(?:-\d{1,4})?(?![\d\uac00-\ud7a3])"
    # lot number, apartment unit: 123-4번지, 101동 202호
    r"|\d+(?:-\d+)?\s?번지|\d+\s?동\s?\d+\s?호"
    # street address in English: 12 Main Street
    r"|\b\d+\s+(?:[A-Z][a-z]+\s+)+(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive"
    r"|Dr|Way|Court|Ct)\b\.?"
)


def _latin_names(text: str) -> list[re.Match[str]]:
    return [
        m
        for m in _LATIN_NAMES.finditer(text)
        if not all(w.lower().strip(".") in _NOT_NAMES for w in m[0].split())
    ]


_PHONE: Final = re.compile(r"(?<!\d)(?:\+?\d[\d\s().-]{7,}\d)(?!\d)")
_DATE_SHAPED: Final = re.compile(r"\d{4}([-./])\d{1,2}\1\d{1,2}")


def _phone_numbers(text: str) -> list[re.Match[str]]:
    """Digit runs with phone punctuation; a date (2026-11-22) is not one."""
    return [m for m in _PHONE.finditer(text) if not _DATE_SHAPED.fullmatch(m[0].strip())]


Finder = Callable[[str], Iterable[re.Match[str]]]
_IDENTIFYING: tuple[tuple[str, Finder, str], ...] = (
    ("email", EMAIL.finditer, "an e-mail address: remove it before approval"),
    ("url", URL.finditer, "a web address: remove it before approval"),
    ("phone-number", _phone_numbers, "a phone number: remove it before approval"),
    (
        "street-address",
        _STREET_ADDRESS.finditer,
        "a street address or district: remove it before approval",
    ),
    (
        "long-digit-run",
        _LONG_DIGITS.finditer,
        "a long number (account, ID or phone number?): remove it unless it identifies no one",
    ),
    (
        "latin-name",
        _latin_names,
        "a personal name in Latin letters: remove it or use a general word (한 형제, 한 자매)",
    ),
    (
        "korean-name",
        _KOREAN_NAME.finditer,
        "a name with a title: remove it or use a general word (한 형제, 한 자매)",
    ),
)


def identifying_details(text: str) -> list[TextWarning]:
    """Possible identifying details in `text`, in order of appearance, no overlaps."""
    found: list[TextWarning] = []
    taken: list[range] = []
    for rule, finder, message in _IDENTIFYING:
        for match in finder(text):
            span = range(match.start(), match.end())
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                continue
            taken.append(span)
            found.append(
                TextWarning("identifying", rule, match.group(0), message, None, match.start())
            )
    return sorted(found, key=lambda w: w.start)


def vocabulary(text: str) -> list[TextWarning]:
    """South Korean loanwords from the glossary, each with a plainer word and its source."""
    table = glossary.load()
    found = []
    for match in glossary.pattern(table).finditer(text):
        entry = table.entry(match[0])
        note = f" ({entry.note})" if entry.note else ""
        found.append(
            TextWarning(
                "vocabulary",
                "loanword",
                match[0],
                f"may not be understood in North Korea; consider '{entry.suggestion}'{note} "
                f"[source: {entry.source}]",
                entry.suggestion,
                match.start(),
            )
        )
    return found


def describe(w: TextWarning) -> str:
    """One line for a person: kind, the words as written, what to do."""
    return f"{w.kind}: '{w.excerpt}': {w.message}"


def listener_checks(text: str) -> list[TextWarning]:
    """Every listener-check warning for one message text, in order of appearance."""
    return sorted([*identifying_details(text), *vocabulary(text)], key=lambda w: w.start)
