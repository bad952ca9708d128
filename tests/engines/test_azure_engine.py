"""The Azure AI Speech engine (azure_engine.py): the request it sends, what each answer means,
what it bills, its voice list. The wire is faked with `responses` where the request itself is
inspected, and served by the HTTPS stand-in (tests/standins/azure.py), which checks what the
service checks, where the answer matters."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import responses

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.engines.azure_engine import AzureEngine
from audio_pipeline.engines.base import EngineSettings, RemoteVoice
from tests.standins import AZURE_KEY, NET, Serve
from tests.standins.server import Schedule, wav_bytes

HOST = "https://koreacentral.tts.speech.microsoft.com"
SYNTHESIS = f"{HOST}/cognitiveservices/v1"
VOICES = f"{HOST}/cognitiveservices/voices/list"
ENV = {"SPEECH_KEY": AZURE_KEY, "SPEECH_REGION": "koreacentral"}
NS = "{http://www.w3.org/2001/10/synthesis}"
TONE = (0.25 * np.sin(2 * np.pi * 220 * np.arange(24_000) / 48_000)).astype(np.float32)


def azure(environ: dict[str, str] | None = None) -> tuple[AzureEngine, list[float]]:
    sleeps: list[float] = []
    settings = EngineSettings(NET, environ=ENV if environ is None else environ)
    return AzureEngine(settings, sleep=sleeps.append), sleeps  # waits recorded, not waited


def as_ints(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")


# --- the request ---------------------------------------------------------------------------------


@responses.activate
def test_the_request_is_ssml_with_the_headers_azure_requires() -> None:
    responses.post(SYNTHESIS, body=wav_bytes(TONE, 48_000), content_type="audio/x-wav")
    engine, _ = azure()
    options = {"voice": "ko-KR-InJoonNeural", "rate": 10, "pitch": -5.5}
    audio = engine.synthesize_passage([("하나.", 0.5), ("둘.", 0.0)], options)
    (call,) = responses.calls
    assert call.request.url == SYNTHESIS
    headers = call.request.headers
    assert headers["Ocp-Apim-Subscription-Key"] == AZURE_KEY
    assert headers["Content-Type"] == "application/ssml+xml"
    assert headers["X-Microsoft-OutputFormat"] == "riff-48khz-16bit-mono-pcm"
    assert headers["User-Agent"] == "audio-pipeline"
    root = ET.fromstring(call.request.body)
    voice = root.find(f"{NS}voice")
    assert voice is not None and voice.get("name") == "ko-KR-InJoonNeural"
    prosody = voice.find(f"{NS}prosody")
    assert prosody is not None and prosody.attrib == {"rate": "+10%", "pitch": "-5.5%"}
    assert "".join(prosody.itertext()) == "하나.둘."
    assert prosody.find(f"{NS}break") is not None
    # the answer decoded sample for sample, at its own rate
    assert audio.sample_rate == 48_000 and audio.requests == 1
    np.testing.assert_array_equal(as_ints(audio.samples), as_ints(TONE))


@responses.activate
def test_the_default_voice_speaks_without_a_prosody_element() -> None:
    responses.post(SYNTHESIS, body=wav_bytes(TONE, 48_000))
    engine, _ = azure()
    engine.synthesize("안녕하세요.", {})
    root = ET.fromstring(responses.calls[0].request.body)
    voice = root.find(f"{NS}voice")
    assert voice is not None and voice.get("name") == "ko-KR-SunHiNeural"
    assert list(voice) == [] and voice.text == "안녕하세요."


@pytest.mark.parametrize(
    ("output_format", "rate"),
    [("riff-24khz-16bit-mono-pcm", 24_000), ("riff-48khz-16bit-mono-pcm", 48_000)],
)
def test_the_output_format_sets_the_rate_of_the_answer(
    standin: Serve, output_format: str, rate: int
) -> None:
    server = standin(Schedule(0.0), "azure")
    audio = AzureEngine(EngineSettings(NET)).synthesize("안녕하세요.", {"format": output_format})
    assert audio.sample_rate == rate
    (record,) = server.synthesis_records()
    assert (record.text, record.voice) == ("안녕하세요.", "ko-KR-SunHiNeural")


def test_azure_counts_markup_but_not_speak_and_voice_tags() -> None:
    engine, _ = azure()
    _, billed = engine.request([("가나다", 0.5), ("漢字", 0.0)], engine.resolved_options({}))
    # 가나다 + <break time="500ms" /> + 漢字, each hanja counted twice (Azure billing rules)
    assert billed == len('가나다<break time="500ms" />漢字') + 2


@responses.activate
def test_what_is_billed_is_what_was_sent_and_answered() -> None:
    responses.post(SYNTHESIS, status=503)
    responses.post(SYNTHESIS, body=wav_bytes(TONE, 48_000))
    engine, _ = azure()
    engine.synthesize("가나다", {"rate": 20})
    sent = [c.request.body.decode("utf-8") for c in responses.calls]
    # inside <voice>: everything between its opening tag and </voice>
    inner = sent[1].split('name="ko-KR-SunHiNeural">', 1)[1].rsplit("</voice>", 1)[0]
    assert inner == '<prosody rate="+20%">가나다</prosody>'
    assert engine.take_usage() == (len(inner), 1)  # the 503 carried no audio: not billed


def test_a_passage_fits_one_request_up_to_the_services_length() -> None:
    engine, _ = azure()
    half = defaults.AZURE_MAX_REQUEST_CHARS // 2
    assert engine.fits_one_request([("가" * half, 0.5), ("나" * half, 0.0)], {})
    assert not engine.fits_one_request([("가" * half, 0.5), ("나" * (half + 1), 0.0)], {})


# --- configuration, checked once when built -------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        (
            {"SPEECH_KEY": AZURE_KEY, "SPEECH_REGION": "Korea Central"},
            "Azure Speech: SPEECH_REGION 'Korea Central' is not a region name "
            "(e.g. koreacentral, eastus)",
        ),
        (
            {"SPEECH_KEY": AZURE_KEY, "SPEECH_REGION": "https://koreacentral.api"},
            "Azure Speech: SPEECH_REGION 'https://koreacentral.api' is not a region name "
            "(e.g. koreacentral, eastus)",
        ),
        (
            {"SPEECH_KEY": AZURE_KEY},
            "Azure Speech: no credentials; set SPEECH_REGION (README: Engines)",
        ),
        ({}, "Azure Speech: no credentials; set SPEECH_KEY and SPEECH_REGION (README: Engines)"),
    ],
)
@responses.activate
def test_a_configuration_that_cannot_work_is_one_line_and_sends_nothing(
    environ: dict[str, str], reason: str
) -> None:
    engine, _ = azure(environ)
    assert engine.unavailable_reason == reason
    with pytest.raises(EngineUnavailable) as failure:
        engine.synthesize("안녕하세요.", {})
    assert str(failure.value) == reason
    assert len(responses.calls) == 0


# --- what each answer means ---------------------------------------------------------------------


def error(message: str) -> str:
    return json.dumps({"error": {"code": "x", "message": message}})


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (
            401,
            error("Access denied due to invalid subscription key."),
            "Azure Speech refused the key (401): check SPEECH_KEY, and that SPEECH_REGION "
            "('koreacentral') is the region of the key's Speech resource",
        ),
        (
            403,
            "Out of call volume quota.",
            "Azure Speech refused the request (403: Out of call volume quota.): the resource is "
            "disabled or its free (F0) monthly quota is used up; wait for the next month or "
            "move the resource to S0",
        ),
        (
            429,
            "Quota exceeded for this resource's monthly allowance.",
            "Azure Speech: quota used up (429: Quota exceeded for this resource's monthly "
            "allowance.); no retry this run",
        ),
        (
            400,
            "unknown voice",
            "Azure Speech refused the request (400: unknown voice); check the voice name "
            "(`audio-pipeline voices --remote azure`) and its options",
        ),
        (
            415,
            "Content-Type should be application/ssml+xml",
            "Azure Speech refused the request (415: Content-Type should be "
            "application/ssml+xml); check the voice name",
        ),
    ],
)
@responses.activate
def test_answers_no_retry_can_change_give_the_service_up_in_one_line(
    status: int, body: str, said: str
) -> None:
    responses.post(SYNTHESIS, status=status, body=body)
    engine, sleeps = azure()
    with pytest.raises(EngineUnavailable) as failure:
        engine.synthesize("안녕하세요.", {})
    assert str(failure.value).startswith(said) and "\n" not in str(failure.value)
    assert len(responses.calls) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("status", "headers"), [(429, {"Retry-After": "4"}), (500, {}), (502, {}), (503, {})]
)
@responses.activate
def test_rate_limits_and_server_errors_are_retried(status: int, headers: dict[str, str]) -> None:
    responses.post(SYNTHESIS, status=status, body="Too many requests.", headers=headers)
    responses.post(SYNTHESIS, body=wav_bytes(TONE, 48_000))
    engine, sleeps = azure()
    assert engine.synthesize("안녕하세요.", {}).requests == 2
    if headers:  # the wait the service asked for, not the (shorter) backoff
        assert sleeps[0] == 4.0


@responses.activate
def test_an_unexpected_answer_fails_the_sentence_not_the_run() -> None:
    responses.post(SYNTHESIS, status=404, body="")
    engine, _ = azure()
    with pytest.raises(SynthesisError) as failure:
        engine.synthesize("안녕하세요.", {})
    assert not isinstance(failure.value, EngineUnavailable)
    assert str(failure.value) == "Azure Speech: unexpected answer 404 (Not Found)"
    assert engine.unavailable_reason is None


@responses.activate
def test_a_key_the_service_quotes_back_is_redacted() -> None:
    responses.post(SYNTHESIS, status=400, body=f"bad request for key {AZURE_KEY}\nline two")
    engine, _ = azure()
    with pytest.raises(EngineUnavailable) as failure:
        engine.synthesize("안녕하세요.", {})
    message = str(failure.value)
    assert AZURE_KEY not in message and "\n" not in message
    assert "(400: bad request for key [redacted] line two)" in message


# --- the voice list -------------------------------------------------------------------------------


def listed(short_name: str, gender: str) -> dict[str, str]:
    return {
        "ShortName": short_name,
        "Gender": gender,
        "Locale": short_name[:5],
        "VoiceType": "Neural",
    }


@responses.activate
def test_the_voice_list_gives_the_locales_voices_sorted() -> None:
    responses.get(
        VOICES,
        json=[
            listed("ko-KR-SunHiNeural", "Female"),
            listed("en-US-JennyNeural", "Female"),
            listed("ko-KR-InJoonNeural", "Male"),
            "not a voice",
        ],
    )
    engine, _ = azure()
    assert engine.remote_voices("ko-KR") == [
        RemoteVoice("ko-KR-InJoonNeural", "Male", "Neural", "ko-KR"),
        RemoteVoice("ko-KR-SunHiNeural", "Female", "Neural", "ko-KR"),
    ]
    (call,) = responses.calls
    assert call.request.headers["Ocp-Apim-Subscription-Key"] == AZURE_KEY
    assert AZURE_KEY not in call.request.url


@responses.activate
def test_a_voice_list_that_is_not_a_list_is_one_line() -> None:
    responses.get(VOICES, json={"voices": []})
    engine, _ = azure()
    with pytest.raises(SynthesisError, match=r"^Azure Speech: the voice list was not a list$"):
        engine.remote_voices("ko-KR")
