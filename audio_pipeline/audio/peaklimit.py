"""The last stage of AM processing: a look-ahead peak limiter that ends in the band limit.

An AM transmitter is driven by its peaks: whatever the limiter lets through above the ceiling
over-modulates, and whatever headroom it leaves is lost loudness at the receiver. The peaks
that count are those of the band-limited signal the transmitter radiates, so the gain is
computed from the signal after the 4.5 kHz low-pass (ITU RR Appendix 11) and applied before
that same low-pass: the filter comes last, and nothing this stage does (the gain's own
sidebands included) can put energy above the band. The gain is smooth, so filtering it
changes the peaks little (a small overshoot remains, which the master's true-peak limiter
takes after the profile's gain).

The gain per sample: g <= ceiling / |peak| wherever needed, from a minimum over [n - hold,
n + look-ahead] (held), a release at a fixed rate in dB per second, and a moving average over
+/- look-ahead: every value averaged for sample n is at most what n needs, so g[n] never lets
n over the ceiling (the construction of dsp.limiter_gain, with a slower release).
"""

from __future__ import annotations

import numpy as np

from audio_pipeline.audio.chunked import Chunked
from audio_pipeline.audio.filters import IIRFilter, butter_sos
from audio_pipeline.audio.processing import LOWPASS_ORDER

LOOKAHEAD_S = 0.001  # the gain's ramps: 2 ms from the moving average over +/- 1 ms
HOLD_S = 0.001
RELEASE_DB_S = 2000.0
FILTER_SPAN_S = 0.001  # most of the low-pass's impulse response: the samples a gain reaches
CHUNK = 8192


class BandLimitedLimiter(Chunked):
    """Peak limiter whose last stage is the band limit (see the module notes). The gain on
    input sample m reaches the band-limited output over the low-pass's impulse response, so
    it is held to what output samples m .. m + FILTER_SPAN_S need."""

    def __init__(
        self,
        ceiling: float,
        lowpass_hz: float,
        rate: int,
        *,
        drive_db: float = 0.0,
        release_db_s: float = RELEASE_DB_S,
        lookahead_s: float = LOOKAHEAD_S,
        hold_s: float = HOLD_S,
    ) -> None:
        self.la = max(1, round(lookahead_s * rate))
        self.ahead = self.la + round(FILTER_SPAN_S * rate)
        hold = max(self.la, round(hold_s * rate))
        self.size = hold + self.ahead + 1 + (hold + self.ahead) % 2  # odd, covers the window
        # + 1: a sample's peak is read between its neighbours (see peak_envelope)
        super().__init__(CHUNK, latency=self.ahead + self.la + 1)
        self.ceiling = ceiling
        self.drive = 10 ** (drive_db / 20)
        self.release = release_db_s / rate  # dB per sample
        sos = butter_sos(LOWPASS_ORDER, lowpass_hz, "lowpass", rate)
        self.detector = IIRFilter(sos)  # the band-limited signal, to read its peaks
        self.output = IIRFilter(sos)  # the same band limit, last
        self.need_history = np.ones(self.size - 1)
        self.gain_history = np.ones(2 * self.la)
        self.input_history = np.zeros(self.ahead + self.la + 1)
        self.band_history = np.zeros(2)
        self.held_db = 0.0

    def _process_chunk(self, x: np.ndarray) -> np.ndarray:
        from scipy.ndimage import minimum_filter1d, uniform_filter1d

        c, la = len(x), self.la
        driven = x * self.drive
        band = np.concatenate([self.band_history, self.detector.filter(driven)])
        self.band_history = band[-2:]
        peak = peak_envelope(band)  # samples [s - 1, s + c - 1)
        need = np.minimum(1.0, self.ceiling / np.maximum(peak, 1e-12))
        # one sample behind the chunk's samples [s, s + c) from here on: held is the least
        # need over [j - hold, j + ahead], for j in [s - 1 - ahead, s + c - 1 - ahead)
        span = np.concatenate([self.need_history, need])
        self.need_history = span[c:]
        held = minimum_filter1d(span, self.size)[self.size // 2 : self.size // 2 + c]
        demand = -20 * np.log10(held)
        ramp = self.release * np.arange(1, c + 1)
        released = np.maximum(np.maximum.accumulate(demand + ramp) - ramp, self.held_db - ramp)
        self.held_db = float(released[-1])
        gains = np.concatenate([self.gain_history, 10 ** (-released / 20)])
        self.gain_history = gains[c:]
        # the mean over [m - la, m + la], for m in [s - 1 - ahead - la, s + c - 1 - ahead - la)
        smooth = uniform_filter1d(gains, 2 * la + 1)[la : la + c]
        delayed = np.concatenate([self.input_history, driven])
        self.input_history = delayed[c:]
        return self.output.filter(delayed[:c] * np.minimum(smooth, 1.0))


def peak_envelope(y: np.ndarray) -> np.ndarray:
    """For y[1:-1]: each sample's magnitude, or the peak between it and its neighbours where
    the waveform turns there (the vertex of the parabola through three samples). At 48 kHz a
    4.5 kHz band-limited signal peaks up to 0.4 dB between samples; the parabola finds that
    peak to a few hundredths of a dB, as a true-peak meter (BS.1770 Annex 2) reads it."""
    a, b, c = y[:-2], y[1:-1], y[2:]
    curve = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = 0.5 * (a - c) / curve
        vertex = b - 0.25 * (a - c) * offset
    turning = (curve != 0) & (np.abs(offset) <= 0.5)
    return np.asarray(np.maximum(np.abs(b), np.where(turning, np.abs(vertex), 0.0)))
