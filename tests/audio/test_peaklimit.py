"""The AM chain's last stage (peaklimit.py): the ceiling held by ffmpeg's true-peak meter,
nothing above the band beyond what its low-pass passes, a signal under the ceiling passed in
time and at its level, and the peak between samples found where a true-peak meter finds it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.audio.peaklimit import BandLimitedLimiter, peak_envelope
from audio_pipeline.audio.processing import LOWPASS_ORDER
from tests.audio.test_dynamics import run
from tests.audio.test_processing import speechlike
from tests.conftest import SR, ffmpeg_ebur128, sine


def limited_peaks(x: np.ndarray, ceiling_db: float, tmp_path: Path) -> float:
    y = run(BandLimitedLimiter(10 ** (ceiling_db / 20), 4500, SR, drive_db=0.0), x)
    assert len(y) == len(x)
    path = tmp_path / "limited.wav"
    wavfile.write(path, y, SR, "float32")
    return ffmpeg_ebur128(path)["TP"]


@pytest.mark.parametrize("signal", ["tone-bursts", "clicks", "speechlike", "noise"])
def test_limiter_holds_its_ceiling_by_ffmpegs_true_peak_meter(signal: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    if signal == "tone-bursts":  # 12 dB over the ceiling, switched on and off
        x = sine(1000, 4.0, -0.0) * (np.arange(4 * SR) % SR < SR // 2)
    elif signal == "clicks":
        x = np.zeros(3 * SR, dtype=np.float32)
        x[SR // 3 :: SR // 3] = 0.9
    elif signal == "speechlike":
        x = speechlike(6.0) * 8
    else:
        x = (0.3 * rng.standard_normal(3 * SR)).astype(np.float32)
    ceiling = -12.0
    assert limited_peaks(x, ceiling, tmp_path) <= ceiling + 0.1  # ffmpeg reads to 0.1 dB


def psd_db(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.signal import welch

    freqs, p = welch(x.astype(np.float64), SR, nperseg=4096)
    return freqs, 10 * np.log10(np.maximum(p, 1e-30))


def test_limiter_puts_nothing_above_the_band_beyond_its_low_pass() -> None:
    # white noise driven 15 dB into the limiter: what lies above 4.5 kHz is at most what
    # a tenth-order Butterworth low-pass at 4.5 kHz passes (|H|^2 = 1 / (1 + (f/fc)^20)):
    # the gain's own sidebands were made before the filter
    x = (0.25 * np.random.default_rng(4).standard_normal(6 * SR)).astype(np.float32)
    y = run(BandLimitedLimiter(10 ** (-20 / 20), 4500, SR, drive_db=15.0), x)
    freqs, p = psd_db(y)
    inband = float(np.mean(p[(freqs > 500) & (freqs < 3500)]))
    for f in (5000.0, 5500.0, 6300.0, 8000.0):
        i = int(np.argmin(np.abs(freqs - f)))
        butterworth = -10 * math.log10(1 + (f / 4500) ** 20)
        assert p[i] - inband <= butterworth + 1.5, f


def test_a_signal_under_the_ceiling_is_only_band_limited_in_time() -> None:
    # noise far under the ceiling: the gain stays 1 and the look-ahead is taken out, so the
    # output is the input through a 4.5 kHz Butterworth low-pass (scipy's), sample for sample
    from scipy.signal import butter, sosfilt

    x = (0.01 * np.random.default_rng(6).standard_normal(SR)).astype(np.float32)
    y = run(BandLimitedLimiter(10 ** (-6 / 20), 4500, SR), x, 4_800)
    assert len(y) == len(x)
    want = sosfilt(butter(LOWPASS_ORDER, 4500, fs=SR, output="sos"), x.astype(np.float64))
    np.testing.assert_allclose(y, want, atol=1e-6)


@pytest.mark.parametrize("phase", [0.0, 0.3, 0.5])
def test_the_peak_between_samples_is_read_as_a_true_peak_meter_reads_it(phase: float) -> None:
    # a 4 kHz sine of amplitude 0.5 sampled at 48 kHz: 12 samples a period, so with the
    # phase offset its crests fall between samples, up to 0.3 dB above the largest sample
    n = np.arange(480)
    y = 0.5 * np.cos(2 * np.pi * 4000 * (n + phase) / SR)
    sampled = 20 * math.log10(float(np.max(np.abs(y))))
    found = 20 * math.log10(float(np.max(peak_envelope(y))))
    assert found == pytest.approx(20 * math.log10(0.5), abs=0.03)
    assert found >= sampled
