"""Pure DSP on numpy arrays: no files, no globals. float32 mono (n,) or (n, channels).

Everything here is deterministic: the same input gives the same output bytes, which is what
makes two renders of the same episode byte-identical (a killed render, run again, makes
the very files an uninterrupted one would have).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from audio_pipeline.audio.loudness import (
    TP_BOUND,
    TP_MATRIX,
    TP_TAPS,
    TruePeakMeter,
    integrated_lufs,
    measure,
    true_peak_dbtp,
    windows_touching,
)
from audio_pipeline.core import defaults
from audio_pipeline.core.defaults import SAMPLE_RATE
from audio_pipeline.core.results import Loudness

# _scipy_on_demand: scipy.signal and scipy.ndimage are imported where they are used, not
# here: importing them costs a second or more of every render's start-up (scipy.signal pulls
# in scipy.stats), and most renders never resample (espeak only) nor limit (rare at -23 LUFS).


def db_to_gain(value_db: float) -> float:
    return float(10.0 ** (value_db / 20.0))


def resample(x: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Polyphase resampling (Kaiser-windowed FIR), e.g. espeak's 22.05 kHz to 48 kHz."""
    if from_rate == to_rate:
        return x.astype(np.float32, copy=False)
    from scipy.signal import resample_poly  # see _scipy_on_demand

    g = math.gcd(from_rate, to_rate)
    y = resample_poly(x, to_rate // g, from_rate // g, axis=0)
    return np.asarray(y, dtype=np.float32)


def silence(seconds: float, sample_rate: int, channels: int = 1) -> np.ndarray:
    n = round(seconds * sample_rate)
    return np.zeros(n if channels == 1 else (n, channels), dtype=np.float32)


def fade_edges(
    x: np.ndarray, sample_rate: int, seconds: float = defaults.EDGE_FADE_S
) -> np.ndarray:
    """Raised-cosine fade in and out, so a trimmed edge never clicks."""
    n = min(round(seconds * sample_rate), len(x) // 2)
    if n <= 0:
        return x
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, n, dtype=np.float64))).astype(np.float32)
    if x.ndim == 2:
        ramp = ramp[:, None]
    y = x.copy()
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def frame_rms_db(x: np.ndarray, sample_rate: int, frame_s: float = 0.01) -> np.ndarray:
    """RMS level in dBFS of consecutive frames (10 ms by default), channels averaged."""
    mono = x if x.ndim == 1 else x.mean(axis=1)
    hop = max(1, round(frame_s * sample_rate))
    n = len(mono) // hop
    if n == 0:
        return np.full(1, 20 * math.log10(max(float(np.sqrt(np.mean(mono**2))), 1e-12)))
    frames = mono[: n * hop].astype(np.float64).reshape(n, hop)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return np.asarray(20.0 * np.log10(np.maximum(rms, 1e-12)))


def trim_silence(
    x: np.ndarray,
    sample_rate: int,
    threshold_db: float = defaults.TRIM_THRESHOLD_DB,
    pad_s: float = defaults.TRIM_PAD_S,
) -> np.ndarray:
    """Cut leading and trailing silence (10 ms frames under `threshold_db` dBFS RMS), keep
    `pad_s` around the sound, fade the new edges. Returns an empty array for pure silence."""
    levels = frame_rms_db(x, sample_rate)
    loud = np.flatnonzero(levels > threshold_db)
    if loud.size == 0:
        return x[:0]
    hop = max(1, round(0.01 * sample_rate))
    pad = round(pad_s * sample_rate)
    start = max(0, int(loud[0]) * hop - pad)
    end = min(len(x), (int(loud[-1]) + 1) * hop + pad)
    return fade_edges(x[start:end], sample_rate)


def true_peak_envelope(x: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per sample, the largest |value| of the 4x-interpolated signal near it (all channels).

    This is what a true-peak limiter must keep under the ceiling (BS.1770-4 Annex 2). The
    interpolated values at window end n sit around sample n - 6 (the filter's delay), so each
    sample takes the maximum over the ends n - 1 .. n + 1 around that point: a slightly wide,
    never narrow, envelope. Only where the envelope can exceed `floor` (linear) is it
    interpolated; elsewhere it is the sample peak (an interpolated value is at most TP_BOUND
    times the samples of its window).
    """
    frames = x.reshape(-1, 1) if x.ndim == 1 else x
    env = np.abs(frames).max(axis=1).astype(np.float64)
    delay = TP_TAPS // 2
    for c in range(frames.shape[1]):
        xc = frames[:, c]
        loud = np.abs(xc) * TP_BOUND > floor
        if not loud.any():
            continue
        # samples m whose envelope reads window ends m+5..m+7, i.e. windows touching m-6..m+7
        wanted = windows_touching(loud, TP_TAPS + 2, TP_TAPS + 2)
        padded = np.concatenate([np.zeros(TP_TAPS - 1), xc.astype(np.float64), np.zeros(delay + 2)])
        windows = sliding_window_view(padded, TP_TAPS)
        # each window end is interpolated once, though three samples read it
        offsets = (delay - 1, delay, delay + 1)  # window ends m+5, m+6, m+7
        needed = np.zeros(len(windows), dtype=bool)
        for end_offset in offsets:
            needed[wanted + end_offset] = True
        ends = np.flatnonzero(needed)
        largest = np.zeros(len(windows))
        largest[ends] = np.abs(windows[ends] @ TP_MATRIX).max(axis=1)
        near = np.maximum.reduce([largest[wanted + end_offset] for end_offset in offsets])
        env[wanted] = np.maximum(env[wanted], near)
    return np.asarray(env)


def exceeds_ceiling(x: np.ndarray, ceiling_dbtp: float) -> bool:
    """Does the true peak of `x` go over the ceiling? Cheap: only windows holding a sample
    above ceiling / TP_BOUND can (see loudness.TruePeakMeter)."""
    ceiling = db_to_gain(ceiling_dbtp)
    frames = x.reshape(-1, 1) if x.ndim == 1 else x
    if frames.size == 0 or float(np.max(np.abs(frames))) * TP_BOUND <= ceiling:
        return False
    meter = TruePeakMeter(SAMPLE_RATE, frames.shape[1])
    meter.peak = ceiling  # only values above the ceiling matter
    # silence after the end, as TruePeakMeter.finish adds it, in the same call
    meter.add(np.concatenate([frames, np.zeros((TP_TAPS - 1, frames.shape[1]), frames.dtype)]))
    return meter.peak > ceiling


def limiter_gain(
    x: np.ndarray,
    sample_rate: int,
    ceiling_dbtp: float,
    lookahead_s: float = 0.0025,
    hold_s: float = 0.05,
) -> np.ndarray:
    """Gain curve of a look-ahead true-peak limiter (1.0 where nothing needs limiting).

    Required gain g[n] = min(1, ceiling / envelope[n]). A minimum filter over
    [n - hold, n + lookahead] followed by a moving average over [n - lookahead, n + lookahead]
    gives a smooth curve that is never above g at any sample: every value averaged for n is
    the minimum over a window that contains n. The ramps are 2 x lookahead long (5 ms), the
    release waits `hold` (50 ms) so the gain does not flutter between syllables.
    """
    ceiling = db_to_gain(ceiling_dbtp)
    env = true_peak_envelope(x, ceiling)
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-12))
    if float(need.min()) >= 1.0:
        return np.ones(len(need), dtype=np.float32)
    from scipy.ndimage import minimum_filter1d, uniform_filter1d  # see _scipy_on_demand

    la = max(1, round(lookahead_s * sample_rate))
    hold = max(la, round(hold_s * sample_rate))
    if (hold + la) % 2:
        hold += 1
    size = hold + la + 1  # odd: centred window [k - (size-1)/2, k + (size-1)/2]
    centred = minimum_filter1d(need, size=size, mode="nearest")
    shift = (hold - la) // 2  # window [n - hold, n + la] is the centred one at k = n - shift
    held = np.concatenate([np.full(shift, centred[0]), centred[: len(centred) - shift]])
    smooth = uniform_filter1d(held, size=2 * la + 1, mode="nearest")
    return np.asarray(np.minimum(smooth, 1.0), dtype=np.float32)


def apply_gain_curve(x: np.ndarray, gain: np.ndarray) -> np.ndarray:
    return np.asarray(x * (gain if x.ndim == 1 else gain[:, None]), dtype=np.float32)


def normalize_measured(
    x: np.ndarray,
    sample_rate: int,
    target_lufs: float,
    ceiling_dbtp: float,
    tolerance_lu: float = defaults.CLIP_TOLERANCE_LU / 2,
    max_rounds: int = 6,
) -> tuple[np.ndarray, Loudness]:
    """Bring `x` to `target_lufs` integrated (BS.1770-4) with its true peak at or under
    `ceiling_dbtp`; returns it with its loudness (all of `loudness.measure`).

    Gain alone first; where that pushes a peak over the ceiling, the look-ahead limiter
    takes the peak down, and the loudness it took is given back as gain; repeat until both
    hold. Speech at -23 LUFS rarely touches a -1 dBTP ceiling; at -16 LUFS it often does.
    Each round measures once (loudness and true peak in one pass), and that measurement is
    the one returned. Raises ValueError for silence (no loudness to normalize).
    """
    level = integrated_lufs(x, sample_rate)
    if not math.isfinite(level):
        raise ValueError("audio is silent: nothing to normalize")
    y = (x.astype(np.float64) * db_to_gain(target_lufs - level)).astype(np.float32)
    margin = 0.05  # dB under the ceiling, for the inter-sample error of the limiter
    for _ in range(max_rounds):
        loudness = measure(y, sample_rate)
        if loudness.true_peak_dbtp > ceiling_dbtp:
            y = apply_gain_curve(y, limiter_gain(y, sample_rate, ceiling_dbtp - margin))
            loudness = measure(y, sample_rate)
        on_target = abs(loudness.integrated_lufs - target_lufs) <= tolerance_lu
        if on_target and loudness.true_peak_dbtp <= ceiling_dbtp:
            return y, loudness
        gain = db_to_gain(target_lufs - loudness.integrated_lufs)
        y = (y.astype(np.float64) * gain).astype(np.float32)
    # Could not meet both within the rounds (pathological, e.g. a square wave): the ceiling
    # wins, since an over-peak breaks the partner's spec and loudness can be reported.
    tp = true_peak_dbtp(y, sample_rate)
    if tp > ceiling_dbtp:
        y = (y.astype(np.float64) * db_to_gain(ceiling_dbtp - margin - tp)).astype(np.float32)
    return y, measure(y, sample_rate)


def normalize(
    x: np.ndarray,
    sample_rate: int,
    target_lufs: float,
    ceiling_dbtp: float,
    tolerance_lu: float = defaults.CLIP_TOLERANCE_LU / 2,
    max_rounds: int = 6,
) -> np.ndarray:
    """`normalize_measured` without the measurement."""
    return normalize_measured(x, sample_rate, target_lufs, ceiling_dbtp, tolerance_lu, max_rounds)[
        0
    ]
