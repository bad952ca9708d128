"""Stage: master the programme and write every deliverable in one streaming pass.

Pass 1 measures the mixed programme (EBU R128). Pass 2 applies the one gain that brings it
to the target, runs a look-ahead true-peak limiter where a block comes near the ceiling,
and tees each block to the WAV writer, the ffmpeg encoders (each fed by its own thread, so
they encode in parallel), and the per-message review clips. Each deliverable is then decoded
back by ffmpeg and measured: what is reported is what a partner will play. An encoded file
whose decoded true peak overshoots the ceiling (MP3 adds overshoot) is encoded again with
that much more headroom; one that still cannot comply fails the render.
"""

from __future__ import annotations

import logging
import math
import queue
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import defaults, dsp, ffmpeg, wavfile
from .errors import RenderError
from .loudness import LoudnessMeter, integrated_lufs
from .mixdown import Mixdown
from .models import Deliverable, Loudness, Programme, Segment

log = logging.getLogger(__name__)
SR = defaults.SAMPLE_RATE
CONTEXT = 4096  # samples of look-ahead/behind for the limiter: > hold + look-ahead + FIR
LIMIT_MARGIN_DB = 0.05
MAX_ENCODE_ROUNDS = 3
ENCODED_TOLERANCE_LU = 0.2  # an encoded file further than this from the master is redone

Sink = Callable[[int, np.ndarray], None]


@dataclass(frozen=True)
class OutputFormat:
    """One file of the delivery: container/codec, rate, channels."""

    name: str  # wav | mp3
    sample_rate: int = SR
    channels: int = 1
    bit_depth: int = defaults.WAV_BIT_DEPTH
    bitrate_k: int = defaults.MP3_BITRATE_K

    @property
    def extension(self) -> str:
        return self.name

    def filename(self, stem: str) -> str:
        return f"{stem}.{self.extension}"

    def codec_args(self) -> tuple[list[str], str]:
        """ffmpeg output arguments and muxer for an encoded format."""
        args: list[str] = []
        if self.sample_rate != SR:
            args += ["-af", f"aresample={self.sample_rate}:resampler=soxr"]
        args += ["-ar", str(self.sample_rate), "-ac", str(self.channels)]
        if self.name == "mp3":
            # no ID3 from ffmpeg (tags are ours to write); keep the Xing/LAME header, which
            # carries encoder delay and padding so decoders restore the exact length
            args += ["-c:a", "libmp3lame", "-b:a", f"{self.bitrate_k}k", "-id3v2_version", "0"]
            return args, "mp3"
        raise ValueError(f"no encoder for format '{self.name}'")


DEFAULT_FORMATS = (OutputFormat("wav"), OutputFormat("mp3"))


class _EncoderFeed:
    """Feeds one ffmpeg encoder from its own thread, so encoders run side by side.

    `gain_db` compensates the encoder's own level change (see encoder_gain_db).
    """

    def __init__(self, path: Path, fmt: OutputFormat, gain_db: float = 0.0) -> None:
        args, muxer = fmt.codec_args()
        self.path = path
        self.label = path.name
        self.gain = dsp.db_to_gain(gain_db)
        self.proc = ffmpeg.encoder(
            path, sample_rate=SR, channels=1, codec_args=args, output_format=muxer
        )
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"enc-{path.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        while True:
            item = self.queue.get()
            if item is None:
                break
            if self.error is None:
                try:
                    stdin.write(item)
                except (BrokenPipeError, OSError) as exc:
                    self.error = exc

    def __call__(self, start: int, block: np.ndarray) -> None:
        scaled = block if self.gain == 1.0 else block.astype(np.float64) * self.gain
        self.queue.put(np.ascontiguousarray(scaled, dtype="<f4").tobytes())

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        ffmpeg.finish_encoder(self.proc, self.label, self.path)

    def abort(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.proc.kill()
        self.proc.wait()


class _WavSink:
    def __init__(self, writer: wavfile.WavWriter) -> None:
        self.writer = writer

    def __call__(self, start: int, block: np.ndarray) -> None:
        self.writer.write(block)


class _SliceWriter:
    """Writes the programme samples of one segment to its own file: the clip as placed."""

    def __init__(self, path: Path, segment: Segment) -> None:
        self.segment = segment
        self.writer = wavfile.WavWriter(path, SR, 1, "pcm24")

    def __call__(self, start: int, block: np.ndarray) -> None:
        lo = max(start, self.segment.start)
        hi = min(start + len(block), self.segment.end)
        if lo < hi:
            self.writer.write(block[lo - start : hi - start])

    def close(self) -> None:
        self.writer.close()


CALIBRATION_S = 20.0


def encoder_gain_db(fmt: OutputFormat, excerpt: np.ndarray) -> float:
    """How much the encoder changes the level of this programme's audio.

    LAME in CBR mode returns speech about 0.4 dB quieter than it was given (flat across the
    spectrum; more on broadband noise, so the excerpt must be the programme's own audio).
    Encoding a short excerpt and measuring it back gives the gain that makes the decoded
    deliverable read what the master reads; the whole file is still measured afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="ap-calibrate-") as tmp:
        path = Path(tmp) / fmt.filename("calibration")
        feed = _EncoderFeed(path, fmt)
        feed(0, excerpt)
        feed.close()
        measured, _ = measure_file(path, fmt)
    change = measured.integrated_lufs - integrated_lufs(excerpt, SR)
    return -change if math.isfinite(change) else 0.0


def calibration_excerpt(mix: Mixdown, gain_db: float) -> np.ndarray:
    """Up to CALIBRATION_S of the first message (the speech the deliverable is made of)."""
    programme = mix.programme
    speech = [s for s in programme.segments if s.message_id] or list(programme.segments)
    start = speech[0].start
    stop = min(programme.length, start + round(CALIBRATION_S * SR))
    return (mix.render(start, stop) * dsp.db_to_gain(gain_db)).astype(np.float32)


def measure_mix(mix: Mixdown, block: int = defaults.BLOCK_SAMPLES) -> Loudness:
    meter = LoudnessMeter(SR, 1)
    for start, stop in mix.blocks(block):
        meter.add(mix.render(start, stop))
    return meter.result()


def stream_master(
    mix: Mixdown,
    gain_db: float,
    ceiling_dbtp: float,
    sinks: list[Sink],
    block: int = defaults.BLOCK_SAMPLES,
) -> None:
    """Gain, then the true-peak limiter where needed, block by block, to every sink.

    Each block is computed with CONTEXT samples of programme either side, so the limiter
    sees a peak before it arrives and the result does not depend on where blocks fall.
    """
    gain = dsp.db_to_gain(gain_db)
    limit_at = ceiling_dbtp - LIMIT_MARGIN_DB
    for start, stop in mix.blocks(block):
        x = mix.render(start - CONTEXT, stop + CONTEXT)
        x = (x.astype(np.float64) * gain).astype(np.float32)
        if dsp.exceeds_ceiling(x, limit_at):
            x = dsp.apply_gain_curve(x, dsp.limiter_gain(x, SR, limit_at))
        out = x[CONTEXT : CONTEXT + (stop - start)]
        for sink in sinks:
            sink(start, out)


def measure_file(path: Path, fmt: OutputFormat) -> tuple[Loudness, int]:
    """Decode a deliverable back with ffmpeg and measure it. Returns (loudness, frames)."""
    meter = LoudnessMeter(fmt.sample_rate, fmt.channels)
    frames = 0
    for block in ffmpeg.decode_stream(
        path, label=path.name, sample_rate=fmt.sample_rate, channels=fmt.channels
    ):
        meter.add(block)
        frames += len(block)
    return meter.result(), frames


@dataclass(frozen=True)
class MasterResult:
    loudness: Loudness  # the programme as delivered in the WAV, decoded back
    deliverables: tuple[Deliverable, ...]
    gain_db: float


def master(
    programme: Programme,
    out_dir: Path,
    stem: str,
    *,
    target_lufs: float,
    ceiling_dbtp: float,
    formats: tuple[OutputFormat, ...] = DEFAULT_FORMATS,
    clips_dir: Path | None = None,
    clip_segments: list[Segment] | None = None,
) -> MasterResult:
    mix = Mixdown(programme)
    try:
        raw = measure_mix(mix)
        if not math.isfinite(raw.integrated_lufs):
            raise RenderError("the programme is silent; nothing to deliver")
        gain_db = target_lufs - raw.integrated_lufs

        wav_formats = [f for f in formats if f.name == "wav"]
        encoded = [f for f in formats if f.name != "wav"]
        sinks: list[Sink] = []
        wav_writers: list[wavfile.WavWriter] = []
        for fmt in wav_formats:
            if fmt.sample_rate != SR or fmt.channels != 1:
                raise RenderError("WAV deliverables are written at the working rate, mono")
            writer = wavfile.WavWriter(out_dir / fmt.filename(stem), SR, 1, f"pcm{fmt.bit_depth}")
            wav_writers.append(writer)
            sinks.append(_WavSink(writer))
        slices: list[_SliceWriter] = []
        if clips_dir is not None:
            clips_dir.mkdir(exist_ok=True)
            for seg in clip_segments or []:
                slices.append(_SliceWriter(clips_dir / f"{seg.message_id}.wav", seg))
        sinks += slices

        ceilings = {f: ceiling_dbtp for f in encoded}
        excerpt = calibration_excerpt(mix, gain_db) if encoded else None
        gains = {f: encoder_gain_db(f, excerpt) for f in encoded if excerpt is not None}
        pending = list(encoded)
        results: dict[OutputFormat, tuple[Loudness, int]] = {}
        for round_no in range(1, MAX_ENCODE_ROUNDS + 1):
            feeds = [_EncoderFeed(out_dir / f.filename(stem), f, gains[f]) for f in pending]
            try:
                # formats with the same ceiling share one pass; the first pass also writes
                # the WAV and the clips
                groups: dict[float, list[Sink]] = {}
                for fmt, feed in zip(pending, feeds, strict=True):
                    groups.setdefault(ceilings[fmt], []).append(feed)
                if round_no == 1:
                    groups.setdefault(ceiling_dbtp, []).extend(sinks)
                for ceiling, group in groups.items():
                    stream_master(mix, gain_db, ceiling, group)
            except BaseException:
                for feed in feeds:
                    feed.abort()
                raise
            for feed in feeds:
                feed.close()
            if round_no == 1:
                for writer in wav_writers:
                    writer.close()
                for s in slices:
                    s.close()
            still: list[OutputFormat] = []
            for fmt in pending:
                measured = measure_file(out_dir / fmt.filename(stem), fmt)
                results[fmt] = measured
                level_error = target_lufs - measured[0].integrated_lufs
                over = measured[0].true_peak_dbtp - ceiling_dbtp
                if abs(level_error) > ENCODED_TOLERANCE_LU or over > 0:
                    if abs(level_error) > ENCODED_TOLERANCE_LU:
                        gains[fmt] += level_error
                    if over > 0:
                        ceilings[fmt] -= over + 0.1  # encoder overshoot: give it headroom
                    still.append(fmt)
            if still:
                log.info(
                    "re-encoding %s (round %d): gains %s, ceilings %s",
                    still,
                    round_no + 1,
                    gains,
                    ceilings,
                )
            pending = still
            if not pending:
                break
        if pending:
            names = ", ".join(f.filename(stem) for f in pending)
            raise RenderError(
                f"{names}: after encoding, the loudness or true peak stays outside the target "
                f"({target_lufs} LUFS, {ceiling_dbtp} dBTP); "
                "lower true_peak_dbtp or raise the bitrate"
            )
        for fmt in wav_formats:
            results[fmt] = measure_file(out_dir / fmt.filename(stem), fmt)
    finally:
        mix.close()

    deliverables = []
    for fmt in formats:
        loud, frames = results[fmt]
        expected = round(programme.length * fmt.sample_rate / SR)
        if abs(frames - expected) > max(2, fmt.sample_rate // 1000):
            raise RenderError(
                f"{fmt.filename(stem)} decodes to {frames} samples, expected {expected}: "
                "the encoder lost or added audio"
            )
        deliverables.append(
            Deliverable(out_dir / fmt.filename(stem), fmt.name, fmt.sample_rate, loud)
        )
    programme_loudness = results[wav_formats[0]][0] if wav_formats else deliverables[0].loudness
    assert programme_loudness is not None
    return MasterResult(programme_loudness, tuple(deliverables), gain_db)
