"""Approved text -> the spoken script: what the engine is given, and nothing else.

The approved text is never changed; this derives the text an engine reads, one pure pass at a
time, line by line (line and paragraph structure are kept for the sentence splitter):

 1. Unicode NFC, one ellipsis character, single spaces (sentences.clean); full-width forms
    and unit symbols (㎞, ①) to their plain forms; invisible characters (joiners, variation
    selectors) removed.
 2. Web and e-mail addresses removed, each with a warning for the reviewer.
 3. The pronunciation lexicon (lexicon.py): names, loanwords, Latin-script words.
 4. Bible references (bible.py): 요 3:16 -> 요한복음 삼 장 십육 절.
 5. Numbers (numerals.py): dates, times, money, units, ranges, ordinals, counters; then the
    lexicon once more, so a respelling (백만 -> 뱅만 for a voice that misreads it) also
    reaches words the number and Bible rules wrote.
 6. Latin-script words left over: spelled letter by letter (ABC -> 에이비씨), with a warning.
 7. Quotes, brackets, dashes and ellipses become pauses (a comma, or a full stop where the
    sentence ends); other symbols and emoji are removed, each with a warning; letters a Korean
    voice cannot read (Hanja, kana, ...) are reported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from audio_pipeline.text import bible, numerals
from audio_pipeline.text.checks import EMAIL, URL, TextWarning, listener_checks
from audio_pipeline.text.lexicon import EMPTY, Entry, Lexicon
from audio_pipeline.text.sentences import clean

# Letter names as Korean speakers say them (외래어 표기법 gives 시 for C and 아르 for R; an
# announcer says 씨 and 알, and 제트 keeps Z apart from G).
LETTER_NAMES: Final = {
    "a": "에이", "b": "비", "c": "씨", "d": "디", "e": "이", "f": "에프", "g": "지",
    "h": "에이치", "i": "아이", "j": "제이", "k": "케이", "l": "엘", "m": "엠", "n": "엔",
    "o": "오", "p": "피", "q": "큐", "r": "알", "s": "에스", "t": "티", "u": "유",
    "v": "브이", "w": "더블유", "x": "엑스", "y": "와이", "z": "제트",
}  # fmt: skip

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\ufe00-\ufe0f\u20e3]")
# full-width ASCII, circled numbers, squared units: their compatibility (NFKC) forms
_COMPAT = re.compile(r"[\uff01-\uff5e\u2460-\u2473\u3380-\u33df\u2103\u2109]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
# consecutive Latin words: one name (Open Doors, Voice of the Martyrs), one warning
_LATIN_PHRASE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*(?:[ \-][A-Za-z]+(?:['’][A-Za-z]+)*)*")
_OPENERS: Final = frozenset("([{<«《〈「『【〔〖“‘")
_CLOSERS: Final = frozenset(")]}>»》〉」』】〕〗”’")
_SENTENCE_FINAL = re.compile(r"(?:다|요|죠|까|네|오|라|니)$")
_DASHES = re.compile(r"\s*(?:[—―–]+|-{2,})\s*|\s+-\s+")
_TO_COMMA = re.compile(r"\s*[:;/·、，]\s*")
_KEEP_PUNCT: Final = frozenset(".,?!")
_PLACEHOLDERS: Final = frozenset("○◯●□■△▲×✕◇◆")
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
# letters and digits that are neither Hangul syllables nor ASCII (which the rules read)
_UNREADABLE = re.compile(r"[^\W\d_a-zA-Z\uac00-\ud7a3]+")


@dataclass(frozen=True)
class Normalized:
    text: str  # the spoken text, line structure of the approved text kept
    warnings: tuple[TextWarning, ...]  # kind "speech": what the reviewer should know
    lexicon_used: tuple[Entry, ...]  # lexicon entries applied, sorted


def spell_latin(word: str) -> str:
    return "".join(LETTER_NAMES[c] for c in word.lower() if c in LETTER_NAMES)


def _speech_warning(
    rule: str, excerpt: str, message: str, suggestion: str | None = None
) -> TextWarning:
    return TextWarning("speech", rule, excerpt, message, suggestion)


def _remove_addresses(line: str, found: list[TextWarning]) -> str:
    def email(m: re.Match[str]) -> str:
        found.append(
            _speech_warning(
                "email-removed",
                m[0],
                "an e-mail address is never read on air; it is left out of the spoken script",
            )
        )
        return " "

    def url(m: re.Match[str]) -> str:
        found.append(
            _speech_warning(
                "url-removed",
                m[0],
                "a web address is never read on air; it is left out of the spoken script",
            )
        )
        return " "

    return URL.sub(url, EMAIL.sub(email, line))


def _spell_latin_words(line: str, found: list[TextWarning]) -> str:
    """Latin words left after the lexicon are spelled letter by letter. Consecutive words are
    one name (an organisation: Open Doors), so they get one warning that names the whole
    phrase, the entry the lexicon needs."""

    def spell(m: re.Match[str]) -> str:
        words = _LATIN_WORD.findall(m[0])
        spoken = " ".join(spell_latin(w) for w in words)
        if len(words) == 1:
            message = (
                f"not in the pronunciation lexicon, so it is spelled out as '{spoken}'; "
                "add it to voices/lexicon.yaml if it should be said otherwise"
            )
        else:
            message = (
                f"a name of {len(words)} words not in the pronunciation lexicon, so it is "
                f"spelled out letter by letter as '{spoken}'; add '{m[0]}' to "
                "voices/lexicon.yaml with the way it is said"
            )
        found.append(_speech_warning("spelled-out", m[0], message, spoken))
        return spoken

    return _LATIN_PHRASE.sub(spell, line)


def _ellipses(line: str) -> str:
    """An ellipsis after a finished sentence ends it; inside a sentence it is a pause."""
    out: list[str] = []
    parts = line.split("…")
    for i, part in enumerate(parts[:-1]):
        out.append(part)
        before = part.rstrip()
        after = "".join(parts[i + 1 :]).lstrip()
        if not before or before[-1] in "?!.,":
            continue
        if not after or after[0] in "".join(_CLOSERS) + "\"'" or _SENTENCE_FINAL.search(before):
            out.append(".")
        else:
            out.append(",")
    out.append(parts[-1])
    return "".join(out)


def _quotes_and_brackets(line: str) -> str:
    """An opening quote or bracket inside a sentence is a pause before it; a closing one is a
    pause after it unless a particle is attached ("힘내라"고, 예수님(주님)께서)."""
    out: list[str] = []
    ascii_open = {'"': False, "'": False}
    for i, c in enumerate(line):
        if c in ascii_open:
            opening = not ascii_open[c]
            ascii_open[c] = opening
        elif c in _OPENERS:
            opening = True
        elif c in _CLOSERS:
            opening = False
        else:
            out.append(c)
            continue
        if opening:
            before = "".join(out).rstrip()
            attached = not before or before[-1] in ",.?!" or before[-1] in _OPENERS
            out.append(" " if attached else ", ")
        else:
            after = line[i + 1 :]
            if not after.strip() or after[0] in ",.?!" or not after[0].isspace():
                out.append("")
            else:
                out.append(", ")
    return "".join(out)


def _symbols(line: str, found: list[TextWarning]) -> str:
    """Dashes and separators become pauses; other symbols and emoji are not spoken, and each
    run of them is reported: what the script leaves out is never left out silently."""
    line = _DASHES.sub(", ", line)
    line = _TO_COMMA.sub(", ", line)
    line = line.replace("&", " 그리고 ")
    kept: list[str] = []
    start = -1
    for i, c in enumerate(line + "\n"):
        cat = unicodedata.category(c)
        if c.isalnum() or c.isspace() or c in _KEEP_PUNCT or cat == "Pd":
            if start >= 0:
                found.append(_dropped(line, start, i))
                start = -1
            # a hyphen inside a word is a word boundary
            kept.append(" " if cat == "Pd" else c)
        else:  # emoji, decorative symbols, stray marks: not spoken
            start = i if start < 0 else start
            kept.append(" ")
    return "".join(kept[:-1])


def _dropped(line: str, start: int, end: int) -> TextWarning:
    """A run of symbols the script leaves out. Inside a sentence it may have stood for a word
    (연락은 ☎ 으로, 나는 ♥ 너를): that would be a hole in the sentence, so the editor must
    rewrite it. Where a sentence starts or ends (★ 오늘의 말씀 ★, 감사해요~, 힘내세요 🙏) it is
    decoration, and leaving it out changes no meaning."""
    run = line[start:end]
    before, after = line[:start].rstrip(), line[end:].lstrip()
    # 김○○, ○○마을, 연락☎: a mark attached to a word (after a sentence's last word it is
    # decoration: 감사합니다🙏), or a run of the marks Korean writing uses for a word left out
    # (복자: ○○ 마을, ××), always stands for something
    attached_left = bool(_HANGUL_SYLLABLE.match(line[start - 1 : start])) and not (
        _SENTENCE_FINAL.search(before)
    )
    attached_right = bool(_HANGUL_SYLLABLE.match(line[end : end + 1]))
    placeholder = (len(run) > 1 and set(run) <= _PLACEHOLDERS) or attached_left or attached_right
    edge = not placeholder and (
        not before
        or not after
        or before[-1] in ".!?,"
        or after[0] in ".!?,"
        or _SENTENCE_FINAL.search(before) is not None
    )
    if edge:
        return _speech_warning(
            "decoration-removed",
            run,
            "a symbol at the start or end of a sentence is not read on the air; it is left out",
        )
    return _speech_warning(
        "symbol-removed",
        run,
        "a symbol inside a sentence is not read on the air and would leave a hole in it: "
        "write what it means in words, or remove it",
    )


def _unreadable(line: str, found: list[TextWarning]) -> None:
    """Letters an engine for Korean cannot read (Hanja, kana, Cyrillic, letters with accents,
    lone jamo such as ㅋㅋ): reported, so an editor writes them in Hangul."""
    for m in _UNREADABLE.finditer(line):
        found.append(
            _speech_warning(
                "unreadable",
                m[0],
                "a Korean voice cannot read these letters; write them in Hangul",
            )
        )


def _tidy(line: str) -> str:
    line = re.sub(r"\s+", " ", line).strip()
    line = re.sub(r"\s+([,.?!])", r"\1", line)
    line = re.sub(r",+(?=[,.?!])", "", line)  # ", ." -> "."
    line = re.sub(r"([.?!]),", r"\1", line)
    line = re.sub(r",(?=\S)", ", ", line)
    line = re.sub(r"^[,.\s]+", "", line)
    return line.rstrip(", ")


def normalize_line(
    line: str, lexicon: Lexicon = EMPTY
) -> tuple[str, list[TextWarning], tuple[Entry, ...]]:
    """One line of approved text -> its spoken form, the warnings, the lexicon entries used."""
    found: list[TextWarning] = []
    line = _INVISIBLE.sub("", line)
    line = _COMPAT.sub(lambda m: unicodedata.normalize("NFKC", m[0]), line)
    line = _remove_addresses(line, found)
    line, used = lexicon.apply(line)
    line = bible.read_references(line)
    line = numerals.read_numbers(line)
    line, used_after = lexicon.apply(line)
    used = tuple(sorted(set(used) | set(used_after)))
    line = _spell_latin_words(line, found)
    line = _ellipses(line)
    line = _quotes_and_brackets(line)
    line = _symbols(line, found)
    _unreadable(line, found)
    return _tidy(line), found, used


def normalize(text: str, lexicon: Lexicon = EMPTY) -> Normalized:
    """The spoken text of a whole message. Lines that had text but have nothing left to say
    (an emoji line) are dropped, so they do not turn into a paragraph break."""
    lines: list[str] = []
    warnings: list[TextWarning] = []
    used: dict[str, Entry] = {}
    for raw in clean(text).split("\n"):
        spoken, found, entries = normalize_line(raw, lexicon)
        warnings += found
        used.update({e[0]: e for e in entries})
        if spoken or not raw.strip():
            lines.append(spoken)
    return Normalized(
        "\n".join(lines).strip("\n"), tuple(_locate(text, warnings)), tuple(sorted(used.values()))
    )


def _locate(text: str, warnings: list[TextWarning]) -> list[TextWarning]:
    """Give each warning the offset of its excerpt in the approved text (in order)."""
    located: list[TextWarning] = []
    cursor: dict[str, int] = {}
    for w in warnings:
        start = text.find(w.excerpt, cursor.get(w.excerpt, 0))
        cursor[w.excerpt] = start + 1 if start >= 0 else 0
        located.append(TextWarning(w.kind, w.rule, w.excerpt, w.message, w.suggestion, start))
    return located


def review_warnings(text: str, lexicon: Lexicon = EMPTY) -> list[TextWarning]:
    """Everything the reviewer should see for one message: the listener checks (identifying
    details, vocabulary) and what the spoken script does (addresses left out, words spelled
    out). Text already flagged as identifying (an address, a name) is not reported twice."""
    checks = listener_checks(text)
    flagged = [range(w.start, w.start + len(w.excerpt)) for w in checks if w.kind == "identifying"]
    speech = [
        w for w in normalize(text, lexicon).warnings if not any(w.start in span for span in flagged)
    ]
    return sorted([*checks, *speech], key=lambda w: (w.start, w.kind))
