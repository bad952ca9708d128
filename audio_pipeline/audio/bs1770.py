"""ITU-R BS.1770-4 loudness from the K-weighted energy of a stream, and EBU Tech 3342's
loudness range, as libebur128 computes them (its filter coefficients, block schedule, gates
and percentiles), so the figures are libebur128's to about 1e-9 LU (tests hold pyebur128
and ffmpeg's ebur128 to them).

Why not libebur128 itself: it K-weights every stream it is given, and a file was measured
whole and then message by message (and again per review clip), each span a second pass of
the filter over the same samples, plus four sums per sample for the overlapping gating
blocks and three for the short-term ones. Here the stream is filtered once (scipy's sosfilt,
which releases the GIL) and its energy summed once per 100 ms hop, on the grid of the whole
stream and on the grid of every span; gating blocks (4 hops) and short-term blocks (30)
are sums of hops. A hop is summed when its last sample has come, so the figures do not
depend on the stream's block sizes. A span gets the filter's own start from silence
(BS.1770 measures a signal on its own): its first 200 ms are filtered again from rest,
after which the two filters agree to 1e-20 (the slowest pole, the 38 Hz high-pass, decays
by e^-48 in that time).
"""

from __future__ import annotations

import math

import numpy as np

ABS_GATE_LUFS = -70.0  # BS.1770-4 eq. 4: blocks under -70 LUFS are left out
RELATIVE_GATE_LU = -10.0  # BS.1770-4 eq. 5-6
LRA_RELATIVE_GATE_LU = -20.0  # EBU Tech 3342
LRA_LOW, LRA_HIGH = 0.10, 0.95  # Tech 3342 percentiles
BLOCK_HOPS = 4  # a 400 ms gating block is four 100 ms hops (75 % overlap)
SHORT_TERM_HOPS = 30  # 3 s
SHORT_TERM_STEP_HOPS = 10  # libebur128 keeps a short-term block for the LRA every second
SETTLE_S = 0.2  # a span's own filter runs from rest over this much of its start

ABS_GATE_ENERGY = 10 ** ((ABS_GATE_LUFS + 0.691) / 10)


def hop_frames(sample_rate: int) -> int:
    """100 ms in samples, as libebur128 rounds it."""
    return (sample_rate + 5) // 10


def k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770-4's K-weighting (the pre-filter shelf, then the RLB high-pass) as two
    second-order sections, designed for `sample_rate` as libebur128 designs them (bilinear
    transform of the analog prototypes, ebur128_init_filter)."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 channel weights in libebur128's default channel order (L, R, C, LFE, Ls, Rs;
    four channels are L, R, Ls, Rs): 1.0, the surrounds 1.41, the LFE left out."""
    if channels == 4:
        return np.array([1.0, 1.0, 1.41, 1.41])
    order = [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
    return np.array([order[c] if c < len(order) else 0.0 for c in range(channels)])


class KFilter:
    """The K-weighting of one stream, block by block, as per-sample weighted energy."""

    def __init__(self, sample_rate: int, channels: int = 1) -> None:
        self.sos = k_weighting(sample_rate)
        self.weights = channel_weights(channels)
        self.channels = channels
        self.state = np.zeros((2, 2, channels))

    def energy(self, frames: np.ndarray) -> np.ndarray:
        """The K-weighted energy of each frame (n, channels) of the stream (float64)."""
        from scipy.signal import sosfilt  # on demand, as dsp imports scipy

        y, self.state = sosfilt(self.sos, frames, axis=0, zi=self.state)
        if self.channels == 1:
            return np.asarray(y[:, 0] * y[:, 0])
        return np.asarray((y * y) @ self.weights)


class Track:
    """The 100 ms hops of one span of a stream (from its start; an open span has no end),
    each the sum of its samples' K-weighted energy, summed once its last sample has come:
    the same figures whatever the stream's block sizes. A span that starts inside the
    stream gets a filter of its own from rest over its first `settle_frames` (see the
    module); a span shorter than a gating block keeps its samples' energy for its window."""

    def __init__(
        self,
        start: int,
        end: int | None,
        hop: int,
        settle: KFilter | None = None,
        settle_frames: int = 0,
    ) -> None:
        self.start, self.end, self.hop = start, end, hop
        self.position = start  # the next sample of the span to come
        self._pending: list[np.ndarray] = []  # energy of the hop not yet complete
        self._hops: list[np.ndarray] = []  # mean energy of each complete hop
        self._filter = settle
        self._settled_at = start + settle_frames if settle is not None else start
        short = end is not None and end - start < BLOCK_HOPS * hop
        self._short: list[np.ndarray] | None = [] if short else None

    @property
    def done(self) -> bool:
        return self.end is not None and self.position >= self.end

    def take(self, position: int, frames: np.ndarray, energy: np.ndarray) -> None:
        """The stream's block at `position`: its frames and their K-weighted energy."""
        lo = max(self.position, position)
        hi = position + len(energy) if self.end is None else min(self.end, position + len(energy))
        if lo >= hi:
            return
        e = energy[lo - position : hi - position]
        if self._filter is not None and lo < self._settled_at:
            own = min(hi, self._settled_at) - lo
            mine = self._filter.energy(frames[lo - position : lo - position + own])
            e = np.concatenate([mine, e[own:]]) if own < len(e) else mine
            if lo + own >= self._settled_at:
                self._filter = None
        self.position = hi
        if self._short is not None:
            self._short.append(e)
        data = np.concatenate([*self._pending, e]) if self._pending else e
        whole = len(data) // self.hop
        if whole:
            complete = data[: whole * self.hop].reshape(whole, self.hop)
            self._hops.append(complete.sum(axis=1) / self.hop)
        rest = data[whole * self.hop :]
        self._pending = [rest] if len(rest) else []

    def hop_energies(self) -> np.ndarray:
        """The mean K-weighted energy of each whole 100 ms hop of the span so far."""
        return np.concatenate(self._hops) if self._hops else np.zeros(0)

    def short_level(self) -> float:
        """A span shorter than a gating block: the loudness of its last whole-millisecond
        window (libebur128's ebur128_loudness_window), gated at -70 LUFS."""
        assert self._short is not None
        return short_level(np.concatenate(self._short) if self._short else np.zeros(0), self.hop)


def short_level(energy: np.ndarray, hop: int) -> float:
    """The gated loudness of a signal shorter than a gating block, from its samples'
    K-weighted energy."""
    if not len(energy):
        return float("-inf")
    window = short_window(len(energy), hop)
    level = energy_lufs(float(np.sum(energy[len(energy) - window :])) / window)
    return level if level > ABS_GATE_LUFS else float("-inf")


def short_window(frames: int, hop: int) -> int:
    """libebur128's window for a signal shorter than a gating block: its length in whole
    milliseconds, back in samples (ebur128_loudness_window)."""
    rate = hop * 10
    ms = max(1, frames * 1000 // rate)
    return rate * ms // 1000


def integrated(hop_energies: np.ndarray) -> float:
    """Gated loudness (BS.1770-4 eq. 2-6) of consecutive 100 ms hops: blocks of four."""
    if len(hop_energies) < BLOCK_HOPS:
        return float("-inf")
    csum = np.concatenate([[0.0], np.cumsum(hop_energies)])
    blocks = (csum[BLOCK_HOPS:] - csum[:-BLOCK_HOPS]) / BLOCK_HOPS
    blocks = blocks[blocks >= ABS_GATE_ENERGY]
    if not len(blocks):
        return float("-inf")
    relative = float(blocks.mean()) * 10 ** (RELATIVE_GATE_LU / 10)
    kept = blocks[blocks >= relative]
    if not len(kept):
        return float("-inf")
    return energy_lufs(float(kept.mean()))


def loudness_range(hop_energies: np.ndarray) -> float:
    """EBU Tech 3342 loudness range: short-term blocks of 3 s every second (libebur128's
    schedule), the absolute and -20 LU gates, the 10th to 95th percentile."""
    n = len(hop_energies)
    if n < SHORT_TERM_HOPS:
        return 0.0
    csum = np.concatenate([[0.0], np.cumsum(hop_energies)])
    ends = np.arange(SHORT_TERM_HOPS, n + 1, SHORT_TERM_STEP_HOPS)
    blocks = (csum[ends] - csum[ends - SHORT_TERM_HOPS]) / SHORT_TERM_HOPS
    blocks = np.sort(blocks[blocks >= ABS_GATE_ENERGY])
    if not len(blocks):
        return 0.0
    gate = float(blocks.mean()) * 10 ** (LRA_RELATIVE_GATE_LU / 10)
    kept = blocks[blocks >= gate]
    if not len(kept):
        return 0.0
    high = kept[int((len(kept) - 1) * LRA_HIGH + 0.5)]
    low = kept[int((len(kept) - 1) * LRA_LOW + 0.5)]
    return energy_lufs(float(high)) - energy_lufs(float(low))


def max_level(hop_energies: np.ndarray, hops: int) -> float:
    """The loudest `hops`-long window (momentary: 4, short-term: 30) stepping by 100 ms."""
    if len(hop_energies) < hops:
        return float("-inf")
    csum = np.concatenate([[0.0], np.cumsum(hop_energies)])
    top = float(((csum[hops:] - csum[:-hops]) / hops).max())
    return energy_lufs(top) if top > 0 else float("-inf")


def energy_lufs(energy: float) -> float:
    return -0.691 + 10 * math.log10(energy) if energy > 0 else float("-inf")
