"""Profile processing: the HF broadcasting band, gentle levelling, block-size independence."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio.processing import (
    BandLimit,
    BandLimiter,
    Levelling,
    build_chain,
    speech_dynamic_range_db,
)
from tests.conftest import SR, sine


def gain_at(freq: float) -> float:
    limiter = BandLimiter(BandLimit(150, 4500), SR)
    x = sine(freq, 2.0, -6)
    y = limiter.process(x)[SR:]  # after the filters settle
    return 20 * np.log10(np.sqrt(np.mean(y**2)) / np.sqrt(np.mean(x[SR:] ** 2)))


def test_appendix_11_audio_band() -> None:
    assert gain_at(1000) == pytest.approx(0.0, abs=0.3)
    assert gain_at(150) == pytest.approx(-3.0, abs=0.3)  # first-order corner
    assert gain_at(75) == pytest.approx(-7.0, abs=0.5)  # 6 dB/octave below
    assert gain_at(4500) == pytest.approx(-3.0, abs=0.3)  # upper audio limit
    assert gain_at(6300) < -25  # steep above


def speechlike(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(4)
    t = np.arange(round(seconds * SR)) / SR
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((160, 320, 480, 960, 1900), 1))
    syllables = np.clip(np.sin(2 * np.pi * 3.1 * t), 0, None) ** 1.5
    phrases = 10 ** ((-12 * (np.sin(2 * np.pi * 0.2 * t) > 0.6)) / 20)  # quiet phrases
    return (0.1 * voiced * syllables * phrases + 1e-4 * rng.standard_normal(len(t))).astype(
        np.float32
    )


def test_levelling_is_gentle_but_real() -> None:
    x = speechlike(20.0)
    chain = build_chain(BandLimit(150, 4500), Levelling(), -23.0, SR)
    y = np.concatenate([chain.process(x), chain.flush()])
    before, after = speech_dynamic_range_db(x, SR), speech_dynamic_range_db(y, SR)
    assert after >= 20.0  # keeps at least 20 dB of dynamic range
    assert after < before - 1.0  # and does level: quiet phrases come up


@pytest.mark.parametrize("block", [480, 4801, 48_000])
def test_chain_is_independent_of_block_size(block: int) -> None:
    x = speechlike(5.0)

    def run(size: int) -> np.ndarray:
        chain = build_chain(BandLimit(150, 4500), Levelling(), -23.0, SR)
        parts = [chain.process(x[i : i + size]) for i in range(0, len(x), size)]
        return np.concatenate([*parts, chain.flush()])

    reference = run(len(x))
    assert len(reference) == len(x)
    np.testing.assert_array_equal(run(block), reference)
