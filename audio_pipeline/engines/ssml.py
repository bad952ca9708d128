"""What the neural engines share: SSML built as XML (never by pasting text into markup), the
RIFF/WAV answers decoded, and secrets kept out of every message.

SSML is the W3C Speech Synthesis Markup Language 1.0 (https://www.w3.org/TR/speech-synthesis/),
which both Azure AI Speech and Google Cloud Text-to-Speech read: <speak> with xml:lang,
<prosody rate pitch> and <break time>. The text of a message is set as element text and tail,
so `<`, `&` and quotes in it are escaped by the serializer, whatever the message holds.
"""

from __future__ import annotations

import io
import wave
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from xml.sax.saxutils import escape

import numpy as np

from audio_pipeline.engines.base import Passage
from audio_pipeline.engines.network import Retryable

SSML_NS = "http://www.w3.org/2001/10/synthesis"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def break_ms(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


def prosody_body(passage: Passage, prosody: dict[str, str]) -> ET.Element:
    """<prosody ...>sentence<break time=.../>sentence...</prosody> (no prosody attributes:
    the element still groups the text; both services accept it empty of attributes)."""
    body = ET.Element("prosody", prosody)
    last: ET.Element | None = None  # the latest <break>: text after it is its tail
    for index, (text, pause) in enumerate(passage):
        if last is None:
            body.text = (body.text or "") + text
        else:
            last.tail = (last.tail or "") + text
        if index == len(passage) - 1:
            break
        if pause > 0:
            last = ET.SubElement(body, "break", {"time": break_ms(pause)})
        elif last is None:
            body.text = (body.text or "") + " "
        else:
            last.tail = (last.tail or "") + " "
    return body


def speak(lang: str, body: ET.Element, voice: str | None = None) -> tuple[str, int]:
    """The whole SSML document: <speak version="1.0" xmlns=... xml:lang=...>, with the body
    inside a <voice name=...> when the service names its voice in the SSML (Azure). A
    <prosody> without attributes is left out (its content goes in its place).

    Returns (document, length of the markup and text inside <speak>/<voice>): what Azure
    bills, which counts neither of those two tags."""
    root = ET.Element("speak", {"version": "1.0", "xmlns": SSML_NS, _XML_LANG: lang})
    parent = root if voice is None else ET.SubElement(root, "voice", {"name": voice})
    if body.attrib:
        parent.append(body)
    else:
        parent.text = body.text
        parent.extend(list(body))
    inner = escape(parent.text or "") + "".join(
        ET.tostring(child, encoding="unicode") for child in parent
    )
    return ET.tostring(root, encoding="unicode"), len(inner)


def text_of(ssml: str) -> str:
    """The words an SSML document speaks (what a stand-in service reads back)."""
    root = ET.fromstring(ssml)
    return "".join(root.itertext())


def decode_wav(data: bytes, what: str) -> tuple[np.ndarray, int]:
    """16-bit PCM RIFF/WAV bytes to mono float32 at their own rate. Anything else (an empty
    answer, a truncated one, another format) is worth asking again: Retryable."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            declared = wav.getnframes()
            raw = wav.readframes(declared) if declared else _data_to_end(data)
    except (wave.Error, EOFError, ValueError) as exc:
        raise Retryable(f"{what} was not a WAV file ({exc})") from None
    if width != 2 or channels != 1:
        raise Retryable(f"{what} was {channels} channel(s) of {8 * width} bits, not 16-bit mono")
    frames = len(raw) // 2
    # Google streams LINEAR16 with a data size the header cannot know in advance
    # (0 or 0xFFFFFFFF); any other declared size must be met, else the answer was cut
    if frames < declared and declared not in (0, 0xFFFFFFFF // 2, 0x7FFFFFFF // 2):
        raise Retryable(f"{what} was cut short ({frames} of {declared} frames)")
    if frames == 0:
        raise Retryable(f"{what} held no audio")
    samples = np.frombuffer(raw[: frames * 2], dtype="<i2").astype(np.float32) / 32768.0
    return samples.astype(np.float32), rate


def _data_to_end(data: bytes) -> bytes:
    """The bytes after the `data` chunk's header, to the end of the answer: a streamed WAV
    declares a data size of 0, which `wave` takes at its word (0 frames)."""
    at = 12  # after "RIFF", the RIFF size and "WAVE"
    while at + 8 <= len(data):
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        if data[at : at + 4] == b"data":
            return data[at + 8 :]
        at += 8 + size + (size & 1)  # chunks are padded to an even size (RIFF)
    return b""


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced: what a service says back may quote what it got."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
