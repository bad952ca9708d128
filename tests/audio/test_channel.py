"""The AM channel simulator against answers worked out from first principles: a tone's SNR
after envelope detection, the Rayleigh statistics and Gaussian Doppler spectrum of the
fading (ITU-R F.1487), and the same output for the same seed."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from audio_pipeline.audio.channel import (
    MEDIUMWAVE,
    SHORTWAVE,
    SIM_RATE,
    ChannelModel,
    Condition,
    Fading,
    fading_gains,
    modulation_drive,
    receive,
)

FLAT_RECEIVER = dataclasses.replace(MEDIUMWAVE, rx_corner_hz=None)


def tone(freq: float, seconds: float, rate: int = SIM_RATE) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(round(seconds * rate)) / rate)


def tone_snr_db(y: np.ndarray, freq: float) -> float:
    """Power of the tone (least-squares fit at its frequency) over the power of the rest."""
    t = np.arange(len(y)) / SIM_RATE
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coeffs, *_ = np.linalg.lstsq(basis, y, rcond=None)
    fitted = basis @ coeffs
    return float(10 * np.log10(np.mean(fitted**2) / np.mean((y - fitted) ** 2)))


@pytest.mark.parametrize("snr_db", [10.0, 20.0])
def test_standard_modulation_tone_reads_the_set_snr_after_detection(snr_db: float) -> None:
    # AM above the detector's threshold: the envelope is A(1 + m sin) + the in-phase noise.
    # The tone carries A^2 m^2 / 2, the in-phase noise half the noise power N in the IF
    # band, so SNR = m^2 A^2 / N = m^2 CNR: at 30 % modulation (IEC 60315-3) that is the SNR
    # the channel is set to. The receiver here is flat (no audio roll-off), so the noise
    # over the whole detected band is what is measured.
    x = tone(1000.0, 20.0)
    y = receive(x, SIM_RATE, FLAT_RECEIVER, Condition(snr_db), drive=0.3, seed=5)
    settled = y[SIM_RATE:-SIM_RATE]  # past the filters' start
    assert tone_snr_db(settled, 1000.0) == pytest.approx(snr_db, abs=0.5)


def test_denser_modulation_honestly_gains_snr() -> None:
    # the same channel (carrier and noise) carries a tone modulated twice as deep: 6 dB more
    x = tone(1000.0, 20.0)
    half = receive(x, SIM_RATE, FLAT_RECEIVER, Condition(20.0), drive=0.3, seed=5)
    full = receive(x, SIM_RATE, FLAT_RECEIVER, Condition(20.0), drive=0.6, seed=5)
    gain = tone_snr_db(full[SIM_RATE:-SIM_RATE], 1000.0) - tone_snr_db(
        half[SIM_RATE:-SIM_RATE], 1000.0
    )
    assert gain == pytest.approx(20 * math.log10(2), abs=0.3)


def test_noiseless_channel_returns_the_tone_in_modulation_units_and_in_time() -> None:
    x = tone(1000.0, 3.0)
    y = receive(x, SIM_RATE, FLAT_RECEIVER, Condition(None), drive=0.5, seed=0)
    mid = slice(SIM_RATE, 2 * SIM_RATE)
    assert np.sqrt(2 * np.mean(y[mid] ** 2)) == pytest.approx(0.5, rel=0.02)  # 50 % peak
    # lined up with the input (the filters' group delay is taken out): within 0.2 ms
    lags = range(-8, 9)  # a 1 kHz period is 16 samples
    best = max(lags, key=lambda k: float(np.dot(np.roll(y, -k)[mid], x[mid])))
    assert abs(best) <= 3


def test_receiver_rolls_off_above_2_khz() -> None:
    def level(freq: float) -> float:
        y = receive(tone(freq, 2.0), SIM_RATE, MEDIUMWAVE, Condition(None), drive=0.3, seed=0)
        return float(10 * np.log10(np.mean(y[SIM_RATE // 2 : -SIM_RATE // 2] ** 2)))

    ref = level(700.0)
    assert level(2000.0) - ref == pytest.approx(-3.0, abs=0.6)  # ~3 dB down at 2 kHz
    assert level(4000.0) - ref < -15  # and steeply down above


def test_drive_puts_the_programme_peak_at_full_modulation() -> None:
    x = 0.25 * tone(1000.0, 2.0) * np.minimum(1.0, np.arange(2 * SIM_RATE) / 4000)  # faded in
    assert modulation_drive(x, SIM_RATE, SHORTWAVE) == pytest.approx(4.0, rel=0.02)
    assert modulation_drive(np.zeros(100), SIM_RATE, SHORTWAVE) == 1.0


def test_flat_fading_envelope_is_rayleigh() -> None:
    # one path, 1 Hz spread, 2000 s: about 2000 independent fades
    fading = Fading(spread_hz=1.0, delay_ms=0.0, paths=1)
    rate = 100
    h = fading_gains(2000 * rate, fading, np.random.default_rng(3), rate=rate)[0]
    power = np.abs(h) ** 2
    assert power.mean() == pytest.approx(1.0, abs=0.1)
    # Rayleigh with E|h|^2 = 1: P(|h| <= r) = 1 - exp(-r^2)
    for r in (0.3, 0.7, 1.0, 1.5):
        expected = 1 - math.exp(-(r**2))
        assert np.mean(np.abs(h) <= r) == pytest.approx(expected, abs=0.04), r
    # deep fades as often as Rayleigh says: 10 dB under the mean 9.5 % of the time
    assert np.mean(power < 0.1) == pytest.approx(1 - math.exp(-0.1), abs=0.02)


def test_fading_has_the_gaussian_doppler_spectrum_of_its_spread() -> None:
    # F.1487: frequency spread = 2 sigma of a Gaussian Doppler spectrum, whose
    # autocorrelation is exp(-2 pi^2 sigma^2 tau^2): 0.5 at tau = sqrt(ln 2 / 2) / (pi sigma)
    spread = 1.0
    sigma = spread / 2
    rate = 100
    h = fading_gains(4000 * rate, Fading(spread, 0.0, 1), np.random.default_rng(8), rate=rate)[0]
    power = float(np.mean(np.abs(h) ** 2))
    for tau in (0.2, math.sqrt(math.log(2) / 2) / (math.pi * sigma), 0.6):
        lag = round(tau * rate)
        measured = abs(np.mean(h[lag:] * np.conj(h[:-lag]))) / power
        expected = math.exp(-2 * math.pi**2 * sigma**2 * (lag / rate) ** 2)
        assert measured == pytest.approx(expected, abs=0.05), tau


def test_two_paths_share_the_power_and_fade_independently() -> None:
    rate = 100
    h = fading_gains(2000 * rate, Fading(0.5, 1.0, 2), np.random.default_rng(1), rate=rate)
    powers = np.mean(np.abs(h) ** 2, axis=1)
    assert powers == pytest.approx([0.5, 0.5], abs=0.08)
    correlation = abs(np.mean(h[0] * np.conj(h[1]))) / math.sqrt(powers[0] * powers[1])
    assert correlation < 0.1


def tone_levels_db(y: np.ndarray, freq: float) -> np.ndarray:
    """The level of one tone in y, second by second."""
    t = np.arange(len(y)) / SIM_RATE
    seconds = len(y) // SIM_RATE
    parts = (y * np.exp(-2j * np.pi * freq * t))[: seconds * SIM_RATE].reshape(seconds, -1)
    return np.asarray(20 * np.log10(np.maximum(np.abs(parts.mean(axis=1)), 1e-9)))


def test_two_path_fading_is_selective_and_flat_fading_is_not() -> None:
    # Two paths 1 ms apart: the channel is h1 + h2 exp(-j 2 pi f tau). A sideband 1 kHz
    # from the carrier sees h1 + h2, like the carrier (the receiver's AGC takes it out); one
    # at 1.5 kHz sees h1 - h2: the two tones fade independently of each other. One path
    # (flat fading) scales both alike, and the AGC takes it out.
    x = tone(1000.0, 40.0) + tone(1500.0, 40.0)
    flat = dataclasses.replace(SHORTWAVE, fading=Fading(0.5, 0.0, 1))

    def spread(model: ChannelModel) -> float:
        y = receive(x, SIM_RATE, model, Condition(None, fading=True), drive=0.4, seed=2)
        return float(np.std(tone_levels_db(y, 1000.0) - tone_levels_db(y, 1500.0)))

    assert spread(SHORTWAVE) > 3.0
    assert spread(flat) < 1.0


def test_same_seed_same_result_other_seed_other_noise() -> None:
    x = tone(700.0, 3.0) * np.sin(np.pi * np.arange(3 * SIM_RATE) / SIM_RATE) ** 2
    condition = Condition(5.0, fading=True)
    a = receive(x, SIM_RATE, SHORTWAVE, condition, drive=1.0, seed=11)
    b = receive(x, SIM_RATE, SHORTWAVE, condition, drive=1.0, seed=11)
    c = receive(x, SIM_RATE, SHORTWAVE, condition, drive=1.0, seed=12)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert len(a) == len(x)


def test_other_rates_come_out_at_the_simulation_rate() -> None:
    x = tone(500.0, 2.0, rate=48_000)
    y = receive(x, 48_000, MEDIUMWAVE, Condition(None), drive=0.5, seed=0)
    assert len(y) == 2 * SIM_RATE


def test_over_modulation_is_clipped_at_carrier_cut_off() -> None:
    # driven to 200 %, the envelope cannot go below zero: the negative half is cut off,
    # so the received tone is distorted (harmonics appear)
    x = tone(500.0, 3.0)
    y = receive(x, SIM_RATE, FLAT_RECEIVER, Condition(None), drive=2.0, seed=0)[SIM_RATE:-SIM_RATE]
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / SIM_RATE)
    fundamental = spectrum[np.argmin(np.abs(freqs - 500))]
    second = spectrum[np.argmin(np.abs(freqs - 1000))]
    assert 20 * np.log10(second / fundamental) > -30
