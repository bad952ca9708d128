"""The programme as a function of time: any range of samples, mixed on demand.

Segments are memory-mapped float32 files, so a two-hour programme is never held in memory:
blocks are summed from the segments they overlap (summing, not pasting, so overlaps such as
crossfades and beds mix naturally). Outside [0, length) the programme is silence, which lets
processors with look-ahead ask for context beyond the ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from . import wavfile
from .models import Programme


class Mixdown:
    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self._sources: dict[Path, np.ndarray] = {}

    def _source(self, path: Path) -> np.ndarray:
        if path not in self._sources:
            samples, _ = wavfile.open_float32(path)
            self._sources[path] = samples
        return self._sources[path]

    def render(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) of the programme, mono float32."""
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        for seg in self.programme.segments:
            lo = max(start, seg.start)
            hi = min(stop, seg.end)
            if lo >= hi:
                continue
            data = self._source(seg.path)
            out[lo - start : hi - start] += data[lo - seg.start : hi - seg.start]
        return out

    def blocks(self, block: int) -> Iterator[tuple[int, int]]:
        """(start, stop) of consecutive blocks covering the programme."""
        for start in range(0, self.programme.length, block):
            yield start, min(start + block, self.programme.length)

    def close(self) -> None:
        self._sources.clear()
