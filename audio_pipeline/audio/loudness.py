"""Loudness and true-peak measurement (ITU-R BS.1770-4, EBU R128 / Tech 3341 / Tech 3342).

Integrated loudness, loudness range and the 100 ms block energies behind the momentary and
short-term maxima come from libebur128 (the reference implementation ffmpeg uses), as the
pyebur128 wheel builds it: its C functions are called through ctypes (see R128), so a
measurement releases the GIL and meters on separate threads run on separate cores. True
peak is computed here with the interpolator BS.1770-4 Annex 2 publishes (48 taps, 4 phases):
libebur128's own true-peak path costs ~7 s per 30 minutes of audio. The interpolator only
runs where it can raise the peak (see TruePeakMeter), which keeps a 30-minute measurement
well under a second and the result exact.

Channel weighting follows BS.1770: mono and stereo channels weigh 1.0 each, so a mono
-23 dBFS-peak 1 kHz sine reads -26 LUFS and its -20 dBFS sibling reads -23 LUFS.
"""

from __future__ import annotations

import ctypes
import functools
import math
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyebur128
from numpy.lib.stride_tricks import sliding_window_view

from audio_pipeline.core.models import Loudness

_M = pyebur128.MeasurementMode
MOMENTARY_HOP_S = 0.1  # EBU Tech 3341: meters update at least 10 times a second
MIN_BLOCK_S = 0.4  # BS.1770 gating block length
SHORT_TERM_S = 3.0

# ITU-R BS.1770-4 Annex 2, the 4x oversampling interpolator: 4 phases of 12 taps.
TP_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip
TP_TAPS = TP_PHASES.shape[1]
# An interpolated value is at most this many times the largest sample in its window.
TP_BOUND = float(np.abs(TP_PHASES).sum(axis=1).max())
# windows are read oldest sample first, so the taps are applied reversed: y[n] = sum h[k] x[n-k]
TP_MATRIX = TP_PHASES[:, ::-1].T.astype(np.float64)  # (12 taps, 4 phases)
_WINDOW = np.arange(-(TP_TAPS - 1), 1)  # offsets of a window's samples from its end
OVERSAMPLE_BELOW_HZ = 192_000  # from 192 kHz on the samples are the true peak (Annex 2)


def db(linear: float) -> float:
    return 20.0 * math.log10(linear) if linear > 0 else float("-inf")


def _frames(x: np.ndarray) -> np.ndarray:
    """2-D (frames, channels) view of mono or multichannel audio."""
    return x.reshape(-1, 1) if x.ndim == 1 else x


def windows_touching(mask: np.ndarray, before: int, after: int) -> np.ndarray:
    """Indices i (in range) with a True in mask[i - after .. i + before]: the mask dilated.

    Counted with a running sum (O(n)): numpy's integer convolution is a direct O(n x width)
    loop, and this runs over every sample a true-peak meter or limiter sees."""
    n = len(mask)
    width = before + after + 1
    # running[k] counts mask[: k - after], so the window of i, mask[i - after .. i + before],
    # counts running[i + width] - running[i]
    padded = np.zeros(n + width, dtype=np.int32)
    padded[after + 1 : after + 1 + n] = mask
    running = np.cumsum(padded, dtype=np.int32)  # counts fit; int64 would double the traffic
    dilated = running[width : width + n] > running[:n]
    return np.flatnonzero(dilated)


def _at_most(threshold: float, dtype: np.dtype) -> np.floating:
    """`threshold` in `dtype`, rounded down: comparing samples of that precision with it
    finds every sample above the exact threshold (and perhaps a few more)."""
    t = dtype.type(threshold)
    if float(t) > threshold:
        t = np.nextafter(t, dtype.type(-np.inf))
    return t  # type: ignore[no-any-return]


def interpolate_4x(x: np.ndarray) -> np.ndarray:
    """All four interpolated phases of a 1-D signal, preceded by silence: shape (n, 4)."""
    padded = np.concatenate([np.zeros(TP_TAPS - 1), x.astype(np.float64)])
    return sliding_window_view(padded, TP_TAPS) @ TP_MATRIX


class TruePeakMeter:
    """Streaming true-peak meter (BS.1770-4 Annex 2), exact and cheap.

    Every interpolated value is bounded by TP_BOUND times the largest sample of its 12-sample
    window, so only windows holding a sample above (current peak / TP_BOUND) can raise the
    peak; only those are interpolated. For programme audio that is a small fraction of the
    samples, and the result equals interpolating everything. The samples are compared in
    their own precision (against the threshold rounded down, which may only add windows
    that cannot raise the peak), and only the windows kept are converted to float64.
    """

    def __init__(self, sample_rate: int, channels: int = 1) -> None:
        self.oversample = sample_rate < OVERSAMPLE_BELOW_HZ
        self._history = np.zeros((TP_TAPS - 1, channels), dtype=np.float32)
        self.peak = 0.0

    def add(self, block: np.ndarray) -> None:
        frames = _frames(block)
        if frames.shape[0] == 0:
            return
        self.peak = max(self.peak, float(np.max(np.abs(frames))))
        if not self.oversample:
            return
        x = np.concatenate([self._history, frames])
        for c in range(x.shape[1]):
            xc = x[:, c]
            loud = np.flatnonzero(np.abs(xc) > _at_most(self.peak / TP_BOUND, xc.dtype))
            # window ends n (n >= 11) whose window [n-11, n] holds a loud sample
            if loud.size * TP_TAPS < len(xc) // 8:  # few: list them
                ends = np.sort((loud[:, None] + np.arange(TP_TAPS)).reshape(-1))
                ends = ends[(ends < len(xc)) & np.diff(ends, prepend=-1).astype(bool)]
            else:
                mask = np.zeros(len(xc), dtype=bool)
                mask[loud] = True
                ends = windows_touching(mask, 0, TP_TAPS - 1)
            ends = ends[ends >= TP_TAPS - 1]
            if not ends.size:
                continue
            windows = xc[ends[:, None] + _WINDOW]  # the 12 samples ending at each end
            interpolated = windows.astype(np.float64) @ TP_MATRIX
            self.peak = max(self.peak, float(np.max(np.abs(interpolated))))
        self._history = x[len(x) - (TP_TAPS - 1) :]

    def finish(self) -> float:
        """Flush: the signal is taken to be silent after its end."""
        self.add(np.zeros((TP_TAPS - 1, self._history.shape[1])))
        return self.peak


@functools.cache
def _libebur128() -> Any:
    """libebur128's C API as the pyebur128 extension exports it (it links the library in),
    or None when a build hides the symbols."""
    c = ctypes
    try:
        from pyebur128 import pyebur128 as extension

        lib = c.CDLL(extension.__file__)
        lib.ebur128_init.restype = c.c_void_p
        lib.ebur128_init.argtypes = [c.c_uint, c.c_ulong, c.c_int]
        lib.ebur128_destroy.restype = None
        lib.ebur128_destroy.argtypes = [c.POINTER(c.c_void_p)]
        lib.ebur128_add_frames_float.restype = c.c_int
        lib.ebur128_add_frames_float.argtypes = [c.c_void_p, c.c_void_p, c.c_size_t]
        for name in ("ebur128_loudness_global", "ebur128_loudness_range"):
            getattr(lib, name).restype = c.c_int
            getattr(lib, name).argtypes = [c.c_void_p, c.POINTER(c.c_double)]
        lib.ebur128_loudness_window.restype = c.c_int
        lib.ebur128_loudness_window.argtypes = [c.c_void_p, c.c_ulong, c.POINTER(c.c_double)]
    except (ImportError, OSError, AttributeError):
        return None
    return lib


class R128:
    """One libebur128 measurement (BS.1770 K-weighting and gating; EBU Tech 3342 LRA).

    Through ctypes the GIL is released while libebur128 works, so meters on separate
    threads (the normalization of several clips, the deliverables measured side by side)
    use separate cores; without the exported symbols, pyebur128's own API (the same C code).
    """

    def __init__(self, channels: int, sample_rate: int, mode: int) -> None:
        self._lib = _libebur128()
        if self._lib is None:
            self._py = pyebur128.R128State(channels, sample_rate, mode)
            return
        state = self._lib.ebur128_init(channels, sample_rate, mode)
        if not state:
            raise MemoryError("libebur128: out of memory")
        self._state = ctypes.c_void_p(state)
        weakref.finalize(self, self._lib.ebur128_destroy, ctypes.byref(self._state))

    def add(self, frames: np.ndarray) -> None:
        """Interleaved float32 frames."""
        flat = np.ascontiguousarray(frames, dtype=np.float32).reshape(-1)
        count = len(flat) // max(1, frames.shape[1] if frames.ndim == 2 else 1)
        if self._lib is None:
            self._py.add_frames(flat, count)
        elif self._lib.ebur128_add_frames_float(self._state, flat.ctypes.data, count) != 0:
            raise MemoryError("libebur128: out of memory")

    def _value(self, name: str, *args: int) -> float:
        out = ctypes.c_double()
        if getattr(self._lib, f"ebur128_{name}")(self._state, *args, ctypes.byref(out)) != 0:
            raise ValueError(f"libebur128: {name} failed")
        return out.value

    def integrated(self) -> float:
        if self._lib is None:
            return float(pyebur128.get_loudness_global(self._py))
        return self._value("loudness_global")

    def window(self, ms: int) -> float:
        if self._lib is None:
            return float(pyebur128.get_loudness_window(self._py, ms))
        return self._value("loudness_window", ms)

    def loudness_range(self) -> float:
        if self._lib is None:
            return float(pyebur128.get_loudness_range(self._py))
        return self._value("loudness_range")


class LoudnessMeter:
    """Streaming EBU R128 meter: integrated, LRA, true peak and, with `maxima`, the maximum
    momentary and short-term loudness (bext fields, EBU Tech 3285 v2).

    `true_peak=False` leaves the true peak out (reported as NaN) for a caller that uses only
    the loudness: the true-peak meter costs more than libebur128's gating itself. `lra=False`
    leaves the loudness range out (reported as 0): libebur128 then keeps no 3 s short-term
    blocks, a fifth less work, for callers that read only the integrated loudness.
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int = 1,
        *,
        maxima: bool = False,
        true_peak: bool = True,
        lra: bool = True,
    ) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.maxima = maxima
        self.lra = lra
        mode = _M.MODE_I | _M.MODE_LRA if lra else _M.MODE_I
        self._r128 = R128(channels, sample_rate, int(mode))
        self._tp = TruePeakMeter(sample_rate, channels) if true_peak else None
        self._hop = max(1, round(sample_rate * MOMENTARY_HOP_S))
        self._pending = np.zeros((0, channels), dtype=np.float32)
        self._frames = 0
        self._energies: list[float] = []  # K-weighted mean square of each 100 ms hop

    def _feed(self, frames: np.ndarray) -> None:
        self._r128.add(frames)
        self._frames += len(frames)

    def add(self, block: np.ndarray) -> None:
        frames = _frames(block)
        if frames.shape[1] != self.channels:
            raise ValueError("block channel count does not match the meter")
        if self._tp is not None:
            self._tp.add(frames)
        if not self.maxima:
            self._feed(frames)
            return
        # 100 ms hops: libebur128 gives each hop's K-weighted level; momentary (400 ms) and
        # short-term (3 s) levels at 10 Hz are moving means of those energies (BS.1770 eq. 2)
        data = np.concatenate([self._pending, frames]) if len(self._pending) else frames
        n_hops = len(data) // self._hop
        for i in range(n_hops):
            self._feed(data[i * self._hop : (i + 1) * self._hop])
            level = self._r128.window(100)
            self._energies.append(10 ** ((level + 0.691) / 10) if level > -200 else 0.0)
        self._pending = data[n_hops * self._hop :].astype(np.float32)

    def hop_energies(self) -> np.ndarray:
        """With `maxima`: the K-weighted mean square of each whole 100 ms hop so far."""
        return np.asarray(self._energies, dtype=np.float64)

    def _max_level(self, hops: int) -> float:
        e = np.asarray(self._energies)
        if len(e) < hops:
            return float("-inf")
        means = np.convolve(e, np.ones(hops) / hops, mode="valid")
        top = float(means.max())
        return -0.691 + 10 * math.log10(top) if top > 0 else float("-inf")

    def result(self) -> Loudness:
        if len(self._pending):
            self._feed(self._pending)
            self._pending = self._pending[:0]
        tp = db(self._tp.finish()) if self._tp is not None else float("nan")
        if self._frames == 0:
            return Loudness(float("-inf"), tp)
        if self._frames < MIN_BLOCK_S * self.sample_rate:
            # Shorter than one 400 ms gating block: the loudness of the whole clip as one
            # block (BS.1770 eq. 2 over the clip's own length), with the absolute gate.
            ms = max(1, int(self._frames * 1000 // self.sample_rate))
            level = self._r128.window(ms)
            integrated = level if level > -70.0 else float("-inf")
            return Loudness(integrated, tp, 0.0, integrated, integrated)
        integrated = self._r128.integrated()
        if not math.isfinite(integrated) or integrated < -200:
            integrated = float("-inf")
        lra = self._r128.loudness_range() if self.lra else 0.0
        hops_m = round(MIN_BLOCK_S / MOMENTARY_HOP_S)
        hops_s = round(SHORT_TERM_S / MOMENTARY_HOP_S)
        return Loudness(
            integrated_lufs=integrated,
            true_peak_dbtp=tp,
            lra_lu=lra if math.isfinite(lra) else 0.0,
            max_momentary_lufs=self._max_level(hops_m) if self.maxima else float("-inf"),
            max_short_term_lufs=self._max_level(hops_s) if self.maxima else float("-inf"),
        )


class SpanMeters:
    """The loudness of spans of one stream (a programme's cues, by index), each measured as
    the stream passes it: a span's meter lives from its first sample to its last. A meter
    holds libebur128's 3 s LRA buffer (about 1.2 MB at 48 kHz), and a two-hour programme has
    321 cues: kept open all along, they were most of a long render's memory.

    `add` takes consecutive blocks; spans are (index, start, end) in the stream's samples.
    """

    def __init__(
        self,
        spans: Sequence[tuple[int, int, int]],
        sample_rate: int,
        channels: int = 1,
    ) -> None:
        self.spans = tuple(spans)
        # integrated loudness only: nothing reads a span's true peak or loudness range
        self._meter = functools.partial(
            LoudnessMeter, sample_rate, channels, true_peak=False, lra=False
        )
        self._waiting = sorted(range(len(self.spans)), key=lambda k: self.spans[k][1])
        self._next = 0  # in _waiting: the next span to open
        self._open: dict[int, LoudnessMeter] = {}  # position in spans -> its meter
        self._results: dict[int, Loudness] = {}
        self.most_open = 0  # the most meters alive at once (tests read it)

    def add(self, start: int, block: np.ndarray) -> None:
        end = start + len(block)
        while self._next < len(self._waiting) and self.spans[self._waiting[self._next]][1] < end:
            self._open[self._waiting[self._next]] = self._meter()
            self._next += 1
        self.most_open = max(self.most_open, len(self._open))
        for k in list(self._open):
            _, s, e = self.spans[k]
            lo, hi = max(s, start), min(e, end)
            if lo < hi:
                self._open[k].add(block[lo - start : hi - start])
            if e <= end:
                self._results[k] = self._open.pop(k).result()

    def results(self) -> tuple[tuple[int, Loudness], ...]:
        """(index, loudness) in the spans' order; a span the stream did not reach (or only
        partly) is measured on what it got."""
        for k in list(self._open):
            self._results[k] = self._open.pop(k).result()
        return tuple(
            (index, self._results[k] if k in self._results else self._meter().result())
            for k, (index, _, _) in enumerate(self.spans)
        )


def measure(x: np.ndarray, sample_rate: int, *, maxima: bool = True) -> Loudness:
    """All loudness figures of a whole signal (mono (n,) or (n, channels))."""
    meter = LoudnessMeter(sample_rate, 1 if x.ndim == 1 else x.shape[1], maxima=maxima)
    meter.add(x)
    return meter.result()


def integrated_lufs(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness only (no LRA or maxima): the cheap call for normalization loops."""
    frames = _frames(x)
    n = len(frames)
    if n == 0:
        return float("-inf")
    state = R128(frames.shape[1], sample_rate, int(_M.MODE_I))
    state.add(frames)
    if n < MIN_BLOCK_S * sample_rate:
        ms = max(1, int(n * 1000 // sample_rate))
        level = state.window(ms)
        return level if level > -70.0 else float("-inf")
    value = state.integrated()
    return value if math.isfinite(value) and value > -200 else float("-inf")


def true_peak_dbtp(x: np.ndarray, sample_rate: int) -> float:
    meter = TruePeakMeter(sample_rate, 1 if x.ndim == 1 else x.shape[1])
    meter.add(x[: 1 << 16])  # a first block sets a peak, so later blocks skip more samples
    for start in range(1 << 16, len(x), 1 << 18):
        meter.add(x[start : start + (1 << 18)])
    return db(meter.finish())
