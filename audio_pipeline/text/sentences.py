"""Splitting approved text into paragraphs, sentences, and engine-sized chunks.

Engines get one sentence at a time: pauses then fall between sentences (not wherever gTTS's
100-character chunking lands), and espeak-ng does not lose the end of long Korean sentences
(espeak-ng#1860). A sentence longer than the engine's limit is split at clause punctuation,
then between words; a word is never cut unless it alone exceeds the limit.
"""

from __future__ import annotations

import re
import unicodedata

# Sentence ends: . ! ? and their full-width forms, the ellipsis, optionally followed by
# closing quotes or brackets (which stay with the sentence they close), then whitespace.
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’»)\]」』]*(\s+)")
_CLAUSE_END = re.compile(r"(?<=[,;:，、；：·])\s+")
_DOTS = re.compile(r"\.{2,}|…+")  # espeak-ng#1271: ".." at the end of input makes gibberish
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def clean(text: str) -> str:
    """Unicode NFC, unify ellipses, collapse runs of spaces; keeps line structure."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _DOTS.sub("…", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs."""
    return [p.strip() for p in re.split(r"\n\s*\n", clean(text)) if p.strip()]


def sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph; a line break inside a paragraph also ends a sentence."""
    out: list[str] = []
    for line in paragraph.split("\n"):
        line = line.strip()
        start = 0
        for end in _SENTENCE_END.finditer(line):  # cut in the whitespace after the closers
            out.append(line[start : end.start(1)])
            start = end.end(1)
        out.append(line[start:])
    return [s.strip() for s in out if s.strip()]


def _split_words(text: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for word in text.split(" "):
        if not word:
            continue
        while len(word) > limit:  # a single "word" longer than the limit: no better cut
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = word
    if current:
        chunks.append(current)
    return chunks


def fit(sentence: str, limit: int) -> list[str]:
    """Split one sentence into chunks of at most `limit` characters: clauses first, words next."""
    if len(sentence) <= limit:
        return [sentence]
    chunks: list[str] = []
    current = ""
    for clause in _CLAUSE_END.split(sentence):
        clause = clause.strip()
        if not clause:
            continue
        candidate = f"{current} {clause}" if current else clause
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if len(clause) <= limit:
            current = clause
        else:
            *head, current = _split_words(clause, limit)
            chunks += head
    if current:
        chunks.append(current)
    return chunks
