"""What the true-peak limiter will take from the loudness of a whole programme, predicted from
statistics pass 1 gathers anyway, so a file's first encode lands on its target.

The limiter (dsp.limiter_gain, streamed by streams.StreamLimiter) lowers the gain around
every peak above its ceiling, and the integrated loudness drops with it: speech normalized to
-23 LUFS and raised to a podcast's -16 loses about 1 LU under a -1 dBTP ceiling. The level fix
that makes this up drives the limiter harder, which takes more again, so the fix is solved
for (the level at which the limited programme reads its target), not measured once. And the
loss depends on where the programme's peaks are: a 20 s excerpt of one message asked for
+1.41 dB where the 32-minute programme needed +1.21, so it is solved on the whole programme.

Per 2.5 ms frame (the limiter's look-ahead) the sample peak and the energy of the processed
speech; per 100 ms hop its K-weighted energy (libebur128, BS.1770). For a gain, each frame
gets the limiter's gain on the frame grid (the minimum need over the hold and look-ahead,
smoothed over the ramps), each hop's K-weighted energy is scaled by the energy-weighted mean
square of its frames' gains, and BS.1770's gating over those hops gives the limited
loudness. On the benchmark's programme and the sample partner episode this is within
0.02 LU of limiting the whole programme for real. The file is still measured as delivered;
a miss is still made again (delivery.plan.judge).
"""

from __future__ import annotations

import math

import numpy as np

from audio_pipeline.audio import dsp
from audio_pipeline.audio.bs1770 import integrated
from audio_pipeline.core import defaults

SR = defaults.SAMPLE_RATE
FRAME = round(0.0025 * SR)  # the limiter's look-ahead (dsp.limiter_gain), one frame
HOP = round(0.1 * SR)  # libebur128's hop (the gating blocks step by 100 ms)
FRAMES_PER_HOP = HOP // FRAME
# dsp.limiter_gain's windows on the frame grid: look-ahead one frame, hold 50 ms (made odd
# around the centre as there), ramps over the look-ahead either side
LOOKAHEAD_FRAMES = 1
HOLD_FRAMES = round(0.05 * SR) // FRAME + (round(0.05 * SR) // FRAME + LOOKAHEAD_FRAMES) % 2
MAX_FIX_DB = 12.0  # past this the limiter is a brick wall: the judge will say so
SOLVED_LU = 0.002  # close enough: the file's tolerance is 0.15 LU


class LevelStats:
    """Pass 1's statistics of one profile's speech: frame peaks and energies (hop energies
    are the pass's own loudness meter's, given to `model`)."""

    def __init__(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)
        self._peaks: list[np.ndarray] = []
        self._energies: list[np.ndarray] = []

    def add(self, block: np.ndarray) -> None:
        data = np.concatenate([self._pending, block]) if len(self._pending) else block
        whole = len(data) - len(data) % FRAME
        frames = data[:whole].reshape(-1, FRAME)
        self._peaks.append(np.abs(frames).max(axis=1, initial=0.0))
        self._energies.append(np.einsum("ij,ij->i", frames, frames))
        self._pending = np.array(data[whole:], dtype=np.float32)

    def model(self, hop_energies: np.ndarray) -> LimiterModel:
        if len(self._pending):  # the last frame, as if silence followed
            self.add(np.zeros(FRAME - len(self._pending), dtype=np.float32))
        peaks = np.concatenate(self._peaks) if self._peaks else np.zeros(0, np.float32)
        energies = np.concatenate(self._energies) if self._energies else np.zeros(0, np.float32)
        self._peaks, self._energies = [], []
        return LimiterModel(hop_energies, peaks, energies)


class LimiterModel:
    """The limited loudness of a whole programme at any gain and ceiling (see the module)."""

    def __init__(self, hop_energies: np.ndarray, peaks: np.ndarray, energies: np.ndarray):
        hops = min(len(hop_energies), len(peaks) // FRAMES_PER_HOP)
        self.hop_energies = np.asarray(hop_energies[:hops], dtype=np.float64)
        self.peaks = peaks.astype(np.float64)
        span = hops * FRAMES_PER_HOP
        weights = energies[:span].astype(np.float64).reshape(hops, FRAMES_PER_HOP)
        totals = weights.sum(axis=1, keepdims=True)
        # within a hop, each frame's share of its energy (a silent hop: shares equal)
        self.shares = np.where(totals > 0, weights / np.where(totals > 0, totals, 1.0), 0.0)
        self.shares[totals[:, 0] <= 0] = 1.0 / FRAMES_PER_HOP
        self.speech_lufs = integrated(self.hop_energies)

    def trimmed(self, gains: np.ndarray) -> LimiterModel:
        """The model of the programme with each frame scaled by `gains` (linear, one per
        frame: the profile's per-segment trims, which pass 1 does not apply)."""
        gains = np.asarray(gains, dtype=np.float64)[: len(self.peaks)]
        hops = len(self.hop_energies)
        squared = gains[: hops * FRAMES_PER_HOP].reshape(hops, FRAMES_PER_HOP) ** 2
        model = LimiterModel.__new__(LimiterModel)
        model.peaks = self.peaks * gains
        weighted = self.shares * squared
        scale = weighted.sum(axis=1)
        model.hop_energies = self.hop_energies * scale
        model.shares = np.where(
            scale[:, None] > 0, weighted / np.where(scale > 0, scale, 1.0)[:, None], self.shares
        )
        model.speech_lufs = integrated(model.hop_energies)
        return model

    def limited_lufs(self, gain_db: float, ceiling_dbtp: float) -> float:
        """Integrated loudness of the programme at `gain_db`, limited under the ceiling."""
        gain = dsp.db_to_gain(gain_db)
        need = np.minimum(1.0, dsp.db_to_gain(ceiling_dbtp) / np.maximum(gain * self.peaks, 1e-12))
        if float(need.min()) >= 1.0:
            return self.speech_lufs + gain_db
        from scipy.ndimage import minimum_filter1d, uniform_filter1d  # as dsp does

        # dsp.limiter_gain on the frame grid: the minimum over [f - hold, f + look-ahead],
        # then a moving average over the ramps
        size = HOLD_FRAMES + LOOKAHEAD_FRAMES + 1
        shift = (HOLD_FRAMES - LOOKAHEAD_FRAMES) // 2
        centred = minimum_filter1d(need, size=size, mode="nearest")
        held = np.concatenate([np.full(shift, centred[0]), centred[: len(centred) - shift]])
        frame_gain = uniform_filter1d(held, size=2 * LOOKAHEAD_FRAMES + 1, mode="nearest")
        hops = len(self.hop_energies)
        squared = frame_gain[: hops * FRAMES_PER_HOP].reshape(hops, FRAMES_PER_HOP) ** 2
        kept = (self.shares * squared).sum(axis=1)
        return integrated(self.hop_energies * kept) + gain_db

    def level_fix(self, gain_db: float, ceiling_dbtp: float) -> float:
        """The dB to add to `gain_db` so the limited programme reads as loud as the unlimited
        one at `gain_db` (0 where nothing reaches the ceiling)."""
        if not math.isfinite(self.speech_lufs):
            return 0.0
        target = self.speech_lufs + gain_db

        def short(fix: float) -> float:
            return target - self.limited_lufs(gain_db + fix, ceiling_dbtp)

        x0, f0 = 0.0, short(0.0)
        if f0 <= SOLVED_LU:
            return 0.0
        x1 = min(MAX_FIX_DB, f0)  # the loss at the unfixed level: a first step, short
        f1 = short(x1)
        for _ in range(12):  # secant: the loss grows smoothly with the level
            if abs(f1) <= SOLVED_LU or f1 == f0:
                break
            x0, f0, x1 = x1, f1, min(MAX_FIX_DB, max(0.0, x1 - f1 * (x1 - x0) / (f1 - f0)))
            f1 = short(x1)
        return x1
