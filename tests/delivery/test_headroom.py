"""The limiter's model (delivery.headroom) against the limiter itself: the level fix it solves
makes the limited programme read as loud as the unlimited one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import dsp, wavfile
from audio_pipeline.audio.bs1770 import integrated
from audio_pipeline.audio.loudness import LoudnessMeter, integrated_lufs
from audio_pipeline.core.project import Project
from audio_pipeline.delivery.headroom import FRAME, LevelStats, LimiterModel
from audio_pipeline.delivery.streams import LIMIT_MARGIN_DB, StreamLimiter
from tests.conftest import SR


@pytest.fixture(scope="module")
def speech(rendered: tuple[Project, Path]) -> np.ndarray:
    """Three minutes of the offline voice (the sample episode's cached clips) at -23 LUFS,
    with the episode's gaps: the crest factor a true-peak limiter bites on."""
    project, _ = rendered
    clips = sorted(p for p in project.cache_dir.glob("??/*.wav"))  # the raw clips
    assert clips
    parts = []
    for path in clips:
        samples, _ = wavfile.read(path)
        parts += [dsp.normalize(samples, SR, -23.0, -1.0), np.zeros(round(1.5 * SR), np.float32)]
    return np.concatenate(parts)[: 180 * SR]


def speechlike(seconds: float, seed: int = 7) -> np.ndarray:
    """Syllables: noise bursts of random loudness, 4 a second, with pauses between phrases."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    t = np.arange(n) / SR
    syllable = np.maximum(0.0, np.sin(2 * np.pi * 4 * t)) ** 2
    levels = np.repeat(rng.uniform(0.2, 1.0, int(seconds * 4) + 1), SR // 4)[:n]
    phrases = (np.sin(2 * np.pi * 0.2 * t) > -0.6).astype(np.float64)
    tone = np.sin(2 * np.pi * 180 * t) + 0.5 * rng.standard_normal(n)
    return (0.3 * syllable * levels * phrases * tone).astype(np.float32)


def model_of(x: np.ndarray) -> LimiterModel:
    meter = LoudnessMeter(SR, maxima=True, true_peak=False, lra=False)
    stats = LevelStats()
    for start in range(0, len(x), 48_000):  # pass 1's blocks
        meter.add(x[start : start + 48_000])
        stats.add(x[start : start + 48_000])
    return stats.model(meter.hop_energies())


def limited(x: np.ndarray, gain_db: float, ceiling_dbtp: float) -> np.ndarray:
    limiter = StreamLimiter(ceiling_dbtp)
    y = (x * dsp.db_to_gain(gain_db)).astype(np.float32)
    out = [b for start in range(0, len(y), 48_000) for b in limiter.push(y[start : start + 48_000])]
    return np.concatenate([*out, *limiter.flush()])


def test_gating_from_hop_energies_matches_libebur128() -> None:
    x = speechlike(60.0)
    assert model_of(x).speech_lufs == pytest.approx(integrated_lufs(x, SR), abs=0.01)
    assert integrated(np.zeros(3)) == float("-inf")


def test_the_solved_fix_lands_the_limited_programme_on_its_level(speech: np.ndarray) -> None:
    x = speech
    model = model_of(x)
    ceiling = -1.0 - LIMIT_MARGIN_DB
    gain_db = -16.0 - integrated_lufs(x, SR)  # a podcast's level: the limiter bites hard
    unlimited = integrated_lufs(x, SR) + gain_db
    first_order = unlimited - integrated_lufs(limited(x, gain_db, ceiling), SR)
    fix = model.level_fix(gain_db, ceiling)
    # what the loss at the unfixed level gives is short: the fix drives the limiter harder
    assert integrated_lufs(limited(x, gain_db + first_order, ceiling), SR) < unlimited - 0.1
    assert integrated_lufs(limited(x, gain_db + fix, ceiling), SR) == pytest.approx(
        unlimited, abs=0.05
    )


def test_no_fix_where_nothing_reaches_the_ceiling() -> None:
    x = speechlike(30.0)
    model = model_of(x)
    assert model.level_fix(-30.0 - integrated_lufs(x, SR), -1.0) == 0.0


def test_trims_scale_the_model_as_they_scale_the_stream() -> None:
    x = speechlike(60.0)
    gains = np.full(len(model_of(x).peaks), dsp.db_to_gain(-2.0))
    gains[: len(gains) // 2] = 1.0
    trimmed = model_of(x).trimmed(gains)
    samples = np.repeat(gains, FRAME)[: len(x)]
    direct = model_of((x[: len(samples)] * samples).astype(np.float32))
    assert trimmed.speech_lufs == pytest.approx(direct.speech_lufs, abs=0.02)
    gain_db = -16.0 - trimmed.speech_lufs
    assert trimmed.level_fix(gain_db, -1.05) == pytest.approx(
        direct.level_fix(gain_db, -1.05), abs=0.02
    )
