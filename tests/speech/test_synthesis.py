"""The synthesis stage: cache reuse, sentence-by-sentence requests, loud fallback, --strict."""

from __future__ import annotations

import numpy as np
import pytest
import requests
import responses

from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.errors import RenderError, SynthesisError
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import EngineAudio, EngineSettings, NetworkSettings
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.inputs.messages import load_messages
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.synthesis import ClipJob, check_speech, synthesize_all, synthesize_clip
from tests.conftest import SR, batchexecute_body, sent_text

URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
FAST = EngineSettings(NetworkSettings(backoff_base_s=0.0, backoff_max_s=0.0, requests_per_minute=0))


def job(project: Project, message_id: str, voice: str, fallback: str | None) -> ClipJob:
    messages = load_messages(project).messages
    voices, _ = load_voices(project)
    return ClipJob(messages[message_id], voices[voice], voices[fallback] if fallback else None)


def test_espeak_clip_is_cached_and_reused(project: Project) -> None:
    cache = ClipCache(project.cache_dir)
    first = synthesize_clip(
        job(project, "not-alone", "ko-offline", None), EngineSet(), cache, strict=False
    )
    second = synthesize_clip(
        job(project, "not-alone", "ko-offline", None), EngineSet(), cache, strict=False
    )
    assert (first.cached, second.cached) == (False, True)
    assert first.cache_key == second.cache_key and first.path == second.path
    assert 8 < first.duration_s < 40
    assert first.spoken_text.splitlines()[0] == "사랑하는 형제자매 여러분, 당신은 혼자가 아닙니다."


@responses.activate
def test_gtts_gets_one_request_per_sentence(project: Project, speechlike_mp3: bytes) -> None:
    responses.post(URL, body=batchexecute_body(speechlike_mp3))
    # the sentence check would call 1.5 s implausible for long sentences: use a short message
    project.messages_dir.joinpath("short-one.yaml").write_text(
        "id: short-one\nstatus: approved\ntext: 힘을 내요. 함께해요. 기도해요.\n"
        "approved_by: 편집팀\napproved_at: 2026-11-20\n"
        f"approved_sha256: {text_sha256('힘을 내요. 함께해요. 기도해요.')}\n",
        "utf-8",
    )
    clip = synthesize_clip(
        job(project, "short-one", "ko-google", "ko-offline"),
        EngineSet(FAST),
        ClipCache(project.cache_dir),
        strict=True,
    )
    assert clip.engine == "gtts" and not clip.fallback
    assert clip.engine_requests == 3
    assert [sent_text(c.request.body) for c in responses.calls] == [
        "힘을 내요.",
        "함께해요.",
        "기도해요.",
    ]


@responses.activate
def test_offline_gtts_falls_back_loudly(project: Project) -> None:
    responses.post(URL, body=requests.exceptions.ConnectionError("offline"))
    jobs = [job(project, m, "ko-google", "ko-offline") for m in ("not-alone", "church-prays")]
    clips = synthesize_all(jobs, EngineSet(FAST), ClipCache(project.cache_dir), strict=False)
    assert [(c.engine, c.voice, c.fallback) for c in clips] == [("espeak", "ko-offline", True)] * 2
    assert all("gTTS unreachable" in (c.fallback_reason or "") for c in clips)
    assert len(responses.calls) == 3  # given up after 3 failures, not 3 per clip


@responses.activate
def test_strict_forbids_fallback(project: Project) -> None:
    responses.post(URL, body=requests.exceptions.ConnectionError("offline"))
    with pytest.raises(RenderError, match="--strict forbids fallback"):
        synthesize_clip(
            job(project, "not-alone", "ko-google", "ko-offline"),
            EngineSet(FAST),
            ClipCache(project.cache_dir),
            strict=True,
        )


@responses.activate
def test_no_fallback_voice_fails_the_render(project: Project) -> None:
    responses.post(URL, body=requests.exceptions.ConnectionError("offline"))
    with pytest.raises(RenderError, match="no fallback_voice"):
        synthesize_clip(
            job(project, "not-alone", "ko-google", None),
            EngineSet(FAST),
            ClipCache(project.cache_dir),
            strict=False,
        )


def test_silent_or_truncated_audio_is_rejected() -> None:
    with pytest.raises(SynthesisError, match="silence"):
        check_speech(np.zeros(SR, dtype=np.float32), "안녕하세요", 1.0, "clip")
    tone = (0.1 * np.sin(np.arange(SR // 5) / 5)).astype(np.float32)  # 0.2 s
    with pytest.raises(SynthesisError, match="truncated or garbled"):
        check_speech(tone, "사랑하는 형제자매 여러분 당신은 혼자가 아닙니다", 1.0, "clip")


def test_a_garbled_engine_answer_never_reaches_the_cache(project: Project) -> None:
    class Garbled:
        name = "espeak"
        max_chars = 120
        unavailable_reason = None

        def version(self) -> str:
            return "test"

        def resolved_options(self, options: object) -> dict[str, object]:
            return {}

        def synthesize(self, text: str, options: object, check: object = None) -> EngineAudio:
            return EngineAudio(np.zeros(SR, dtype=np.float32), SR)

    engines = EngineSet()
    engines._instances["espeak"] = Garbled()  # type: ignore[assignment]
    with pytest.raises(RenderError, match="returned silence"):
        synthesize_clip(
            job(project, "not-alone", "ko-offline", None),
            engines,
            ClipCache(project.cache_dir),
            strict=False,
        )
    assert ClipCache(project.cache_dir).stats().entries == 0
