"""The meter against EBU Tech 3341 (loudness, true peak) and Tech 3342 (loudness range),
with the test signals generated synthetically: stereo 1 kHz sines at the listed levels and
durations (levels are dBFS per channel, as in the EBU test set)."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio import loudness
from tests.conftest import SR


def stereo_sequence(parts: list[tuple[float, float]], freq: float = 1000.0) -> np.ndarray:
    """Concatenated stereo sines: (level dBFS, seconds) each, phase-continuous."""
    total = sum(round(s * SR) for _, s in parts)
    t = np.arange(total) / SR
    carrier = np.sin(2 * np.pi * freq * t)
    amplitude = np.concatenate([np.full(round(s * SR), 10 ** (db / 20)) for db, s in parts])
    x = (carrier * amplitude).astype(np.float32)
    return np.stack([x, x], axis=1)


# EBU Tech 3341 table 1, cases 1-5: integrated loudness, +/-0.1 LU
TECH_3341 = [
    ("case 1", [(-23.0, 20.0)], -23.0),
    ("case 2", [(-33.0, 20.0)], -33.0),
    ("case 3", [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)], -23.0),
    ("case 4", [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)], -23.0),
    ("case 5", [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)], -23.0),
]


@pytest.mark.parametrize(("name", "parts", "expected"), TECH_3341, ids=[c[0] for c in TECH_3341])
def test_tech_3341_integrated(name: str, parts: list[tuple[float, float]], expected: float) -> None:
    assert loudness.integrated_lufs(stereo_sequence(parts), SR) == pytest.approx(expected, abs=0.1)


def test_tech_3341_momentary_and_short_term_of_case_1() -> None:
    result = loudness.measure(stereo_sequence([(-23.0, 20.0)]), SR)
    assert result.max_momentary_lufs == pytest.approx(-23.0, abs=0.1)
    assert result.max_short_term_lufs == pytest.approx(-23.0, abs=0.1)


def isp_sine(
    fraction: float, phase_deg: float, peak_dbtp: float, seconds: float = 2.0
) -> np.ndarray:
    """Stereo sine at fs x fraction with a phase offset: the waveform peaks at peak_dbtp,
    between samples except at 0 degrees. The cases describe a steady sine, so it fades in
    and out over 10 ms: a sine switched on at 92 % of its amplitude is a step, and the
    reconstructed step really does ring above the sine's peak."""
    n = np.arange(round(seconds * SR))
    x = 10 ** (peak_dbtp / 20) * np.sin(2 * np.pi * fraction * n + np.deg2rad(phase_deg))
    ramp = round(0.01 * SR)
    envelope = np.ones(len(n))
    envelope[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    envelope[-ramp:] = envelope[:ramp][::-1]
    x = (x * envelope).astype(np.float32)
    return np.stack([x, x], axis=1)


# EBU Tech 3341 table 2, cases 15-19: maximum true peak, +0.2 / -0.4 dB
TRUE_PEAK = [
    ("case 15", isp_sine(1 / 4, 0.0, -6.0206), -6.0),
    ("case 16", isp_sine(1 / 4, 45.0, -6.0206), -6.0),
    ("case 17", isp_sine(1 / 6, 60.0, -6.0206), -6.0),
    ("case 18", isp_sine(1 / 8, 67.5, -6.0206), -6.0),
    ("case 19", isp_sine(1 / 4, 45.0, 3.0103), 3.0),
]


@pytest.mark.parametrize(("name", "signal", "expected"), TRUE_PEAK, ids=[c[0] for c in TRUE_PEAK])
def test_tech_3341_true_peak(name: str, signal: np.ndarray, expected: float) -> None:
    measured = loudness.true_peak_dbtp(signal, SR)
    assert expected - 0.4 <= measured <= expected + 0.2


def test_case_16_true_peak_is_found_between_the_samples() -> None:
    # the point of the inter-sample cases: the meter reads ~3 dB over the largest sample
    signal = TRUE_PEAK[1][1]
    sample_peak = loudness.db(float(np.abs(signal).max()))
    assert loudness.true_peak_dbtp(signal, SR) - sample_peak == pytest.approx(3.0, abs=0.2)


# EBU Tech 3342 cases 1-4: loudness range, +/-1 LU
TECH_3342 = [
    ("case 1", [(-20.0, 20.0), (-30.0, 20.0)], 10.0),
    ("case 2", [(-20.0, 20.0), (-15.0, 20.0)], 5.0),
    ("case 3", [(-40.0, 20.0), (-20.0, 20.0)], 20.0),
    ("case 4", [(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
]


@pytest.mark.parametrize(("name", "parts", "expected"), TECH_3342, ids=[c[0] for c in TECH_3342])
def test_tech_3342_loudness_range(
    name: str, parts: list[tuple[float, float]], expected: float
) -> None:
    result = loudness.measure(stereo_sequence(parts), SR, maxima=False)
    assert result.lra_lu == pytest.approx(expected, abs=1.0)


def test_mono_follows_bs1770_channel_weighting() -> None:
    mono = stereo_sequence([(-23.0, 10.0)])[:, 0]
    assert loudness.integrated_lufs(mono, SR) == pytest.approx(-26.0, abs=0.1)
