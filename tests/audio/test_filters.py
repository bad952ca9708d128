"""Filters of the AM chain (filters.py): the presence shelf's response read with scipy's
freqz, stateful filters fed in blocks against scipy and numpy over the whole signal, the
crossover's bands summing flat in linear phase, the phase rotator's group delay."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio.filters import (
    FIR_TAPS,
    FIRBank,
    IIRFilter,
    butter_sos,
    crossover_kernels,
    dispersion_phase,
    high_shelf,
    shaped_band_kernels,
)
from tests.conftest import SR


def response_db(sos: np.ndarray, hz: float) -> float:
    from scipy.signal import sosfreqz

    _, h = sosfreqz(sos, worN=[hz], fs=SR)
    return float(20 * np.log10(np.abs(h[0])))


@pytest.mark.parametrize("gain_db", [3.0, 6.0])
def test_high_shelf_lifts_above_its_corner_and_half_of_it_at_the_corner(gain_db: float) -> None:
    sos = high_shelf(gain_db, 2000.0, SR)
    assert response_db(sos, 50.0) == pytest.approx(0.0, abs=0.05)
    assert response_db(sos, 2000.0) == pytest.approx(gain_db / 2, abs=0.01)
    assert response_db(sos, 16_000.0) == pytest.approx(gain_db, abs=0.2)


def test_an_iir_filter_fed_in_blocks_is_scipys_over_the_whole_signal() -> None:
    from scipy.signal import sosfilt

    x = np.random.default_rng(1).standard_normal(20_000)
    sos = butter_sos(4, 3000.0, "lowpass", SR)
    assert response_db(sos, 3000.0) == pytest.approx(-3.01, abs=0.01)  # Butterworth at fc
    f = IIRFilter(sos)
    got = np.concatenate([f.filter(x[i : i + 1_234]) for i in range(0, len(x), 1_234)])
    np.testing.assert_allclose(got, sosfilt(sos, x), atol=1e-12)
    assert len(f.filter(np.zeros(0))) == 0


def test_a_fir_bank_fed_in_blocks_convolves_each_kernel_causally() -> None:
    rng = np.random.default_rng(2)
    kernels = rng.standard_normal((3, 101))
    x = rng.standard_normal(5_000)
    bank = FIRBank(kernels)
    sizes = [1, 7, 1_000, 99, 2_048, 1_845]
    parts, at = [], 0
    for size in sizes:
        parts.append(bank.apply(x[at : at + size]))
        at += size
    got = np.concatenate(parts, axis=1)
    want = np.stack([np.convolve(x, k)[: len(x)] for k in kernels])
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_crossover_bands_are_linear_phase_and_sum_to_the_band() -> None:
    edges = [150.0, 500.0, 1500.0, 4500.0]
    kernels = crossover_kernels(edges, SR)
    assert kernels.shape == (3, FIR_TAPS)
    np.testing.assert_allclose(kernels, kernels[:, ::-1], atol=1e-15)  # symmetric taps
    h = np.abs(np.fft.rfft(kernels.sum(axis=0), 1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 1 / SR)

    def at(f: float) -> float:
        return float(20 * np.log10(h[int(np.argmin(np.abs(freqs - f)))]))

    for f in (300.0, 500.0, 1000.0, 1500.0, 3000.0):  # flat across the crossover points
        assert at(f) == pytest.approx(0.0, abs=0.1), f
    assert at(20.0) < -30 and at(8000.0) < -40


def test_the_rotators_group_delay_rises_to_its_spread_and_stays() -> None:
    freqs = np.linspace(0.0, 8000.0, 8001)
    phase = dispersion_phase(freqs, 0.004, 4000.0)
    delay = -np.gradient(phase, freqs) / (2 * np.pi)
    assert delay[1000] == pytest.approx(0.001, rel=1e-3)  # a quarter of the way: a quarter
    assert delay[6000] == pytest.approx(0.004, rel=1e-3)


def test_unshaped_kernels_centre_an_impulse_at_their_delay() -> None:
    kernels, delay = shaped_band_kernels(
        [150.0, 1000.0, 4500.0], lambda f: np.zeros_like(f), 0.0, SR
    )
    impulse_response = kernels.sum(axis=0)
    assert int(np.argmax(np.abs(impulse_response))) == delay
