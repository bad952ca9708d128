"""The AM processing chain: nothing above the band by FFT, the bank's bands summing to the
shaped band, time alignment and block-size independence. Its stages have tests of their
own: test_dynamics (AGC, multiband compressor), test_peaklimit, test_filters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audio_pipeline.audio.am_processing import PRESETS, am_chain, band_edges
from audio_pipeline.audio.processing import BandLimit, Chain
from tests.audio.test_processing import speechlike
from tests.conftest import SR

BAND = BandLimit(150, 4500)


def test_chain_output_holds_no_energy_above_the_band() -> None:
    x = speechlike(8.0) * 4
    chain = Chain(am_chain(PRESETS["dense"], BAND, -23.0, SR))
    y = np.concatenate([chain.process(x), chain.flush()])
    spectrum = np.abs(np.fft.rfft(y.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    above = spectrum[freqs > 6300].sum() / spectrum[(freqs > 150) & (freqs < 4500)].sum()
    assert 10 * np.log10(above) < -40


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("block", [480, 4801, 48_000])
def test_am_chain_is_independent_of_block_size(preset: str, block: int) -> None:
    x = speechlike(5.0)

    def chain() -> Chain:
        return Chain(am_chain(PRESETS[preset], BAND, -23.0, SR))

    reference = run_chain(chain(), x, len(x))
    assert len(reference) == len(x)
    np.testing.assert_array_equal(run_chain(chain(), x, block), reference)


def run_chain(chain: Chain, x: np.ndarray, size: int) -> np.ndarray:
    parts = [chain.process(x[i : i + size]) for i in range(0, len(x), size)]
    return np.concatenate([*parts, chain.flush()])


def test_chain_keeps_time_alignment() -> None:
    # the look-ahead and the FIR delays are taken out: a click comes out where it went in
    # (within the phase rotator's spread, which delays highs more than lows by design)
    x = np.zeros(2 * SR, dtype=np.float32)
    x[SR] = 0.05
    y = run_chain(Chain(am_chain(PRESETS["gentle"], BAND, -23.0, SR)), x, 4096)
    centre = int(np.argmax(np.convolve(y.astype(np.float64) ** 2, np.ones(96), "same")))
    spread = PRESETS["gentle"].dispersion_ms / 1000 * SR
    assert abs(centre - SR) <= spread / 2 + 48


def test_bank_bands_sum_to_the_shaped_band() -> None:
    # the bands add up to the band-pass with the first-order slope (-3 dB at 150 Hz, as
    # ITU RR Appendix 11 asks) and the presence shelf (+presence_db on top, half of it in
    # dB at its corner: the RBJ shelf's definition)
    settings = PRESETS["standard"]
    impulse = np.zeros(SR, dtype=np.float32)
    impulse[SR // 2] = 0.001
    chain = am_chain(settings, BAND, -60.0, SR)[1]  # the multiband stage, far under threshold
    y = run_chain(Chain([chain]), impulse, SR).astype(np.float64) / 0.001
    h = np.abs(np.fft.rfft(y, 1 << 17))
    freqs = np.fft.rfftfreq(1 << 17, 1 / SR)

    def at(f: float) -> float:
        return float(20 * np.log10(h[int(np.argmin(np.abs(freqs - f)))]))

    def first_order_db(f: float) -> float:
        return 10 * math.log10(f**2 / (f**2 + 150.0**2))

    assert at(150) == pytest.approx(-3.0, abs=0.3)
    assert at(600) - first_order_db(600) == pytest.approx(0.0, abs=0.3)  # under the shelf
    shelf_at_corner = at(settings.presence_hz) - first_order_db(settings.presence_hz)
    assert shelf_at_corner == pytest.approx(settings.presence_db / 2, abs=0.3)
    top = at(4200) - first_order_db(4200)
    assert settings.presence_db - 1.0 < top <= settings.presence_db + 0.3
    assert at(60) < -20  # the steep high-pass
    assert at(5000) < -40  # and the top of the band
    assert band_edges(settings, BAND)[-1] == 4500
