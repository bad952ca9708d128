"""Block processing on fixed chunks, so a processor's output does not depend on block sizes.

A processor that looks ahead, or works on frames, holds samples back; if its arithmetic ran
on whatever blocks it was fed, the rounding of its running sums (and its frame grid) would
depend on the block sizes. Working on fixed chunks counted from the start of the stream makes
every chunk's computation, and so every output sample, the same whatever the feeding.
"""

from __future__ import annotations

import numpy as np


class Chunked:
    """A processor that works on fixed chunks of `chunk` samples counted from the start of
    the stream, with `latency` samples of look-ahead: chunk k of the input gives the output
    for samples [k * chunk - latency, (k + 1) * chunk - latency). Feeding blocks of any size
    gives the same output; `flush` returns every sample still owed (after silence), so the
    output has exactly the input's length."""

    def __init__(self, chunk: int, latency: int = 0) -> None:
        self.chunk = chunk
        self.latency = latency
        self._pending = np.zeros(0)
        self._skip = latency  # the first outputs precede the start of the stream
        self._taken = 0
        self._given = 0

    def _process_chunk(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _feed(self, block: np.ndarray) -> np.ndarray:
        data = np.concatenate([self._pending, block.astype(np.float64)])
        n = len(data) // self.chunk
        self._pending = data[n * self.chunk :]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        c = self.chunk
        out = np.concatenate([self._process_chunk(data[i * c : (i + 1) * c]) for i in range(n)])
        if self._skip:
            drop = min(self._skip, len(out))
            out = out[drop:]
            self._skip -= drop
        return out.astype(np.float32)

    def process(self, block: np.ndarray) -> np.ndarray:
        self._taken += len(block)
        out = self._feed(block)
        self._given += len(out)
        return out

    def flush(self) -> np.ndarray:
        owed = self._taken - self._given
        parts: list[np.ndarray] = []
        got = 0
        while got < owed:  # silence after the end, until every owed sample has come out
            y = self._feed(np.zeros(self.chunk))
            parts.append(y)
            got += len(y)
        self._given += owed
        return np.concatenate(parts)[:owed] if parts else np.zeros(0, dtype=np.float32)
