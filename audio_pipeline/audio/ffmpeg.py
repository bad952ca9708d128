"""ffmpeg at the edges: decoding any input audio to float32 arrays, tempo changes, encoders.

ffmpeg comes from the imageio-ffmpeg wheel (ffmpeg 9 with libmp3lame and libsoxr). The wheel
has no ffprobe, so nothing here probes: ffmpeg's own demuxer detection reads files, and raw
byte streams are always given an explicit format.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from audio_pipeline.core.errors import AudioDecodeError, PipelineError

ENV_FFMPEG = "AUDIO_PIPELINE_FFMPEG"
_BASE = ("-nostdin", "-hide_banner", "-loglevel", "error")


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary: $AUDIO_PIPELINE_FFMPEG, else the one inside imageio-ffmpeg."""
    exe = os.environ.get(ENV_FFMPEG)
    if not exe:
        try:
            import imageio_ffmpeg

            exe = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception as exc:  # the wheel raises RuntimeError when its binary is missing
            raise PipelineError(
                f"ffmpeg not found ({exc}); reinstall with `pip install imageio-ffmpeg` "
                f"or set {ENV_FFMPEG}"
            ) from exc
    return exe


@functools.cache
def version() -> str:
    """The first line of `ffmpeg -version`: what made a stored result (cache keys)."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-version"], capture_output=True, stdin=subprocess.DEVNULL, check=False
    )
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    return lines[0].strip() if lines else "unknown"


def _last_line(stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "ffmpeg failed"


def decode(
    source: Path | bytes,
    *,
    label: str,
    sample_rate: int,
    channels: int = 1,
    input_format: str | None = None,
) -> np.ndarray:
    """Decode a file or a byte string to float32 samples at `sample_rate`.

    Returns shape (n,) for mono, (n, channels) otherwise. Resampling is done by libsoxr inside
    ffmpeg, in the same pass as the decode. Raises AudioDecodeError naming `label`.
    """
    cmd = [ffmpeg_exe(), *_BASE]
    if input_format:
        cmd += ["-f", input_format]
    cmd += ["-i", "pipe:0" if isinstance(source, bytes) else str(source)]
    cmd += ["-map", "0:a:0", "-vn", "-sn", "-dn"]
    cmd += ["-af", f"aresample={sample_rate}:resampler=soxr", "-ac", str(channels)]
    cmd += ["-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"]
    try:
        proc = subprocess.run(
            cmd,
            input=source if isinstance(source, bytes) else None,
            stdin=None if isinstance(source, bytes) else subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise AudioDecodeError(label, f"cannot run ffmpeg: {exc}") from exc
    if proc.returncode != 0:
        raise AudioDecodeError(label, _last_line(proc.stderr))
    samples = np.frombuffer(proc.stdout, dtype="<f4")
    usable = len(samples) - len(samples) % channels
    if usable == 0:
        raise AudioDecodeError(label, "no audio samples in the file")
    out = samples[:usable].astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise AudioDecodeError(label, "decoded audio holds NaN or infinite samples")
    return out if channels == 1 else out.reshape(-1, channels)


def change_tempo(samples: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """Time-stretch mono float32 audio by `factor` (>1 is faster), pitch kept (ffmpeg atempo).

    gTTS has only normal and slow speeds, so tempo is set after synthesis.
    """
    if abs(factor - 1.0) < 1e-9:
        return samples
    cmd = [ffmpeg_exe(), *_BASE, "-f", "f32le", "-ar", str(sample_rate), "-ac", "1"]
    cmd += ["-i", "pipe:0", "-af", f"atempo={factor:.6f}", "-f", "f32le", "pipe:1"]
    proc = subprocess.run(
        cmd, input=np.ascontiguousarray(samples, dtype="<f4").tobytes(), capture_output=True
    )
    if proc.returncode != 0:
        raise PipelineError(f"ffmpeg atempo failed: {_last_line(proc.stderr)}")
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)


def encoder(
    output: Path,
    *,
    sample_rate: int,
    channels: int,
    codec_args: list[str],
    output_format: str,
) -> subprocess.Popen[bytes]:
    """Start an ffmpeg encoder reading float32 interleaved samples on stdin.

    `-bitexact` and `-map_metadata -1` keep the output free of encoder timestamps and of any
    metadata we did not put there ourselves (nothing identifying may reach the files).
    """
    cmd = [ffmpeg_exe(), *_BASE, "-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels)]
    cmd += ["-i", "pipe:0", "-map_metadata", "-1", "-fflags", "+bitexact"]
    cmd += ["-flags:a", "+bitexact", *codec_args, "-f", output_format, "-y", str(output)]
    return subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


# ffmpeg reports a failed write as text; these are turned back into the OSError they were,
# so a full or read-only disk reads the same whichever writer met it first
_WRITE_ERRORS = tuple((errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES))


def finish_encoder(proc: subprocess.Popen[bytes], label: str, path: Path | None = None) -> None:
    """Close stdin, wait, and raise with ffmpeg's own last line on failure (an OSError when
    that line is the system's "No space left on device" and the like)."""
    if proc.stdin is not None and not proc.stdin.closed:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
    stderr = proc.stderr.read() if proc.stderr is not None else b""
    code = proc.wait()
    if code != 0:
        text = stderr.decode("utf-8", "replace")
        for number in _WRITE_ERRORS:
            if os.strerror(number) in text:
                raise OSError(number, os.strerror(number), str(path or label))
        raise PipelineError(f"encoding {label} failed: {_last_line(stderr)}")


def decode_stream(
    path: Path, *, label: str, sample_rate: int, channels: int = 1, block: int = 1 << 16
) -> Iterator[np.ndarray]:
    """Decode a file in blocks of `block` frames (float32), never holding it whole.

    Used to measure deliverables after encoding: a two-hour programme decoded at once would
    take more memory than the whole render is allowed.

    ffmpeg (7 and later) runs the demuxer, decoder, filters, encoder and muxer each on its own
    thread and hands every frame over: an MP3 frame is 1152 samples, and for a 30-minute file
    the hand-overs cost more system time than the decoding itself. Gathering the decoded
    audio into frames of `block` samples (asetnsamples, without padding: the same samples)
    before the PCM encoder halves the decode-back's system time.
    """
    cmd = [ffmpeg_exe(), *_BASE, "-i", str(path), "-map", "0:a:0", "-vn"]
    gather = f"asetnsamples=n={block}:p=0"
    cmd += ["-af", f"aresample={sample_rate}:resampler=soxr,{gather}", "-ac", str(channels)]
    cmd += ["-f", "f32le", "-c:a", "pcm_f32le", "pipe:1"]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    frame_bytes = 4 * channels
    leftover = b""
    try:
        while True:
            chunk = proc.stdout.read(block * frame_bytes)
            if not chunk:
                break
            data = leftover + chunk
            usable = len(data) - len(data) % frame_bytes
            leftover = data[usable:]
            if usable:
                samples = np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
                yield samples if channels == 1 else samples.reshape(-1, channels)
    finally:
        if proc.poll() is None:
            proc.stdout.close()
        stderr = proc.stderr.read()
        code = proc.wait()
    if code != 0:
        raise AudioDecodeError(label, _last_line(stderr))
