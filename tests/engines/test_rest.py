"""What the REST engines share (rest.py): retries to the same audio, answers no retry can
change, credentials, certificate checks, connection reuse, the voice list and the probe.

Each test runs both services' real code (azure, google-cloud) against local HTTPS stand-ins
(tests/standins/), reached through HTTPS_PROXY with a test CA: certificates verified, the
real hostnames, faults injected per request."""

from __future__ import annotations

import base64
import json
import logging
import time

import numpy as np
import pytest
import requests
import responses

from audio_pipeline.core.errors import EngineUnavailable, SynthesisError
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import Engine, EngineSettings
from audio_pipeline.engines.registry import ENGINES, EngineSet
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.synthesis import ClipJob, passage_check, synthesize_all
from tests.episodes import add_messages
from tests.standins import AZURE_KEY, GOOGLE_KEY, KEYS, NET, Serve
from tests.standins.server import TRANSIENT_FAULTS, Schedule, voiced, wav_bytes

SERVICES = ("azure", "google-cloud")
VARIABLE = {"azure": "SPEECH_KEY", "google-cloud": "GOOGLE_API_KEY"}
VOICE = {"azure": "ko-azure-female", "google-cloud": "ko-google-cloud-male"}


def engine(name: str, **settings: object) -> Engine:
    return ENGINES[name](EngineSettings(NET, **settings))  # type: ignore[arg-type]


def jobs(project: Project, voice: str, count: int) -> list[ClipJob]:
    from audio_pipeline.inputs.messages import load_messages

    ids = add_messages(project, count, sentences_each=1)
    messages = load_messages(project).messages
    voices, problems = load_voices(project)
    assert problems == []
    return [ClipJob(messages[i], voices[voice], voices["ko-offline"]) for i in ids]


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
@pytest.mark.parametrize("name", SERVICES)
def test_each_transient_fault_is_retried_to_the_same_audio(
    standin: Serve, project: Project, name: str, fault: str
) -> None:
    passage = [("당신은 혼자가 아닙니다.", 0.5), ("우리는 기도합니다.", 0.0)]
    voices, _ = load_voices(project)
    # the check synthesis gives every request: silent or far too short audio is asked again
    check = passage_check(
        voices[VOICE[name]], "당신은 혼자가 아닙니다. 우리는 기도합니다.", 0.5, "t"
    )
    clean_server = standin(Schedule(0.0), name)
    clean = engine(name).synthesize_passage(passage, {}, check)
    clean_server.stop()
    server = standin(Schedule(0.0, first=[fault]), name, hang_s=5.0)
    started = time.monotonic()
    audio = engine(name).synthesize_passage(passage, {}, check)
    elapsed = time.monotonic() - started
    assert [r.fault for r in server.synthesis_records()] == [fault, "ok"]
    assert audio.requests == 2
    assert elapsed < NET.attempt_timeout_s + 2.0
    assert audio.sample_rate == clean.sample_rate
    assert np.array_equal(audio.samples, clean.samples)


@pytest.mark.parametrize("name", SERVICES)
def test_a_wrong_key_is_one_request_per_worker_and_one_clear_line(
    standin: Serve, project: Project, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = {**KEYS, VARIABLE[name]: KEYS[VARIABLE[name]][:-4] + "0000"}
    server = standin(Schedule(0.0), name, keys=wrong)
    caplog.set_level(logging.DEBUG)
    clips = synthesize_all(
        jobs(project, VOICE[name], 6),
        EngineSet(EngineSettings(NET)),
        ClipCache(project.cache_dir),
        concurrency=3,
    )
    assert all(c.fallback and c.engine == "espeak" for c in clips)
    refused = [r for r in server.records if r.fault == "invalid"]
    assert 1 <= len(refused) <= 3  # at most one per worker, then given up for every worker
    reasons = {c.fallback_reason for c in clips}
    (reason,) = {r.split(" failed: ", 1)[1] for r in reasons if r}
    assert "\n" not in reason and VARIABLE[name] in reason and "refused the key" in reason
    if name == "google-cloud":
        assert "API_KEY_INVALID" in reason
    for text in (reason, caplog.text, *(r.target for r in server.records)):
        assert wrong[VARIABLE[name]] not in text and AZURE_KEY not in text
        assert GOOGLE_KEY not in text


@pytest.mark.parametrize("fault", ["401", "403", "429_quota"])
@pytest.mark.parametrize("name", SERVICES)
def test_auth_and_quota_answers_are_not_retried(standin: Serve, name: str, fault: str) -> None:
    server = standin(Schedule(0.0, first=[fault]), name)
    eng = engine(name)
    with pytest.raises(EngineUnavailable) as failure:
        eng.synthesize("안녕하세요.", {})
    message = str(failure.value)
    assert "\n" not in message and len(message) < 300
    if fault == "429_quota":
        assert "quota" in message
    assert [r.fault for r in server.synthesis_records()] == [fault]
    with pytest.raises(EngineUnavailable):  # and nothing is sent again this run
        eng.synthesize("다음 문장입니다.", {})
    assert len(server.synthesis_records()) == 1


@pytest.mark.parametrize("name", SERVICES)
def test_missing_credentials_fall_back_loudly_without_a_request(
    standin: Serve, project: Project, name: str
) -> None:
    server = standin(Schedule(0.0), name, keys={})
    (clip,) = synthesize_all(
        jobs(project, VOICE[name], 1), EngineSet(EngineSettings(NET)), ClipCache(project.cache_dir)
    )
    assert clip.fallback and clip.engine == "espeak"
    assert VARIABLE[name] in (clip.fallback_reason or "") and "no credentials" in (
        clip.fallback_reason or ""
    )
    assert server.records == []


@pytest.mark.parametrize("name", SERVICES)
def test_certificates_are_verified(
    standin: Serve, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the test CA the stand-in's certificate is refused: verification is on."""
    standin(Schedule(0.0), name)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(EngineUnavailable, match="TLS failed"):
        engine(name).synthesize("안녕하세요.", {})


@pytest.mark.parametrize("name", SERVICES)
def test_one_connection_carries_many_requests(standin: Serve, name: str) -> None:
    server = standin(Schedule(0.0), name)
    eng = engine(name)
    for n in range(5):
        eng.synthesize(f"{n + 1}번째 문장입니다.", {})
    assert len(server.synthesis_records()) == 5
    assert server.connections == 1  # one TLS handshake, not one per request


@pytest.mark.parametrize("name", SERVICES)
def test_remote_voices_and_probe(standin: Serve, name: str) -> None:
    standin(Schedule(0.0), name)
    eng = engine(name)
    voices = eng.remote_voices("ko-KR")
    assert voices and all(v.locale == "ko-KR" for v in voices)
    assert {v.gender for v in voices} == {"Female", "Male"}
    assert eng.probe() is None
    wrong = {**KEYS, VARIABLE[name]: "not-the-key"}
    assert "refused the key" in (engine(name, environ=wrong).probe() or "")
    assert "no credentials" in (engine(name, environ={}).probe() or "")


# --- the shared plumbing, request by request (the wire faked with `responses`) ----------------

WIRE = {
    "azure": (
        "https://koreacentral.tts.speech.microsoft.com/cognitiveservices/v1",
        "https://koreacentral.tts.speech.microsoft.com/cognitiveservices/voices/list",
        "Azure Speech",
    ),
    "google-cloud": (
        "https://texttospeech.googleapis.com/v1/text:synthesize",
        "https://texttospeech.googleapis.com/v1/voices",
        "Google Cloud TTS",
    ),
}


def audio_body(name: str) -> bytes:
    data = wav_bytes(voiced("안녕하세요.", "v", 24_000), 24_000)
    if name == "google-cloud":
        return json.dumps({"audioContent": base64.b64encode(data).decode()}).encode()
    return data


@pytest.mark.parametrize("name", SERVICES)
@responses.activate
def test_the_probe_asks_the_voice_list_once_and_says_why_not_in_one_line(name: str) -> None:
    _, voices, label = WIRE[name]
    responses.get(voices, body=requests.exceptions.ConnectionError("no route to host"))
    eng = engine(name, environ=KEYS)
    assert eng.probe() == f"cannot reach {label} (ConnectionError)"
    key = KEYS[VARIABLE[name]]
    said_back = f"key {key} is disabled\nsee the docs"
    if name == "google-cloud":  # Google says it in its JSON error body
        said_back = json.dumps({"error": {"status": "PERMISSION_DENIED", "message": said_back}})
    responses.replace(responses.GET, voices, status=403, body=said_back)
    said = eng.probe() or ""
    assert key not in said and "\n" not in said and "[redacted]" in said
    assert len(responses.calls) == 2  # no retry: a probe takes seconds at most


@pytest.mark.parametrize("name", SERVICES)
@responses.activate
def test_a_voice_list_that_is_not_json_is_asked_for_again(name: str) -> None:
    _, voices, _ = WIRE[name]
    responses.get(voices, body="<html>gateway timeout</html>")
    listing: object = (
        [{"ShortName": "ko-KR-SunHiNeural", "Gender": "Female", "Locale": "ko-KR"}]
        if name == "azure"
        else {"voices": [{"name": "ko-KR-Neural2-A", "languageCodes": ["ko-KR"]}]}
    )
    responses.get(voices, json=listing)
    (voice,) = engine(name, environ=KEYS).remote_voices("ko-KR")
    assert voice.locale == "ko-KR" and len(responses.calls) == 2


@pytest.mark.parametrize("name", SERVICES)
@responses.activate
def test_an_engine_given_up_asks_nothing_more(name: str) -> None:
    eng = engine(name, environ=KEYS)
    eng.run.give_up("stopped")  # type: ignore[attr-defined]
    with pytest.raises(EngineUnavailable, match=r"^stopped$"):
        eng.remote_voices("ko-KR")
    with pytest.raises(EngineUnavailable, match=r"^stopped$"):
        eng.synthesize("안녕하세요.", {})
    assert eng.probe() == "stopped" and len(responses.calls) == 0


@pytest.mark.parametrize("name", SERVICES)
@responses.activate
def test_an_answer_the_check_rejects_is_asked_again_and_both_are_billed(name: str) -> None:
    synthesis, _, _ = WIRE[name]
    responses.post(synthesis, body=audio_body(name))
    rates: list[int] = []

    def check(samples: np.ndarray, rate: int) -> None:
        rates.append(rate)
        if len(rates) == 1:
            raise SynthesisError("too short for its text")

    eng = engine(name, environ=KEYS)
    audio = eng.synthesize("안녕하세요.", {}, check)
    assert audio.requests == 2 and rates == [24_000, 24_000]
    characters, requests = eng.take_usage()
    assert requests == 2 and characters > 0  # the service answered twice: it bills twice
    assert eng.take_usage() == (0, 0)
