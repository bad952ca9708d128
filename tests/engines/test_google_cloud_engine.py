"""The Google Cloud Text-to-Speech engine (google_cloud_engine.py): the JSON request it sends
(SSML, or plain text for Chirp voices), the key kept out of every URL, what each answer means,
what it bills, its voice list. The request is inspected through `responses`; the stand-in
(tests/standins/google_cloud.py) checks the request the way the service does."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
import requests
import responses

from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.engines.base import EngineSettings, RemoteVoice
from audio_pipeline.engines.google_cloud_engine import (
    GoogleCloudEngine,
    error_info,
    plain_text_only,
    voice_kind,
)
from tests.standins import GOOGLE_KEY, NET, Serve
from tests.standins.server import Schedule, wav_bytes

SYNTHESIS = "https://texttospeech.googleapis.com/v1/text:synthesize"
VOICES = "https://texttospeech.googleapis.com/v1/voices"
ENV = {"GOOGLE_API_KEY": GOOGLE_KEY}
NS = "{http://www.w3.org/2001/10/synthesis}"
TONE = (0.25 * np.sin(2 * np.pi * 220 * np.arange(12_000) / 24_000)).astype(np.float32)


def google(environ: dict[str, str] | None = None) -> tuple[GoogleCloudEngine, list[float]]:
    sleeps: list[float] = []
    settings = EngineSettings(NET, environ=ENV if environ is None else environ)
    return GoogleCloudEngine(settings, sleep=sleeps.append), sleeps


def audio_answer(samples: np.ndarray = TONE, rate: int = 24_000) -> dict[str, str]:
    return {"audioContent": base64.b64encode(wav_bytes(samples, rate)).decode("ascii")}


def sent(call: Any) -> dict[str, Any]:
    return dict(json.loads(call.request.body))


def google_error(
    code: int, status: str, message: str, reason: str = "", **metadata: str
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "status": status, "message": message}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "metadata": metadata,
            }
        ]
    return {"error": error}


# --- voices by name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "plain"),
    [
        ("ko-KR-Neural2-A", "Neural2", False),
        ("ko-KR-Wavenet-C", "Wavenet", False),
        ("ko-KR-Standard-D", "Standard", False),
        ("ko-KR-Chirp3-HD-Aoede", "Chirp3-HD", True),
        ("ko-KR-Chirp-HD-F", "Chirp-HD", True),
        ("ko-KR-Mystery", "?", False),
    ],
)
def test_the_voice_type_is_read_from_its_name(name: str, kind: str, plain: bool) -> None:
    assert voice_kind(name) == kind
    assert plain_text_only(name) is plain


# --- the request ---------------------------------------------------------------------------------


@responses.activate
def test_the_request_is_json_with_ssml_and_the_key_in_a_header() -> None:
    responses.post(SYNTHESIS, json=audio_answer())
    engine, _ = google()
    options = {"voice": "ko-KR-Neural2-C", "rate": 1.25, "pitch": 2}
    audio = engine.synthesize_passage([("하나.", 0.5), ("둘.", 0.0)], options)
    (call,) = responses.calls
    assert call.request.url == SYNTHESIS  # no key= in the URL: nothing a proxy could log
    assert GOOGLE_KEY not in call.request.url
    assert call.request.headers["X-Goog-Api-Key"] == GOOGLE_KEY
    assert call.request.headers["Content-Type"] == "application/json; charset=utf-8"
    body = sent(call)
    assert body["voice"] == {"languageCode": "ko-KR", "name": "ko-KR-Neural2-C"}
    assert body["audioConfig"] == {
        "audioEncoding": "LINEAR16",
        "sampleRateHertz": 24_000,
        "speakingRate": 1.25,
        "pitch": 2.0,
    }
    root = ET.fromstring(body["input"]["ssml"])
    assert root.tag == f"{NS}speak" and "".join(root.itertext()) == "하나.둘."
    assert root.find(f"{NS}break") is not None and root.find(f"{NS}voice") is None
    assert set(body["input"]) == {"ssml"}
    # the WAV inside the JSON decoded sample for sample
    assert audio.sample_rate == 24_000
    np.testing.assert_allclose(audio.samples, TONE, atol=1 / 32768)
    # billed: the SSML as sent, tags included
    assert engine.take_usage() == (len(body["input"]["ssml"]), 1)


@responses.activate
def test_the_voices_normal_speed_and_pitch_are_not_sent() -> None:
    responses.post(SYNTHESIS, json=audio_answer())
    engine, _ = google()
    engine.synthesize("안녕하세요.", {})
    config = sent(responses.calls[0])["audioConfig"]
    assert config == {"audioEncoding": "LINEAR16", "sampleRateHertz": 24_000}


@responses.activate
def test_a_chirp_voice_is_sent_plain_text_without_pitch() -> None:
    responses.post(SYNTHESIS, json=audio_answer())
    engine, _ = google()
    options = {"voice": "ko-KR-Chirp3-HD-Charon", "pitch": 3.0, "rate": 0.9}
    engine.synthesize("당신은 혼자가 아닙니다.", options)
    body = sent(responses.calls[0])
    assert body["input"] == {"text": "당신은 혼자가 아닙니다."}
    assert body["audioConfig"] == {
        "audioEncoding": "LINEAR16",
        "sampleRateHertz": 24_000,
        "speakingRate": 0.9,
    }
    assert engine.take_usage() == (len("당신은 혼자가 아닙니다."), 1)


def test_a_passage_fits_one_request_up_to_5000_bytes_of_ssml() -> None:
    engine, _ = google()
    # a Korean syllable is 3 bytes in UTF-8; <speak ...></speak> adds under 200
    assert engine.fits_one_request([("가" * 800, 0.5), ("나" * 800, 0.0)], {})
    assert not engine.fits_one_request([("가" * 850, 0.5), ("나" * 850, 0.0)], {})
    # a Chirp voice reads no <break>: one sentence a request, however short
    chirp = {"voice": "ko-KR-Chirp3-HD-Aoede"}
    assert engine.fits_one_request([("하나.", 0.0)], chirp)
    assert not engine.fits_one_request([("하나.", 0.5), ("둘.", 0.0)], chirp)


@pytest.mark.parametrize("rate", [16_000, 48_000])
def test_the_sample_rate_option_is_the_rate_of_the_answer(standin: Serve, rate: int) -> None:
    server = standin(Schedule(0.0), "google-cloud")
    engine = GoogleCloudEngine(EngineSettings(NET))
    audio = engine.synthesize("안녕하세요.", {"sample_rate": rate, "voice": "ko-KR-Wavenet-A"})
    assert audio.sample_rate == rate
    (record,) = server.synthesis_records()
    assert (record.text, record.voice) == ("안녕하세요.", "ko-KR-Wavenet-A")


# --- what each answer means ---------------------------------------------------------------------


def test_error_info_reads_googles_error_body_and_nothing_else() -> None:
    def answer(body: bytes) -> requests.Response:
        response = requests.Response()
        response.status_code = 400
        response._content = body
        return response

    body = google_error(
        429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "RATE_LIMIT_EXCEEDED", quota_limit="X"
    )
    assert error_info(answer(json.dumps(body).encode())) == (
        "RESOURCE_EXHAUSTED",
        "Quota exceeded.",
        "RATE_LIMIT_EXCEEDED",
        {"quota_limit": "X"},
    )
    for unreadable in (b"<html>502</html>", b"[1, 2]", b'{"error": "down"}', b""):
        assert error_info(answer(unreadable)) == ("", "", "", {})


KEY_REFUSED = (
    "Google Cloud TTS refused the key (400 API_KEY_INVALID): set GOOGLE_API_KEY to an API key "
    "of a project with the Cloud Text-to-Speech API enabled"
)


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (
            400,
            google_error(400, "INVALID_ARGUMENT", "API key not valid.", "API_KEY_INVALID"),
            KEY_REFUSED,
        ),
        # the same refusal without its ErrorInfo, as older answers have it
        (400, google_error(400, "INVALID_ARGUMENT", "API key not valid. Pass one."), KEY_REFUSED),
        (
            403,
            google_error(403, "PERMISSION_DENIED", "API disabled.", "SERVICE_DISABLED"),
            "Google Cloud TTS refused the request (403 PERMISSION_DENIED SERVICE_DISABLED API "
            "disabled.): enable the Cloud Text-to-Speech API for the key's project",
        ),
        (
            429,
            google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Characters'.",
                "RATE_LIMIT_EXCEEDED",
                quota_limit="CharactersPerDayPerProject",
            ),
            "Google Cloud TTS: quota used up (RESOURCE_EXHAUSTED RATE_LIMIT_EXCEEDED Quota "
            "exceeded for quota metric 'Characters'.); no retry this run",
        ),
        (
            429,
            google_error(429, "RESOURCE_EXHAUSTED", "Billing disabled.", "BILLING_DISABLED"),
            "Google Cloud TTS: quota used up (RESOURCE_EXHAUSTED BILLING_DISABLED",
        ),
        (
            400,
            google_error(400, "INVALID_ARGUMENT", "Voice 'ko-KR-X' does not exist."),
            "Google Cloud TTS refused the request (400 INVALID_ARGUMENT Voice 'ko-KR-X' does "
            "not exist.); check the voice name (`audio-pipeline voices --remote google-cloud`)",
        ),
    ],
)
@responses.activate
def test_answers_no_retry_can_change_give_the_service_up_in_one_line(
    status: int, body: dict[str, Any], said: str
) -> None:
    responses.post(SYNTHESIS, status=status, json=body)
    engine, sleeps = google()
    with pytest.raises(EngineUnavailable) as failure:
        engine.synthesize("안녕하세요.", {})
    assert str(failure.value).startswith(said) and "\n" not in str(failure.value)
    assert len(responses.calls) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            429,
            google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Requests'.",
                "RATE_LIMIT_EXCEEDED",
                quota_limit="RequestsPerMinutePerProject",
            ),
        ),
        (429, {}),  # a bare 429: a rate limit
        (500, google_error(500, "INTERNAL", "try again")),
        (503, google_error(503, "UNAVAILABLE", "try again")),
    ],
)
@responses.activate
def test_rate_limits_and_server_errors_are_retried(status: int, body: dict[str, Any]) -> None:
    responses.post(SYNTHESIS, status=status, json=body)
    responses.post(SYNTHESIS, json=audio_answer())
    engine, _ = google()
    assert engine.synthesize("안녕하세요.", {}).requests == 2
    assert engine.take_usage() == (len(sent(responses.calls[0])["input"]["ssml"]), 1)


@pytest.mark.parametrize(
    "answer",
    [{"audioContent": "this is not base64!"}, {}, {"audioContent": ""}, ["not", "a", "dict"]],
)
@responses.activate
def test_an_answer_without_decodable_audio_is_asked_for_again(answer: object) -> None:
    responses.post(SYNTHESIS, json=answer)
    responses.post(SYNTHESIS, json=audio_answer())
    engine, _ = google()
    assert engine.synthesize("안녕하세요.", {}).requests == 2


@responses.activate
def test_an_unexpected_answer_fails_the_sentence_not_the_run() -> None:
    responses.post(SYNTHESIS, status=404, json=google_error(404, "NOT_FOUND", "no such method"))
    engine, _ = google()
    with pytest.raises(SynthesisError) as failure:
        engine.synthesize("안녕하세요.", {})
    assert not isinstance(failure.value, EngineUnavailable)
    assert str(failure.value) == (
        "Google Cloud TTS: unexpected answer 404 (NOT_FOUND no such method)"
    )


@responses.activate
def test_a_key_the_service_quotes_back_is_redacted() -> None:
    body = google_error(400, "INVALID_ARGUMENT", f"Bad voice for key {GOOGLE_KEY}")
    responses.post(SYNTHESIS, status=400, json=body)
    engine, _ = google()
    with pytest.raises(EngineUnavailable) as failure:
        engine.synthesize("안녕하세요.", {})
    assert GOOGLE_KEY not in str(failure.value)
    assert "Bad voice for key [redacted]" in str(failure.value)


def test_without_a_key_nothing_is_sent() -> None:
    engine, _ = google({})
    reason = "Google Cloud TTS: no credentials; set GOOGLE_API_KEY (README: Engines)"
    assert engine.unavailable_reason == reason
    with responses.RequestsMock() as mock, pytest.raises(EngineUnavailable, match="GOOGLE_API"):
        engine.synthesize("안녕하세요.", {})
    assert len(mock.calls) == 0


# --- the voice list -------------------------------------------------------------------------------


@responses.activate
def test_the_voice_list_gives_the_locales_voices_with_their_type_and_gender() -> None:
    responses.get(
        VOICES,
        json={
            "voices": [
                {"name": "ko-KR-Wavenet-C", "languageCodes": ["ko-KR"], "ssmlGender": "MALE"},
                {"name": "en-US-Neural2-A", "languageCodes": ["en-US"], "ssmlGender": "MALE"},
                {"name": "ko-KR-Chirp3-HD-Aoede", "languageCodes": ["ko-KR"]},
                {"name": "ko-KR-Neural2-A", "languageCodes": ["ko-KR"], "ssmlGender": "FEMALE"},
                "not a voice",
            ]
        },
    )
    engine, _ = google()
    assert engine.remote_voices("ko-KR") == [
        RemoteVoice("ko-KR-Chirp3-HD-Aoede", "?", "Chirp3-HD", "ko-KR"),
        RemoteVoice("ko-KR-Neural2-A", "Female", "Neural2", "ko-KR"),
        RemoteVoice("ko-KR-Wavenet-C", "Male", "Wavenet", "ko-KR"),
    ]
    (call,) = responses.calls
    assert call.request.url == f"{VOICES}?languageCode=ko-KR"
    assert call.request.headers["X-Goog-Api-Key"] == GOOGLE_KEY


@pytest.mark.parametrize("answer", [{"voices": "none"}, {}, []])
@responses.activate
def test_a_voice_list_without_voices_is_one_line(answer: object) -> None:
    responses.get(VOICES, json=answer)
    engine, _ = google()
    with pytest.raises(SynthesisError, match=r"^Google Cloud TTS: the voice list held no voices$"):
        engine.remote_voices("ko-KR")
