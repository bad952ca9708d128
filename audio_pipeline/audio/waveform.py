"""Waveform peaks for drawing (the review page): min/max per column, gathered block by block
while a file is written, or read back from a file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline.audio import wavfile
from audio_pipeline.core.results import Loudness

WAVE_COLUMNS = 480


def peaks(samples: np.ndarray, columns: int = WAVE_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of each of `columns` equal slices of a mono signal."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if len(x) == 0:
        return np.zeros(columns, np.float32), np.zeros(columns, np.float32)
    per = math.ceil(len(x) / columns)
    padded = np.zeros(per * columns, np.float32)
    padded[: len(x)] = x
    grid = padded.reshape(columns, per)
    return grid.min(axis=1), grid.max(axis=1)


class Waveform:
    """`peaks` of a signal of known length, fed block by block in blocks of any size: the
    deliverables and review clips are drawn while they are written, never read back whole."""

    def __init__(self, frames: int, columns: int = WAVE_COLUMNS) -> None:
        self.per = max(1, math.ceil(frames / columns))
        self.lo = np.zeros(columns, np.float32)
        self.hi = np.zeros(columns, np.float32)
        self._column = 0
        self._carry = np.zeros(0, np.float32)  # samples of a column not yet complete

    def add(self, block: np.ndarray) -> None:
        mono = block if block.ndim == 1 else block.mean(axis=1)
        x = np.concatenate([self._carry, mono.astype(np.float32, copy=False)])
        n = min(len(x) // self.per, len(self.lo) - self._column)
        if n > 0:
            grid = x[: n * self.per].reshape(n, self.per)
            self.lo[self._column : self._column + n] = grid.min(axis=1)
            self.hi[self._column : self._column + n] = grid.max(axis=1)
            self._column += n
        self._carry = x[max(n, 0) * self.per :][: self.per]

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) per column; the last column is padded with silence, as `peaks` pads."""
        if len(self._carry) and self._column < len(self.lo):
            padded = np.zeros(self.per, np.float32)
            padded[: len(self._carry)] = self._carry
            self.lo[self._column] = padded.min()
            self.hi[self._column] = padded.max()
            self._column += 1
            self._carry = self._carry[:0]
        return self.lo, self.hi


def peaks_of_wav(path: Path, columns: int = WAVE_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """`peaks` of a (mono) WAV file, read block by block: a long programme is never loaded."""
    info = wavfile.read_info(path)
    waveform = Waveform(info.frames, columns)
    for block in wavfile.iter_blocks(path, waveform.per * 64):
        waveform.add(block)
    return waveform.result()


def peaks_of_audio(path: Path, columns: int = WAVE_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """`peaks` of a WAV read block by block, or of any other file decoded by ffmpeg in blocks
    (a delivery with no WAV, e.g. only the podcast MP3)."""
    if path.suffix.lower() == ".wav":
        return peaks_of_wav(path, columns)
    from audio_pipeline.audio import ffmpeg

    blocks = list(ffmpeg.decode_stream(path, label=path.name, sample_rate=8_000))
    return peaks(np.concatenate(blocks) if blocks else np.zeros(0, np.float32), columns)


@dataclass(frozen=True, eq=False)
class AudioFacts:
    """What the page shows of an audio file, taken from the very samples written to it."""

    frames: int
    sample_rate: int
    loudness: Loudness
    lo: np.ndarray  # waveform columns (see `peaks`)
    hi: np.ndarray
