"""The music bed: looped seamlessly, ducked under speech, faded in and out. Pure functions.

The bed is computed on demand for any range of samples (the programme is streamed), from one
in-memory loop of the bed and the speech intervals. Ducking follows whole segments, not the
signal envelope, so it never pumps between words; ramps are raised-cosine in dB, so the bed
glides down `attack_s` before speech starts and back up `release_s` after it ends.
"""

from __future__ import annotations

import math

import numpy as np

from audio_pipeline.core.results import BedTrack


def make_loop(x: np.ndarray, crossfade: int) -> tuple[np.ndarray, np.ndarray]:
    """(head, loop): repeating `loop` forever has no seam. Its first `crossfade` samples mix
    the recording's tail (fading out) into its head (fading in) with equal power."""
    crossfade = min(crossfade, len(x) // 3)
    if crossfade <= 0:
        return x[:0], x
    t = (np.arange(crossfade) + 0.5) / crossfade
    fade_in = np.sin(0.5 * math.pi * t)
    fade_out = np.cos(0.5 * math.pi * t)
    loop = x[: len(x) - crossfade].astype(np.float64)
    loop[:crossfade] = x[:crossfade] * fade_in + x[len(x) - crossfade :] * fade_out
    return x[:crossfade].astype(np.float32), loop.astype(np.float32)


def _raised_cosine(t: np.ndarray) -> np.ndarray:
    """0 -> 1 smoothly over t in [0, 1]."""
    return np.asarray(0.5 - 0.5 * np.cos(math.pi * np.clip(t, 0.0, 1.0)))


def duck_depth(track: BedTrack, start: int, stop: int) -> np.ndarray:
    """How far ducked (0..1) the bed is at each sample of [start, stop). Cosines are only
    computed over the ramps; inside speech the depth is simply 1."""
    depth = np.zeros(stop - start)
    for s, e in track.ducks:
        a, b = s - track.attack, e + track.release
        if b <= start or a >= stop:
            continue
        lo, hi = max(s, start), min(e, stop)
        if lo < hi:
            depth[lo - start : hi - start] = 1.0
        lo, hi = max(a, start), min(s, stop)  # ramp down before speech
        if lo < hi:
            ramp = _raised_cosine((np.arange(lo, hi) - a) / max(1, track.attack))
            depth[lo - start : hi - start] = np.maximum(depth[lo - start : hi - start], ramp)
        lo, hi = max(e, start), min(b, stop)  # ramp back up after it
        if lo < hi:
            ramp = _raised_cosine((b - np.arange(lo, hi)) / max(1, track.release))
            depth[lo - start : hi - start] = np.maximum(depth[lo - start : hi - start], ramp)
    return depth


def span_gain(track: BedTrack, start: int, stop: int) -> np.ndarray:
    """1 inside the spans where the bed plays, with raised-cosine fades at their edges."""
    gain = np.zeros(stop - start)
    for s, e in track.spans:
        lo, hi = max(s, start), min(e, stop)
        if lo >= hi:
            continue
        positions = np.arange(lo, hi)
        fade = np.ones(hi - lo)
        if lo < s + track.fade:
            fade = np.minimum(fade, _raised_cosine((positions - s) / max(1, track.fade)))
        if hi > e - track.fade:
            fade = np.minimum(fade, _raised_cosine((e - positions) / max(1, track.fade)))
        gain[lo - start : hi - start] = np.maximum(gain[lo - start : hi - start], fade)
    return gain


def render_bed(track: BedTrack, start: int, stop: int) -> np.ndarray:
    """Bed samples [start, stop) of the programme (zeros where it does not play)."""
    gain = span_gain(track, start, stop)
    if not np.any(gain):
        return np.zeros(stop - start, dtype=np.float32)
    offset = np.maximum(np.arange(start, stop) - track.spans[0][0], 0)
    samples = track.loop[offset % len(track.loop)]
    early = offset < len(track.head)  # the very first pass plays the recording's own head
    if np.any(early):
        samples = np.where(early, track.head[np.minimum(offset, len(track.head) - 1)], samples)
    depth = duck_depth(track, start, stop)
    if np.any(depth):
        gain = gain * 10 ** (-track.duck_db * depth / 20)
    return np.asarray(samples * gain, dtype=np.float32)
