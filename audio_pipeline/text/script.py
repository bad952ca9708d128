"""The spoken script: the exact text each engine receives for a message, with its pauses.

The approved text in input/messages is never changed; the script is derived from it
(normalized for speech: numbers, Bible references, lexicon, symbols; text/normalize.py), then
split into engine-sized sentences. It is shown to the reviewer (`preview`, `normalize-text`),
stored in cues, and hashed into the clip's cache key with the lexicon entries it used.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio_pipeline.text import sentences as split
from audio_pipeline.text.lexicon import EMPTY, Lexicon
from audio_pipeline.text.normalize import normalize

CLAUSE_PAUSE_FRACTION = 0.4  # a sentence cut for length pauses less than a real sentence end


def build_script(
    message_id: str,
    text: str,
    *,
    max_chars: int,
    sentence_pause_s: float,
    paragraph_pause_s: float,
    lexicon: Lexicon = EMPTY,
) -> Script:
    """Normalize for speech, then paragraphs -> sentences -> engine-sized chunks, each with the
    pause that follows it."""
    spoken = normalize(text, lexicon)
    out: list[Sentence] = []
    paras = split.paragraphs(spoken.text)
    for p_index, para in enumerate(paras):
        sents = split.sentences(para)
        for s_index, sentence in enumerate(sents):
            chunks = split.fit(sentence, max_chars)
            for c_index, chunk in enumerate(chunks):
                if c_index < len(chunks) - 1:
                    pause = sentence_pause_s * CLAUSE_PAUSE_FRACTION
                elif s_index < len(sents) - 1:
                    pause = sentence_pause_s
                elif p_index < len(paras) - 1:
                    pause = paragraph_pause_s
                else:
                    pause = 0.0
                out.append(Sentence(chunk, round(pause, 4)))
    return Script(message_id, tuple(out), spoken.lexicon_used)


@dataclass(frozen=True)
class Sentence:
    """One unit sent to an engine in one go: never longer than the engine's request limit."""

    text: str
    pause_after_s: float  # silence after this sentence (sentence or paragraph pause, 0 at end)


@dataclass(frozen=True)
class Script:
    """What is spoken for one message: derived from the approved text, never edited back."""

    message_id: str
    sentences: tuple[Sentence, ...]
    # (written, spoken) lexicon entries the normalization applied: part of the cache key
    lexicon_used: tuple[tuple[str, str], ...] = ()

    @property
    def spoken_text(self) -> str:
        """The exact text sent to the engine, sentence by sentence, one per line."""
        return "\n".join(s.text for s in self.sentences)
