"""Peaks a lossy codec brings back, taken out where they are.

MP3 and MP2 add quantization noise, and on dense programme (AM processing fills the headroom
up to the ceiling) that noise lifts the decoded true peak 0.5-2 dB over the limiter's
ceiling, at places the limiter did not touch: lowering the whole ceiling then barely moves
the decoded peak, and loudness goes with it. Instead, each file that decodes over its
ceiling is read for where it does, and the next encode of it takes just those places down
by what they went over (plus a margin), with 5 ms ramps, after the limiter: the rest of the
file is left as it was. Made again, the codec's noise at those places shrinks with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp, ffmpeg
from audio_pipeline.core import defaults
from audio_pipeline.inputs.profiles import OutputFormat

SR = defaults.SAMPLE_RATE
MARGIN_DB = 0.3  # under the ceiling: the codec's noise differs the next time
RAMP_S = 0.005
JOIN_S = 0.02  # overshoots closer than this are one place
CONTEXT = 16  # samples of a block's neighbours the true-peak interpolator reaches


@dataclass(frozen=True)
class PeakFix:
    """Gain dips (start, end, dB < 0) in programme samples; where they overlap, they add."""

    dips: tuple[tuple[int, int, float], ...] = ()

    def merged(self, other: PeakFix) -> PeakFix:
        return PeakFix(tuple(sorted(self.dips + other.dips)))

    def curve(self, start: int, stop: int) -> np.ndarray | None:
        """The gain over [start, stop), or None where no dip reaches."""
        ramp = round(RAMP_S * SR)
        near = [d for d in self.dips if d[0] - ramp < stop and d[1] + ramp > start]
        if not near:
            return None
        t = np.arange(start, stop, dtype=np.float64)
        db = np.zeros(stop - start)
        for s, e, gain in near:
            # 1 inside [s, e), falling linearly to 0 over `ramp` either side
            shape = np.clip(np.minimum(t - (s - ramp), (e - 1 + ramp) - t) / ramp, 0.0, 1.0)
            db += gain * shape
        return np.asarray(10 ** (db / 20))


def find_overshoots(path: Path, fmt: OutputFormat, delay: int, ceiling_dbtp: float) -> PeakFix:
    """Where the decoded file's true peak (BS.1770-4 Annex 2, at the file's rate) comes
    within MARGIN_DB of `ceiling_dbtp` or over it, as dips in programme samples (the codec's
    `delay` at the file's rate taken out) deep enough to bring each place MARGIN_DB under
    the ceiling: places just under it would go over with the next encode's noise."""
    ceiling = dsp.db_to_gain(ceiling_dbtp - MARGIN_DB)
    rate = fmt.sample_rate
    over: list[tuple[int, float]] = []  # (sample at the file's rate, envelope)
    tail = np.zeros(CONTEXT, dtype=np.float32)
    position = -CONTEXT  # file sample of the first value of [tail | block]
    for block in ffmpeg.decode_stream(path, label=path.name, sample_rate=rate):
        data = np.concatenate([tail, block])
        env = dsp.true_peak_envelope(data, ceiling)
        # the first and last CONTEXT/2 samples lack a neighbour on one side: read them with
        # the next block (or, at the very start and end, without one)
        lo = CONTEXT // 2 if position >= 0 else 0
        hi = len(data) - CONTEXT // 2
        idx = np.flatnonzero(env[lo:hi] > ceiling) + lo
        over += [(position + int(i), float(env[i])) for i in idx]
        position += len(data) - CONTEXT
        tail = data[-CONTEXT:]
    env = dsp.true_peak_envelope(tail, ceiling)
    over += [
        (position + int(i), float(env[i])) for i in range(CONTEXT // 2, CONTEXT) if env[i] > ceiling
    ]
    return PeakFix(_dips(over, rate, delay, ceiling_dbtp - MARGIN_DB))


def _dips(
    over: list[tuple[int, float]], rate: int, delay: int, limit_dbtp: float
) -> tuple[tuple[int, int, float], ...]:
    join = round(JOIN_S * rate)
    dips: list[tuple[int, int, float]] = []
    run: list[tuple[int, float]] = []
    for item in [*sorted(over), None]:
        if run and (item is None or item[0] - run[-1][0] > join):
            peak_db = 20 * np.log10(max(v for _, v in run))
            start = round((run[0][0] - delay) * SR / rate)
            end = round((run[-1][0] + 1 - delay) * SR / rate)
            dips.append((max(0, start), max(1, end), -(peak_db - limit_dbtp)))
            run = []
        if item is not None:
            run.append(item)
    return tuple(dips)
