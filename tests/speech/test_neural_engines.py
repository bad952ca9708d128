"""The azure and google-cloud engines, their real code against local HTTPS stand-ins of the
services (tests/standins/), reached through HTTPS_PROXY with a test CA: certificates
verified, the real hostnames, faults injected per request."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from audio_pipeline.core.errors import EngineUnavailable
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import Engine, EngineSettings, NetworkSettings
from audio_pipeline.engines.registry import ENGINES, EngineSet
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.synthesis import (
    ClipJob,
    passage_check,
    script_for,
    synthesize_all,
    synthesize_audio,
)
from tests.episodes import add_messages
from tests.standins import AZURE_KEY, GOOGLE_KEY, KEYS, NET, Serve
from tests.standins.server import TRANSIENT_FAULTS, Schedule

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


@pytest.mark.parametrize("name", SERVICES)
def test_text_with_markup_characters_reaches_the_service_as_text(standin: Serve, name: str) -> None:
    server = standin(Schedule(0.0), name)
    passage = [("주님 <사랑> & \"은혜\" '평안'", 0.5), ("둘째 & 셋째.", 0.0)]
    audio = engine(name).synthesize_passage(passage, {})
    (record,) = server.synthesis_records()
    # the stand-in parsed the SSML and read back exactly the words, markup characters as text
    assert record.text == "주님 <사랑> & \"은혜\" '평안'둘째 & 셋째."
    assert audio.requests == 1 and len(audio.samples) / audio.sample_rate > 1.0


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
def test_a_long_message_is_split_at_sentences_with_breaks_inside_requests(
    standin: Serve, project: Project, name: str
) -> None:
    from audio_pipeline.inputs.messages import load_messages

    server = standin(Schedule(0.0), name)
    voices, _ = load_voices(project)
    voice = voices[VOICE[name]]
    message = next(iter(load_messages(project).messages.values()))
    long_text = " ".join(f"우리는 {n}번째로 당신을 위해 함께 기도하고 있습니다." for n in range(90))
    message = type(message)(**{**message.__dict__, "text": long_text})
    # minutes of audio per answer take the stand-in a few seconds to make
    slow = NetworkSettings(**{**NET.__dict__, "read_timeout_s": 20.0, "attempt_timeout_s": 40.0})
    eng = EngineSet(EngineSettings(slow)).for_voice(voice)
    script = script_for(message, voice, eng)
    _, requests = synthesize_audio(eng, voice, script)
    sent = server.synthesis_records()
    assert 2 <= len(sent) == requests < len(script.sentences)
    said = "".join(r.text or "" for r in sent)
    assert "".join(said.split()) == "".join(script.spoken_text.split())
    chars, billed_requests = eng.take_usage()
    assert billed_requests == len(sent) and chars > len(script.spoken_text)


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
