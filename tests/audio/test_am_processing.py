"""AM processing: static curves worked out by hand, the limiter's ceiling by ffmpeg's
true-peak meter, the spectrum above the band by FFT, and block-size independence."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.audio.am_processing import PRESETS, am_chain, band_edges
from audio_pipeline.audio.dynamics import GatedAGC, MultibandCompressor
from audio_pipeline.audio.peaklimit import BandLimitedLimiter
from audio_pipeline.audio.processing import BandLimit, Chain
from tests.audio.test_processing import speechlike
from tests.conftest import SR, ffmpeg_ebur128, sine

BAND = BandLimit(150, 4500)


def run(processor: object, x: np.ndarray, block: int | None = None) -> np.ndarray:
    chain = Chain([processor])  # type: ignore[list-item]
    size = block or len(x)
    parts = [chain.process(x[i : i + size]) for i in range(0, len(x), size)]
    return np.concatenate([*parts, chain.flush()])


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2)))


def one_band(threshold_db: float, ratio: float) -> MultibandCompressor:
    """The compressor with a single band that passes everything (a unit kernel)."""
    return MultibandCompressor(
        np.ones((1, 1)), 0, [1000.0], [threshold_db], ratio, [0.005], [50.0], SR
    )


@pytest.mark.parametrize(
    ("level_db", "expected_gain_db"),
    [
        (-40.0, 0.0),  # under the knee: untouched
        (-30.0, -0.75 * 3**2 / 12),  # on the threshold: the knee's quadratic, (1-1/R)(3)^2/(2*6)
        (-18.0, -0.75 * 12),  # 12 dB over a 4:1 threshold: 9 dB of reduction
        (-6.0, -0.75 * 24),
    ],
)
def test_compressor_static_curve(level_db: float, expected_gain_db: float) -> None:
    # a steady tone's RMS level in dBFS; threshold -30 dBFS, 4:1, 6 dB soft knee
    x = sine(1000, 3.0, level_db + 3.0103)  # peak = RMS + 3.01 dB
    y = run(one_band(-30.0, 4.0), x)
    steady = slice(SR, 2 * SR)
    assert rms_db(y[steady]) - rms_db(x[steady]) == pytest.approx(expected_gain_db, abs=0.15)


def test_agc_brings_a_quiet_speaker_up_within_its_range_and_holds_in_pauses() -> None:
    # target -19 dBFS, range 10 dB; a speaker 6 dB quiet is lifted 6 dB, one 20 dB quiet
    # only the 10 dB the range allows; a pause (under the gate) does not pump the gain up
    def agc() -> GatedAGC:
        return GatedAGC(-19.0, 10.0, 0.2, 5.0, 24.0, SR)

    for quiet, lift in ((6.0, 6.0), (20.0, 10.0)):
        x = sine(500, 8.0, -19.0 - quiet + 3.0103)
        y = run(agc(), x)
        assert rms_db(y[6 * SR :]) - rms_db(x[6 * SR :]) == pytest.approx(lift, abs=0.5), quiet
    speech = sine(500, 4.0, -19.0 + 3.0103 + 4.0)  # loud: the gain goes down 4 dB
    pause = sine(500, 4.0, -19.0 - 30.0 + 3.0103)  # under the 24 dB gate
    x = np.concatenate([speech, pause])
    y = run(agc(), x)
    gain_speech = rms_db(y[3 * SR : 4 * SR]) - rms_db(x[3 * SR : 4 * SR])
    gain_pause_end = rms_db(y[7 * SR :]) - rms_db(x[7 * SR :])
    assert gain_speech == pytest.approx(-4.0, abs=0.5)
    assert gain_pause_end == pytest.approx(gain_speech, abs=0.5)  # held through the pause


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
