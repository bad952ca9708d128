"""Offline Korean synthesis through the bundled libespeak-ng, for real."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio import loudness
from audio_pipeline.speech.engines.espeak_engine import EspeakEngine


def test_korean_sentence_is_spoken() -> None:
    audio = EspeakEngine().synthesize("하나님은 당신을 잊지 않으셨습니다.", {"rate": 150})
    seconds = len(audio.samples) / audio.sample_rate
    assert audio.sample_rate == 22_050
    assert 1.0 < seconds < 6.0
    assert loudness.integrated_lufs(audio.samples, audio.sample_rate) > -40


def test_slower_rate_gives_longer_audio() -> None:
    engine = EspeakEngine()
    text = "전 세계의 교회가 당신을 위해 기도하고 있습니다."
    fast = engine.synthesize(text, {"rate": 220}).samples
    slow = engine.synthesize(text, {"rate": 110}).samples
    assert len(slow) > 1.5 * len(fast)


def test_output_is_deterministic() -> None:
    engine = EspeakEngine()
    a = engine.synthesize("오늘도 힘을 내십시오.", {}).samples
    b = engine.synthesize("오늘도 힘을 내십시오.", {}).samples
    np.testing.assert_array_equal(a, b)


def test_probe_and_version() -> None:
    engine = EspeakEngine()
    assert engine.probe() is None
    assert engine.version().startswith("espeak-ng-1.")


@pytest.mark.parametrize(
    ("options", "field"), [({"rate": 5}, "rate"), ({"variant": "zz9"}, "variant")]
)
def test_bad_options_are_named(options: dict[str, object], field: str) -> None:
    assert [f for f, _ in EspeakEngine.check_options(options)] == [field]
