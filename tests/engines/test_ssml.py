"""SSML built as XML, WAV answers decoded, secrets kept out of messages (ssml.py).

The documents are read back with the standard library's XML parser and the WAV answers are
written with the standard library's `wave`: neither is the code under test."""

from __future__ import annotations

import io
import wave
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from audio_pipeline.engines.network import Retryable
from audio_pipeline.engines.ssml import (
    SSML_NS,
    break_ms,
    decode_wav,
    one_line,
    prosody_body,
    redact,
    speak,
    text_of,
)
from tests.standins import NET, Serve
from tests.standins.server import Schedule

NS = "{" + SSML_NS + "}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def wav(
    samples: np.ndarray, rate: int = 24_000, channels: int = 1, width: int = 2, data_size: int = -1
) -> bytes:
    """A RIFF/WAV written by the standard library; `data_size` overrides the data chunk's
    declared size (a streamed answer that cannot know it)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    data = buffer.getvalue()
    if data_size >= 0:
        assert data[36:40] == b"data"
        data = data[:40] + data_size.to_bytes(4, "little") + data[44:]
    return data


RAMP = np.array([0, 1, -1, 16_384, -16_384, 32_767, -32_768], dtype="<i2")


# --- building the documents ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.5, "500ms"), (0.25, "250ms"), (1.0, "1000ms"), (0.0014, "1ms")]
)
def test_break_times_are_whole_milliseconds(seconds: float, text: str) -> None:
    assert break_ms(seconds) == text


def test_pauses_become_breaks_between_sentences_and_the_last_pause_is_left_out() -> None:
    body = prosody_body([("하나.", 0.5), ("둘.", 0.0), ("셋.", 0.3)], {})
    # a pause of 0 is a space; the pause after the last sentence is the caller's to add
    assert ET.tostring(body, encoding="unicode") == (
        '<prosody>하나.<break time="500ms" />둘. 셋.</prosody>'
    )
    first = prosody_body([("하나.", 0.0), ("둘.", 0.7)], {"rate": "+10%"})
    assert ET.tostring(first, encoding="unicode") == '<prosody rate="+10%">하나. 둘.</prosody>'


def test_the_document_is_ssml_1_0_in_its_namespace_with_the_voice_inside() -> None:
    document, _ = speak("ko-KR", prosody_body([("안녕.", 0.0)], {"pitch": "-5%"}), "ko-KR-X")
    root = ET.fromstring(document)
    assert root.tag == f"{NS}speak"
    assert (root.get("version"), root.get(XML_LANG)) == ("1.0", "ko-KR")
    (voice,) = list(root)
    assert voice.tag == f"{NS}voice" and voice.get("name") == "ko-KR-X"
    (prosody,) = list(voice)
    assert prosody.tag == f"{NS}prosody" and prosody.get("pitch") == "-5%"
    assert prosody.text == "안녕."


def test_a_prosody_without_attributes_is_left_out_and_its_content_kept() -> None:
    document, _ = speak("ko-KR", prosody_body([("하나.", 0.4), ("둘.", 0.0)], {}))
    root = ET.fromstring(document)
    assert root.find(f"{NS}prosody") is None and root.find(f"{NS}voice") is None
    assert root.text == "하나."
    (pause,) = list(root)
    assert pause.tag == f"{NS}break" and pause.get("time") == "400ms" and pause.tail == "둘."


def test_the_billed_length_counts_what_is_inside_speak_and_voice_as_sent() -> None:
    # Azure bills the text and markup inside <speak>/<voice>, escapes included
    _, inner = speak("ko-KR", prosody_body([("가나다", 0.0)], {"rate": "+10%"}), "v")
    assert inner == len('<prosody rate="+10%">가나다</prosody>')
    _, plain = speak("ko-KR", prosody_body([("a<b", 0.5), ("&", 0.0)], {}), "v")
    assert plain == len('a&lt;b<break time="500ms" />&amp;')


HOSTILE = [
    "주님 <사랑> & \"은혜\" '평안'",
    '</prosody><voice name="en-US-JennyNeural">hello</voice>',
    "<![CDATA[x]]> &amp; &#x41; <!-- -->",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markup_in_a_message_stays_text(text: str) -> None:
    document, _ = speak("ko-KR", prosody_body([(text, 0.5), ("끝.", 0.0)], {}), "ko-KR-X")
    root = ET.fromstring(document)
    # one voice, one break: nothing in the message became an element
    assert [e.tag for e in root.iter()] == [f"{NS}speak", f"{NS}voice", f"{NS}break"]
    assert "".join(root.itertext()) == text + "끝."
    assert text_of(document) == text + "끝."


@pytest.mark.parametrize("name", ["azure", "google-cloud"])
def test_text_with_markup_characters_reaches_the_service_as_text(standin: Serve, name: str) -> None:
    from audio_pipeline.engines.base import EngineSettings
    from audio_pipeline.engines.registry import ENGINES

    server = standin(Schedule(0.0), name)
    passage = [("주님 <사랑> & \"은혜\" '평안'", 0.5), ("둘째 & 셋째.", 0.0)]
    audio = ENGINES[name](EngineSettings(NET)).synthesize_passage(passage, {})
    (record,) = server.synthesis_records()
    # the stand-in parsed the SSML and read back exactly the words, markup characters as text
    assert record.text == "주님 <사랑> & \"은혜\" '평안'둘째 & 셋째."
    assert audio.requests == 1 and len(audio.samples) / audio.sample_rate > 1.0


# --- decoding the answers ----------------------------------------------------------------------


def test_16_bit_mono_pcm_is_decoded_to_floats_at_its_own_rate() -> None:
    samples, rate = decode_wav(wav(RAMP, 22_050), "answer")
    assert rate == 22_050 and samples.dtype == np.float32
    expected = [0, 1 / 32768, -1 / 32768, 0.5, -0.5, 32767 / 32768, -1.0]
    np.testing.assert_array_equal(samples, np.array(expected, dtype=np.float32))


@pytest.mark.parametrize(
    "declared",
    [0xFFFFFFFF, 0x7FFFFFFF],  # the sizes a streaming writer puts in when it cannot know
)
def test_a_streamed_answer_with_an_unknown_data_size_is_read_to_its_end(declared: int) -> None:
    samples, rate = decode_wav(wav(RAMP, data_size=declared), "answer")
    assert rate == 24_000 and len(samples) == len(RAMP)


def test_a_streamed_answer_with_a_data_size_of_0_is_read_to_its_end() -> None:
    samples, _ = decode_wav(wav(RAMP, data_size=0), "answer")
    assert len(samples) == len(RAMP)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Azure answer was not a WAV file"),
        (b"<html>502 Bad Gateway</html>" * 4, "Azure answer was not a WAV file"),
        (wav(np.zeros(0, dtype="<i2")), "Azure answer held no audio"),
        (wav(RAMP, data_size=2 * 1000), "Azure answer was cut short (7 of 1000 frames)"),
        (wav(np.zeros(8, dtype="<i2"), channels=2), "was 2 channel(s) of 16 bits, not 16-bit"),
        (wav(np.zeros(8, dtype="u1"), width=1), "was 1 channel(s) of 8 bits, not 16-bit mono"),
    ],
)
def test_an_answer_that_is_not_whole_16_bit_mono_audio_is_worth_asking_again(
    data: bytes, reason: str
) -> None:
    with pytest.raises(Retryable) as failure:
        decode_wav(data, "Azure answer")
    assert reason in str(failure.value) and "\n" not in str(failure.value)
    assert not failure.value.connection  # the service answered: it is reachable


# --- what a service says back, as one line without secrets ------------------------------------


def test_every_secret_is_redacted_wherever_it_is_quoted() -> None:
    said = "key abcd1234 refused; retry with abcd1234 and region xyz"
    assert redact(said, ["abcd1234", "xyz"]) == (
        "key [redacted] refused; retry with [redacted] and region xyz"
    )  # three letters could be any word: only secrets of 4 or more are replaced
    assert redact(said, ["", "abcd1234"]).count("[redacted]") == 2


def test_one_line_collapses_whitespace_and_cuts_long_text_with_an_ellipsis() -> None:
    assert one_line("bad\n  request\t(400)\r\n") == "bad request (400)"
    cut = one_line("가" * 300, limit=200)
    assert len(cut) == 200 and cut == "가" * 199 + "…"
    assert one_line("x" * 200) == "x" * 200
