"""Loudness and true-peak measurement (ITU-R BS.1770-4, EBU R128 / Tech 3341 / Tech 3342).

Integrated loudness, loudness range, the momentary and short-term maxima and the loudness of
spans of a stream (a file's messages) come from one K-weighting pass over the stream
(bs1770: libebur128's filter, gating and percentiles, to about 1e-9 LU); the tests hold
them to pyebur128's libebur128 and to ffmpeg's ebur128 meter. True peak is computed here
with the interpolator BS.1770-4 Annex 2 publishes (48 taps, 4 phases): libebur128's own
true-peak path (a 49-tap Hann-windowed sinc, 4x below 96 kHz: not Annex 2's coefficients)
cost 3.5 s more per half hour than its loudness alone. The interpolator only runs where it
can raise the peak (see TruePeakMeter), which keeps a 30-minute measurement well under a
second and the result exact. scipy and numpy release the GIL: meters on separate threads
run on separate cores.

Channel weighting follows BS.1770: mono and stereo channels weigh 1.0 each, so a mono
-23 dBFS-peak 1 kHz sine reads -26 LUFS and its -20 dBFS sibling reads -23 LUFS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from audio_pipeline.audio import bs1770
from audio_pipeline.core.results import Loudness

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


class _Stream:
    """One stream's K-weighting and the spans (Tracks) that read its energy."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.hop = bs1770.hop_frames(sample_rate)
        self.filter = bs1770.KFilter(sample_rate, channels)
        self.tracks: list[bs1770.Track] = []
        self.position = 0
        self.early: list[np.ndarray] = []  # the energy of the first gating block's samples

    def add(self, frames: np.ndarray) -> None:
        if not len(frames):
            return
        energy = self.filter.energy(frames)
        first = bs1770.BLOCK_HOPS * self.hop
        if self.position < first:
            self.early.append(energy[: first - self.position])
        for track in self.tracks:
            track.take(self.position, frames, energy)
        self.position += len(frames)


class LoudnessMeter:
    """Streaming EBU R128 meter: integrated, LRA, true peak and, with `maxima`, the maximum
    momentary and short-term loudness (bext fields, EBU Tech 3285 v2).

    `true_peak=False` leaves the true peak out (reported as NaN) for a caller that uses only
    the loudness: the true-peak meter costs about a third of the loudness. `lra=False` leaves
    the loudness range out (reported as 0). `spans` measures spans of the same stream from
    the same K-weighting (one pass of the filter for a file and all its messages).
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
        self._stream = _Stream(sample_rate, channels)
        self._whole = bs1770.Track(0, None, self._stream.hop)
        self._stream.tracks.append(self._whole)
        self._tp = TruePeakMeter(sample_rate, channels) if true_peak else None
        self._span_meters: list[SpanMeters] = []

    def spans(self, spans: Sequence[tuple[int, int, int]], *, lra: bool = False) -> SpanMeters:
        """Meters of these (index, start, end) spans of this meter's stream, fed by its `add`
        (the spans must start at or after what has been added so far)."""
        meters = SpanMeters(spans, self.sample_rate, self.channels, lra=lra, stream=self._stream)
        self._span_meters.append(meters)
        return meters

    def add(self, block: np.ndarray) -> None:
        frames = _frames(block)
        if frames.shape[1] != self.channels:
            raise ValueError("block channel count does not match the meter")
        if self._tp is not None:
            self._tp.add(frames)
        for meters in self._span_meters:
            meters.open_upto(self._stream.position + len(frames))
        self._stream.add(frames)
        for meters in self._span_meters:
            meters.close_done()

    def hop_energies(self) -> np.ndarray:
        """The K-weighted mean square of each whole 100 ms hop so far."""
        return self._whole.hop_energies()

    def result(self) -> Loudness:
        tp = db(self._tp.finish()) if self._tp is not None else float("nan")
        frames = self._stream.position
        if frames == 0:
            return Loudness(float("-inf"), tp)
        hop = self._stream.hop
        if frames < bs1770.BLOCK_HOPS * hop:
            # Shorter than one 400 ms gating block: the loudness of the whole clip as one
            # block (BS.1770 eq. 2 over the clip's own length), with the absolute gate.
            integrated = bs1770.short_level(np.concatenate(self._stream.early), hop)
            return Loudness(integrated, tp, 0.0, integrated, integrated)
        hops = self._whole.hop_energies()
        hops_m = round(MIN_BLOCK_S / MOMENTARY_HOP_S)
        hops_s = round(SHORT_TERM_S / MOMENTARY_HOP_S)
        return Loudness(
            integrated_lufs=bs1770.integrated(hops),
            true_peak_dbtp=tp,
            lra_lu=bs1770.loudness_range(hops) if self.lra else 0.0,
            max_momentary_lufs=bs1770.max_level(hops, hops_m) if self.maxima else float("-inf"),
            max_short_term_lufs=bs1770.max_level(hops, hops_s) if self.maxima else float("-inf"),
        )


class SpanMeters:
    """The loudness of spans of one stream (a programme's cues, by index), each measured as
    the stream passes it, as if it were a signal of its own (BS.1770: the K-weighting
    starts from silence at its first sample). A span holds only its 100 ms edges while it
    is open (a two-hour programme has 321 cues).

    On their own, `add` takes consecutive blocks from the stream's start; made by a
    LoudnessMeter (`LoudnessMeter.spans`), they share its K-weighting and its `add`.
    Spans are (index, start, end) in the stream's samples.
    """

    def __init__(
        self,
        spans: Sequence[tuple[int, int, int]],
        sample_rate: int,
        channels: int = 1,
        *,
        lra: bool = False,
        stream: _Stream | None = None,
    ) -> None:
        self.spans = tuple(spans)
        self.lra = lra
        self._own = stream is None
        self._stream = stream if stream is not None else _Stream(sample_rate, channels)
        self._settle = max(1, round(bs1770.SETTLE_S * sample_rate))
        self._waiting = sorted(range(len(self.spans)), key=lambda k: self.spans[k][1])
        self._next = 0  # in _waiting: the next span to open
        self._open: dict[int, bs1770.Track] = {}  # position in spans -> its track
        self._results: dict[int, Loudness] = {}
        self.most_open = 0  # the most spans open at once (tests read it)

    def open_upto(self, end: int) -> None:
        """Open every span that starts before `end` (the end of the block about to come)."""
        stream = self._stream
        while self._next < len(self._waiting) and self.spans[self._waiting[self._next]][1] < end:
            k = self._waiting[self._next]
            _, s, e = self.spans[k]
            s = max(s, stream.position)  # a span the stream had passed is read from here
            track = bs1770.Track(
                s,
                max(s, e),
                stream.hop,
                bs1770.KFilter(stream.sample_rate, stream.channels),
                self._settle,
            )
            self._open[k] = track
            stream.tracks.append(track)
            self._next += 1
        self.most_open = max(self.most_open, len(self._open))

    def close_done(self) -> None:
        for k, track in list(self._open.items()):
            if track.done:
                self._results[k] = self._loudness(track)
                self._stream.tracks.remove(track)
                del self._open[k]

    def add(self, start: int, block: np.ndarray) -> None:
        if not self._own:
            raise RuntimeError("these spans are fed by the meter that made them")
        if start != self._stream.position:
            raise ValueError("blocks must be consecutive from the stream's start")
        frames = _frames(block)
        self.open_upto(start + len(frames))
        self._stream.add(frames)
        self.close_done()

    def _loudness(self, track: bs1770.Track) -> Loudness:
        nan = float("nan")
        if (
            track.done
            and track.end is not None
            and track.end - track.start < (bs1770.BLOCK_HOPS * track.hop)
        ):
            if track.end == track.start:
                return Loudness(float("-inf"), nan)
            level = track.short_level()
            return Loudness(level, nan, 0.0, level, level)
        hops = track.hop_energies()
        lra = bs1770.loudness_range(hops) if self.lra else 0.0
        return Loudness(bs1770.integrated(hops), nan, lra)

    def results(self) -> tuple[tuple[int, Loudness], ...]:
        """(index, loudness) in the spans' order; a span the stream did not reach (or only
        partly) is measured on what it got."""
        for k, track in list(self._open.items()):
            self._results[k] = self._loudness(track)
            self._stream.tracks.remove(track)
            del self._open[k]
        silent = Loudness(float("-inf"), float("nan"))
        return tuple(
            (index, self._results.get(k, silent)) for k, (index, _, _) in enumerate(self.spans)
        )


def measure(x: np.ndarray, sample_rate: int, *, maxima: bool = True) -> Loudness:
    """All loudness figures of a whole signal (mono (n,) or (n, channels))."""
    meter = LoudnessMeter(sample_rate, 1 if x.ndim == 1 else x.shape[1], maxima=maxima)
    meter.add(x)
    return meter.result()


def integrated_lufs(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness only (no LRA, maxima or true peak): for normalization loops."""
    frames = _frames(x)
    meter = LoudnessMeter(sample_rate, frames.shape[1], true_peak=False, lra=False)
    meter.add(frames)
    return meter.result().integrated_lufs


def true_peak_dbtp(x: np.ndarray, sample_rate: int) -> float:
    meter = TruePeakMeter(sample_rate, 1 if x.ndim == 1 else x.shape[1])
    meter.add(x[: 1 << 16])  # a first block sets a peak, so later blocks skip more samples
    for start in range(1 << 16, len(x), 1 << 18):
        meter.add(x[start : start + (1 << 18)])
    return db(meter.finish())
