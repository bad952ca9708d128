"""Dynamics processors for AM broadcasting: a gated slow AGC and a multiband compressor.

Both work on 1 ms frames: a level per frame, a gain per frame from a static curve and its
attack and release, and the gain interpolated linearly across each frame's samples. The
per-frame recursions are vectorised (see GainSmoother), and every processor works on fixed
chunks of the stream aligned to its start (Chunked), so the output is the same, bit for bit,
whatever blocks it is fed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from audio_pipeline.audio.chunked import Chunked
from audio_pipeline.audio.filters import FIRBank

FRAME_S = 0.001
CHUNK_FRAMES = 256  # 256 ms at a time: few numpy calls per second of programme
KNEE_DB = 6.0
FLOOR_POWER = 1e-12  # -120 dBFS: the level of digital silence


def one_pole(seconds: float, step_s: float) -> float:
    """Coefficient of a one-pole smoother with time constant `seconds`, updated every step."""
    return math.exp(-step_s / seconds) if seconds > 0 else 0.0


def frame_power(x: np.ndarray, frame: int) -> np.ndarray:
    """Mean square of each whole frame along the last axis."""
    shape = (*x.shape[:-1], x.shape[-1] // frame, frame)
    return np.asarray((x.reshape(shape) ** 2).mean(axis=-1))


def soft_knee_reduction(level_db: np.ndarray, threshold_db: float, ratio: float) -> np.ndarray:
    """Gain reduction (dB, >= 0) of a compressor's static curve with a 6 dB soft knee
    (Giannoulis, Massberg & Reiss, JAES 60(6), 2012, eq. 4)."""
    over = level_db - threshold_db
    slope = 1.0 - 1.0 / ratio
    knee = slope * (over + KNEE_DB / 2) ** 2 / (2 * KNEE_DB)
    return np.where(
        over <= -KNEE_DB / 2, 0.0, np.where(over < KNEE_DB / 2, knee, slope * over)
    ).astype(np.float64)


class GainSmoother:
    """Attack and release of a gain reduction, over frames, without a Python loop.

    Release: the reduction falls at `release_db_s` dB per second (as broadcast processors
    specify it) unless a frame demands more: r[k] = max(d[k], r[k-1] - rate[k]). Unrolled,
    r[k] = max(r[-1] - c[k], max_{j<=k}(d[j] + c[j]) - c[k]) with c the running sum of the
    rates: a cumulative maximum. A frame with rate 0 holds the reduction (the AGC's gate).
    Attack: a one-pole smoother of time constant `attack_s` on the result.
    """

    def __init__(self, attack_s: float, release_db_s: float, initial_db: float = 0.0) -> None:
        self.attack = one_pole(attack_s, FRAME_S)
        self.release = release_db_s * FRAME_S  # dB per frame
        self.held = initial_db
        self.smoothed = initial_db

    def run(self, demand_db: np.ndarray, hold: np.ndarray | None = None) -> np.ndarray:
        from scipy.signal import lfilter

        rates = np.full(len(demand_db), self.release)
        if hold is not None:
            rates[hold] = 0.0
        c = np.cumsum(rates)
        held = np.maximum(np.maximum.accumulate(demand_db + c) - c, self.held - c)
        self.held = float(held[-1])
        a = self.attack
        smoothed = lfilter([1 - a], [1, -a], held, zi=[a * self.smoothed])[0]
        self.smoothed = float(smoothed[-1])
        return np.asarray(smoothed)


def gain_curve(gains_db: np.ndarray, last: np.ndarray, frame: int) -> np.ndarray:
    """Per-sample linear gains from per-frame gains (dB), shape (..., frames): each frame
    ramps from the previous frame's gain (`last`, linear) to its own."""
    linear = 10 ** (gains_db / 20)
    starts = np.concatenate([last[..., None], linear[..., :-1]], axis=-1)
    ramp = np.arange(1, frame + 1) / frame
    curve = starts[..., None] + (linear - starts)[..., None] * ramp
    return np.asarray(curve.reshape(*gains_db.shape[:-1], -1))


class GatedAGC(Chunked):
    """A slow wideband AGC that rides the speech level between speakers and clips.

    It follows the level of the loud syllables (RMS over DETECT_S, peak-held), pulling it to
    `target_db` within +/- `range_db`: down with time constant `attack_s`, back up at
    `release_db_s`. Frames more than `gate_db` under the target (RMS over GATE_S, quicker,
    so the gate closes as soon as a phrase ends) are pauses: the gain holds there, so
    breaths and noise between phrases are not pumped up.
    """

    DETECT_S = 0.05
    GATE_S = 0.01

    def __init__(
        self,
        target_db: float,
        range_db: float,
        attack_s: float,
        release_db_s: float,
        gate_db: float,
        rate: int,
    ) -> None:
        self.frame = max(1, round(FRAME_S * rate))
        super().__init__(self.frame * CHUNK_FRAMES)
        self.target = target_db
        self.range = range_db
        self.gate = target_db - gate_db
        self.detect = one_pole(self.DETECT_S, FRAME_S)
        self.gate_detect = one_pole(self.GATE_S, FRAME_S)
        self.power = 10 ** (target_db / 10)
        self.gate_power = self.power
        self.smoother = GainSmoother(attack_s, release_db_s, initial_db=range_db)
        self.last = np.asarray(1.0)

    def _process_chunk(self, x: np.ndarray) -> np.ndarray:
        from scipy.signal import lfilter

        frames = frame_power(x, self.frame)
        d, g = self.detect, self.gate_detect
        power = lfilter([1 - d], [1, -d], frames, zi=[d * self.power])[0]
        quick = lfilter([1 - g], [1, -g], frames, zi=[g * self.gate_power])[0]
        self.power, self.gate_power = float(power[-1]), float(quick[-1])
        level = 10 * np.log10(np.maximum(power, FLOOR_POWER))
        gated = quick < 10 ** (self.gate / 10)
        # reduction from the largest lift: 0 lifts by range_db, 2 x range_db cuts by it
        demand = np.clip(level - self.target + self.range, 0.0, 2 * self.range)
        demand[gated] = -np.inf
        gains = self.range - self.smoother.run(demand, hold=gated)
        curve = gain_curve(gains, self.last, self.frame)
        self.last = np.asarray(curve[-1])
        return np.asarray(x * curve)


class MultibandCompressor(Chunked):
    """Bands split by a bank of FIR kernels (filters.shaped_band_kernels: linear-phase,
    summing back to the band-limited input), each with its own compressor (soft-knee static
    curve, threshold, attack and release), summed again.

    Each band's level is an RMS with a time constant of a few periods of its lowest
    frequency (so a low band does not read its own waveform as level changes)."""

    def __init__(
        self,
        kernels: np.ndarray,
        delay: int,
        lower_edges_hz: Sequence[float],
        thresholds_db: Sequence[float],
        ratio: float,
        attacks_s: Sequence[float],
        releases_db_s: Sequence[float],
        rate: int,
    ) -> None:
        self.frame = max(1, round(FRAME_S * rate))
        self.crossover = FIRBank(kernels)
        super().__init__(self.frame * CHUNK_FRAMES, latency=delay)
        self.detect = [one_pole(min(0.02, 2.5 / f), FRAME_S) for f in lower_edges_hz]
        self.thresholds = list(thresholds_db)
        self.ratio = ratio
        self.smoothers = [GainSmoother(a, r) for a, r in zip(attacks_s, releases_db_s, strict=True)]
        self.power = [10 ** (t / 10) / 100 for t in self.thresholds]
        self.last = np.ones(len(self.smoothers))

    def _process_chunk(self, x: np.ndarray) -> np.ndarray:
        from scipy.signal import lfilter

        bands = self.crossover.apply(x)
        powers = frame_power(bands, self.frame)
        gains = np.empty_like(powers)
        for b, smoother in enumerate(self.smoothers):
            d = self.detect[b]
            p = lfilter([1 - d], [1, -d], powers[b], zi=[d * self.power[b]])[0]
            self.power[b] = float(p[-1])
            level = 10 * np.log10(np.maximum(p, FLOOR_POWER))
            gains[b] = -smoother.run(soft_knee_reduction(level, self.thresholds[b], self.ratio))
        curves = gain_curve(gains, self.last, self.frame)
        self.last = curves[:, -1]
        return np.asarray((bands * curves).sum(axis=0))
