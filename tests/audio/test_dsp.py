"""Pure DSP functions: trimming, fades, limiter, normalization."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio import dsp, loudness
from tests.conftest import SR, sine


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Syllable-modulated harmonics with occasional sharp peaks: a limiter's workload."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SR)) / SR
    voiced = sum(
        np.sin(2 * np.pi * f * t + rng.random()) / k for k, f in enumerate((150, 300, 450, 900), 1)
    )
    envelope = np.clip(np.sin(2 * np.pi * 3.7 * t), 0, None) ** 2
    x = 0.1 * voiced * envelope
    x[rng.integers(0, len(x), 20)] += 0.6 * rng.choice([-1, 1], 20)
    return x.astype(np.float32)


def test_trim_silence_cuts_to_the_sound_with_padding() -> None:
    tone = sine(440, 1.0, -12)
    x = np.concatenate([np.zeros(SR), tone, np.zeros(SR // 2)])
    y = dsp.trim_silence(x, SR, threshold_db=-50, pad_s=0.03)
    assert len(y) / SR == pytest.approx(1.0 + 2 * 0.03, abs=0.02)


def test_trim_silence_of_pure_silence_is_empty() -> None:
    assert dsp.trim_silence(np.zeros(SR, dtype=np.float32), SR).size == 0


def test_trimmed_edges_fade_to_zero() -> None:
    y = dsp.trim_silence(np.concatenate([np.zeros(SR), sine(440, 1, -6)]), SR, pad_s=0)
    assert abs(float(y[0])) < 1e-3 and abs(float(y[-1])) < 1e-3


@pytest.mark.parametrize("target", [-23.0, -16.0])
def test_normalize_hits_target_and_stays_under_ceiling(target: float) -> None:
    x = speechlike(8.0)
    y = dsp.normalize(x, SR, target, -1.0)
    assert loudness.integrated_lufs(y, SR) == pytest.approx(target, abs=0.1)
    assert loudness.true_peak_dbtp(y, SR) <= -1.0


def test_normalize_limits_peaks_rather_than_lowering_loudness() -> None:
    x = speechlike(8.0, seed=2)
    plain_gain_peak = loudness.true_peak_dbtp(x, SR) + (-16.0 - loudness.integrated_lufs(x, SR))
    assert plain_gain_peak > 0  # gain alone would clip
    y = dsp.normalize(x, SR, -16.0, -1.0)
    assert loudness.true_peak_dbtp(y, SR) <= -1.0
    assert loudness.integrated_lufs(y, SR) == pytest.approx(-16.0, abs=0.1)


def test_normalize_clip_shorter_than_400_ms() -> None:
    y = dsp.normalize(sine(440, 0.25, -30), SR, -23.0, -1.0)
    assert loudness.integrated_lufs(y, SR) == pytest.approx(-23.0, abs=0.1)


def test_normalize_refuses_silence() -> None:
    with pytest.raises(ValueError, match="silent"):
        dsp.normalize(np.zeros(SR, dtype=np.float32), SR, -23.0, -1.0)


def test_limiter_gain_never_exceeds_what_each_sample_needs() -> None:
    x = speechlike(4.0, seed=7) * 4
    ceiling = -3.0
    gain = dsp.limiter_gain(x, SR, ceiling)
    need = np.minimum(1.0, dsp.db_to_gain(ceiling) / np.maximum(dsp.true_peak_envelope(x), 1e-12))
    assert np.all(gain <= need + 1e-6)
    assert gain.max() <= 1.0
    limited = dsp.apply_gain_curve(x, gain)
    assert loudness.true_peak_dbtp(limited, SR) <= ceiling + 0.1


def test_limiter_leaves_quiet_audio_alone() -> None:
    x = sine(440, 1, -20)
    assert np.all(dsp.limiter_gain(x, SR, -1.0) == 1.0)
    assert not dsp.exceeds_ceiling(x, -1.0)


def test_exceeds_ceiling_sees_inter_sample_peaks() -> None:
    n = np.arange(SR)
    x = (0.5 * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)  # samples -9 dB, peak -6
    assert dsp.exceeds_ceiling(x, -7.0)
    assert not dsp.exceeds_ceiling(x, -5.5)


def test_resample_keeps_duration_and_pitch() -> None:
    x = sine(1000, 1.0, -6, rate=22_050)
    y = dsp.resample(x, 22_050, SR)
    assert len(y) == SR
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) * SR / len(y) == pytest.approx(1000, abs=2)


def test_normalize_measured_returns_the_loudness_of_what_it_returns() -> None:
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(SR * 3) * 0.05).astype(np.float32)
    y, measured = dsp.normalize_measured(x, SR, -16.0, -1.0)
    assert measured == loudness.measure(y, SR)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.05)
    assert measured.true_peak_dbtp <= -1.0
    np.testing.assert_array_equal(y, dsp.normalize(x, SR, -16.0, -1.0))
