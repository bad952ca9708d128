"""Bumper, sting and bed files: whether they decode to usable audio, decoded once a run.

Validation decodes every audio file an episode names (a cut-off, silent or undecodable file
is a problem for the producer, not a failed render); the samples it decoded are what the
render uses, so a batch or a studio that validates first never decodes a file twice. An
AudioStore keeps each file's samples for the length of one run, keyed by the file's real
path and its size and modification time (a file replaced during the run is decoded again).
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_pipeline.audio import ffmpeg
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import AudioDecodeError

MAX_BUMPER_S = 120.0
MAX_BED_S = 600.0  # a bed is looped; ten minutes of it is plenty
# 120 s of 8-channel 32-bit audio at 96 kHz is under 400 MiB; decoding more is a mistake
MAX_AUDIO_BYTES = 400 * 2**20


def riff_truncation(path: Path) -> str | None:
    """For a RIFF/WAVE file: whether its data chunk holds fewer bytes than its header says.

    ffmpeg decodes a cut-off WAV without complaint, so an intro that lost its second half
    in a failed copy would pass as a shorter intro. Any other file: None (not judged here).
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        size = path.stat().st_size
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                held = size - offset - 8
                if chunk_size > held and chunk_size != 0xFFFFFFFF:  # 0xFFFFFFFF: streamed
                    return (
                        f"its header announces {chunk_size} bytes of audio, the file holds {held}"
                    )
                return None
            offset += 8 + chunk_size + (chunk_size % 2)
    return None  # no data chunk at all: ffmpeg will say it cannot decode the file


@dataclass(frozen=True)
class Decoded:
    """One audio file as validation found it: its samples at the working rate, or why not."""

    samples: np.ndarray | None
    error: str | None = None


@dataclass
class AudioStore:
    """Every audio file decoded in one run (a render, a batch, `validate`), once each."""

    sample_rate: int = defaults.SAMPLE_RATE
    _files: dict[tuple[str, int, int, float], Decoded] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    decodes: int = 0  # how many files were actually decoded (the rest were reused)

    def load(self, path: Path, label: str, max_seconds: float = MAX_BUMPER_S) -> Decoded:
        try:
            st = path.stat()
        except OSError as exc:
            return Decoded(None, f"cannot read '{label}' ({exc.strerror or exc})")
        key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, max_seconds)
        with self._lock:
            found = self._files.get(key)
        if found is None:
            found = decode_audio_file(path, label, self.sample_rate, max_seconds)
            with self._lock:
                self.decodes += 1
                self._files[key] = found
        return found


def decode_audio_file(
    path: Path,
    label: str,
    sample_rate: int = defaults.SAMPLE_RATE,
    max_seconds: float = MAX_BUMPER_S,
) -> Decoded:
    """Decode a bumper, sting or bed fully: its samples when usable, else what is wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_AUDIO_BYTES:
            limit = MAX_AUDIO_BYTES / 2**20
            return Decoded(None, f"'{label}' is {size / 2**20:.0f} MiB; at most {limit:.0f} MiB")
        truncated = riff_truncation(path)
    except OSError as exc:
        return Decoded(None, f"cannot read '{label}' ({exc.strerror or exc})")
    if truncated:
        return Decoded(None, f"'{label}' is cut off: {truncated}; export the file again")
    try:
        samples = ffmpeg.decode(path, label=label, sample_rate=sample_rate)
    except AudioDecodeError as exc:
        if "matches no streams" in exc.reason:
            return Decoded(None, f"'{label}' holds no audio (an image, or a video without sound?)")
        why = f"cannot decode '{label}' as audio ({exc.reason}); use WAV, FLAC, MP3 or Ogg"
        return Decoded(None, why)
    seconds = len(samples) / sample_rate
    if seconds > max_seconds:
        why = f"'{label}' is {seconds:.0f} s long; at most {max_seconds:.0f} s allowed here"
        return Decoded(None, why)
    if float(abs(samples).max()) < 1e-4:
        return Decoded(None, f"'{label}' is silent")
    return Decoded(samples)
