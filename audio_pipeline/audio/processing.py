"""Per-profile signal processing, as stateful block processors (numpy in, numpy out).

Each processor keeps its state between blocks, so processing a programme block by block gives
the same samples as processing it whole, whatever the block size. No files, no clocks.

- BandLimiter: the audio band of double-sideband HF broadcasting (ITU Radio Regulations
  Appendix 11): a first-order high-pass at 150 Hz (6 dB/octave below, as the Appendix asks)
  and a steep low-pass at 4.5 kHz, the upper audio limit.
- SpeechLeveller: gentle speech processing so quiet syllables survive AM and a noisy
  receiver: a slow leveller (at most +/-6 dB, frozen in pauses so noise is not pumped up),
  then a soft-knee 2:1 compressor with 5 ms attack and 150 ms release. Gentle by design: the
  speech keeps at least 20 dB of dynamic range (see speech_dynamic_range_db).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

LOWPASS_ORDER = 10  # Butterworth: -3 dB at the limit, about -30 dB half an octave above
FRAME_S = 0.0025  # the leveller's gain is computed every 2.5 ms and interpolated between
GATE_BELOW_REFERENCE_DB = 30.0  # frames this far under the speech level are pauses
LEVELLER_TIME_S = 0.8  # averaging time of the slow leveller
KNEE_DB = 6.0


class Processor(Protocol):
    def process(self, block: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class HoldsBack(Protocol):
    """A processor whose output lags its input (frames, look-ahead): `flush` returns the
    samples it still owes at the end of the stream."""

    def process(self, block: np.ndarray) -> np.ndarray: ...

    def flush(self) -> np.ndarray: ...


DENORMAL_GUARD = 1e-15  # about -300 dBFS of DC: keeps IIR states out of subnormal numbers


class BandLimiter:
    """Low-pass, then high-pass. In silence an IIR filter's state decays into subnormal
    floats, which the CPU handles some 30 times slower; a -300 dBFS DC offset at the input
    keeps the low-pass states normal, and the high-pass after it removes the offset."""

    def __init__(self, band: BandLimit, sample_rate: int) -> None:
        from scipy.signal import butter  # on demand: see dsp._scipy_on_demand

        sections = []
        if band.lowpass_hz:
            sections.append(
                butter(LOWPASS_ORDER, band.lowpass_hz, "lowpass", fs=sample_rate, output="sos")
            )
        if band.highpass_hz:
            sections.append(butter(1, band.highpass_hz, "highpass", fs=sample_rate, output="sos"))
        self.sos = np.vstack(sections) if sections else np.zeros((0, 6))
        self.state = np.zeros((len(self.sos), 2))  # filters start at rest, like the programme

    def process(self, block: np.ndarray) -> np.ndarray:
        if not len(self.sos) or not len(block):
            return block
        from scipy.signal import sosfilt

        y, self.state = sosfilt(self.sos, block.astype(np.float64) + DENORMAL_GUARD, zi=self.state)
        return np.asarray(y, dtype=np.float32)


def _one_pole(seconds: float, frame_s: float) -> float:
    """Smoothing coefficient of a one-pole filter with time constant `seconds`."""
    return math.exp(-frame_s / seconds) if seconds > 0 else 0.0


class SpeechLeveller:
    def __init__(self, settings: Levelling, reference_db: float, sample_rate: int) -> None:
        self.s = settings
        self.reference = reference_db  # the speech level the programme was normalized to
        self.frame = max(1, round(FRAME_S * sample_rate))
        self.gate = reference_db - GATE_BELOW_REFERENCE_DB
        self.leveller_coeff = _one_pole(LEVELLER_TIME_S, FRAME_S)
        self.attack = _one_pole(settings.attack_ms / 1000, FRAME_S)
        self.release = _one_pole(settings.release_ms / 1000, FRAME_S)
        self.level = reference_db  # smoothed speech level seen by the leveller (dB)
        self.reduction = 0.0  # compressor gain reduction (dB, <= 0)
        self.last_gain = 1.0  # gain at the centre of the previous frame
        self.pending = np.zeros(0, dtype=np.float32)

    def _frame_gain_db(self, level_db: float) -> float:
        s = self.s
        if level_db > self.gate:  # leveller follows speech only, holds through pauses
            c = self.leveller_coeff
            self.level = c * self.level + (1 - c) * level_db
        lev = max(-s.leveller_max_gain_db, min(s.leveller_max_gain_db, self.reference - self.level))
        over = level_db + lev - (self.reference + s.compressor_threshold_db)
        if over <= -KNEE_DB / 2:  # soft knee (Giannoulis, Massberg & Reiss 2012, eq. 4)
            target = 0.0
        elif over < KNEE_DB / 2:
            target = (1 / s.compressor_ratio - 1) * (over + KNEE_DB / 2) ** 2 / (2 * KNEE_DB)
        else:
            target = (1 / s.compressor_ratio - 1) * over
        coeff = self.attack if target < self.reduction else self.release
        self.reduction = coeff * self.reduction + (1 - coeff) * target
        return lev + self.reduction

    def process(self, block: np.ndarray) -> np.ndarray:
        data = np.concatenate([self.pending, block.astype(np.float32)])
        n_frames = len(data) // self.frame
        used = n_frames * self.frame
        self.pending = data[used:]
        if n_frames == 0:
            return np.zeros(0, dtype=np.float32)
        frames = data[:used].reshape(n_frames, self.frame)
        power = (frames.astype(np.float64) ** 2).mean(axis=1)
        levels = 10 * np.log10(np.maximum(power, 1e-12))
        gains = np.array([10 ** (self._frame_gain_db(v) / 20) for v in levels.tolist()])
        # interpolate linearly from the previous frame's gain to this frame's, sample by sample
        ramp = (np.arange(1, self.frame + 1) / self.frame)[None, :]
        starts = np.concatenate([[self.last_gain], gains[:-1]])[:, None]
        curve = starts + (gains[:, None] - starts) * ramp
        self.last_gain = float(gains[-1])
        return np.asarray((frames * curve).reshape(-1), dtype=np.float32)

    def flush(self) -> np.ndarray:
        """The samples still held back (less than one frame), at the last gain."""
        tail = (self.pending * self.last_gain).astype(np.float32)
        self.pending = np.zeros(0, dtype=np.float32)
        return tail


class Chain:
    """Processors in order. Output lags input (a leveller's frame, a limiter's look-ahead);
    `flush` at the end returns the rest, so the total length is preserved exactly: each
    processor's owed samples go through the processors after it, then those flush too."""

    def __init__(self, processors: Sequence[Processor]) -> None:
        self.processors = list(processors)

    def process(self, block: np.ndarray) -> np.ndarray:
        for p in self.processors:
            block = p.process(block)
        return block

    def flush(self) -> np.ndarray:
        tail = np.zeros(0, dtype=np.float32)
        for p in self.processors:
            if tail.size:
                tail = p.process(tail)
            if isinstance(p, HoldsBack):
                tail = np.concatenate([tail, p.flush()])
        return tail


def build_chain(
    band: BandLimit | None, levelling: Levelling | None, reference_db: float, sample_rate: int
) -> Chain:
    processors: list[Processor] = []
    if band is not None:
        processors.append(BandLimiter(band, sample_rate))
    if levelling is not None:
        processors.append(SpeechLeveller(levelling, reference_db, sample_rate))
    return Chain(processors)


def speech_dynamic_range_db(x: np.ndarray, sample_rate: int, frame_s: float = 0.05) -> float:
    """Level spread of speech: 95th minus 5th percentile of 50 ms RMS levels, over frames
    above -60 dBFS (pauses left out). Natural read speech spreads 25-35 dB."""
    hop = max(1, round(frame_s * sample_rate))
    n = len(x) // hop
    if n == 0:
        return 0.0
    rms = np.sqrt((x[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1))
    levels = 20 * np.log10(np.maximum(rms, 1e-12))
    active = levels[levels > -60.0]
    if active.size < 10:
        return 0.0
    return float(np.percentile(active, 95) - np.percentile(active, 5))


@dataclass(frozen=True)
class BandLimit:
    """ITU RR Appendix 11 style audio band: first-order high-pass, steep low-pass."""

    highpass_hz: float | None = None
    lowpass_hz: float | None = None


@dataclass(frozen=True)
class Levelling:
    """Gentle speech levelling: a slow leveller, then a soft-knee compressor."""

    leveller_max_gain_db: float = 6.0
    compressor_ratio: float = 2.0
    compressor_threshold_db: float = -6.0  # relative to the speech level
    attack_ms: float = 5.0
    release_ms: float = 150.0
