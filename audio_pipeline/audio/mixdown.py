"""The programme as a function of time: any range of samples, mixed on demand.

Segments are float32 files in the render's work folder, read with positioned reads for just
the samples a block needs, so a two-hour programme is never held in memory (nor mapped: pages
of a memory map would stay resident). Blocks are summed from the segments they overlap, with
each segment's equal-power fades, plus the music bed when there is one. Outside [0, length)
the programme is silence, which lets processors ask for context beyond the ends.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from audio_pipeline.audio import wavfile
from audio_pipeline.audio.bed import render_bed
from audio_pipeline.core.results import Programme, Segment


def fade_gain(seg: Segment, lo: int, hi: int) -> np.ndarray | None:
    """Gain of `seg` over its samples [lo, hi) (segment-relative), or None when all 1."""
    if not seg.fade_in and not seg.fade_out:
        return None
    t = np.arange(lo, hi, dtype=np.float64)
    gain = np.ones(hi - lo)
    if seg.fade_in and lo < seg.fade_in:
        gain *= np.where(t < seg.fade_in, np.sin(0.5 * math.pi * (t + 0.5) / seg.fade_in), 1.0)
    if seg.fade_out and hi > seg.length - seg.fade_out:
        into = t - (seg.length - seg.fade_out)
        gain *= np.where(into >= 0, np.cos(0.5 * math.pi * (into + 0.5) / seg.fade_out), 1.0)
    return gain


class Mixdown:
    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self._files: dict[Path, tuple[int, int]] = {}  # path -> (fd, data offset)

    def _read(self, path: Path, first: int, count: int) -> np.ndarray:
        if path not in self._files:
            info = wavfile.read_info(path)
            if info.format_tag != wavfile.WAVE_FORMAT_IEEE_FLOAT or info.channels != 1:
                raise wavfile.WavError(f"{path.name}: expected a mono float32 WAV")
            self._files[path] = (os.open(path, os.O_RDONLY), info.data_offset)
        fd, offset = self._files[path]
        raw = os.pread(fd, 4 * count, offset + 4 * first)
        return np.frombuffer(raw, dtype="<f4")

    def render_bed(self, start: int, stop: int) -> np.ndarray:
        """The music bed alone over [start, stop) (silence without one)."""
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        if self.programme.bed is not None:
            lo, hi = max(start, 0), min(stop, self.programme.length)
            if lo < hi:
                out[lo - start : hi - start] = render_bed(self.programme.bed, lo, hi)
        return out

    def render(self, start: int, stop: int, *, bed: bool = True) -> np.ndarray:
        """Samples [start, stop) of the programme, mono float32."""
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        for seg in self.programme.segments:
            lo = max(start, seg.start)
            hi = min(stop, seg.end)
            if lo >= hi:
                continue
            data = self._read(seg.path, lo - seg.start, hi - lo)
            gain = fade_gain(seg, lo - seg.start, hi - seg.start)
            out[lo - start : hi - start] += (
                data if gain is None else (data * gain).astype(np.float32)
            )
        if bed and self.programme.bed is not None:
            out += self.render_bed(start, stop)
        return out

    def blocks(self, block: int) -> Iterator[tuple[int, int]]:
        """(start, stop) of consecutive blocks covering the programme."""
        for start in range(0, self.programme.length, block):
            yield start, min(start + block, self.programme.length)

    def close(self) -> None:
        for fd, _ in self._files.values():
            os.close(fd)
        self._files.clear()
