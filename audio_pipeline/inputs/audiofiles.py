"""Bumper, sting and bed files: where they may live, and whether they decode to usable audio."""

from __future__ import annotations

import struct
from pathlib import Path

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


def check_audio_file(
    path: Path,
    label: str,
    sample_rate: int = defaults.SAMPLE_RATE,
    max_seconds: float = MAX_BUMPER_S,
) -> str | None:
    """Decode a bumper, sting or bed fully; None when usable, else what is wrong with it."""
    from audio_pipeline.audio import ffmpeg

    try:
        size = path.stat().st_size
        if size > MAX_AUDIO_BYTES:
            return f"'{label}' is {size / 2**20:.0f} MiB; at most {MAX_AUDIO_BYTES / 2**20:.0f} MiB"
        truncated = riff_truncation(path)
    except OSError as exc:
        return f"cannot read '{label}' ({exc.strerror or exc})"
    if truncated:
        return f"'{label}' is cut off: {truncated}; export the file again"
    try:
        samples = ffmpeg.decode(path, label=label, sample_rate=sample_rate)
    except AudioDecodeError as exc:
        if "matches no streams" in exc.reason:
            return f"'{label}' holds no audio (an image, or a video without sound?)"
        return f"cannot decode '{label}' as audio ({exc.reason}); use WAV, FLAC, MP3 or Ogg"
    seconds = len(samples) / sample_rate
    if seconds > max_seconds:
        return f"'{label}' is {seconds:.0f} s long; at most {max_seconds:.0f} s allowed here"
    if float(abs(samples).max()) < 1e-4:
        return f"'{label}' is silent"
    return None
