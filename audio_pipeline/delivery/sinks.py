"""Where the limited stream goes: ffmpeg encoders each fed from its own thread, WAV writers
that measure the samples they hold, the review clips cut from the programme; and the
decode-back measurement of a lossy file, as a partner plays it."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp, ffmpeg, wavfile
from audio_pipeline.audio.loudness import LoudnessMeter, SpanMeters, TruePeakMeter, db
from audio_pipeline.audio.waveform import AudioFacts, Waveform
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.results import Loudness, Segment
from audio_pipeline.inputs.profiles import OutputFormat

SR = defaults.SAMPLE_RATE


class _Worker:
    """Runs calls in the order given, on its own thread: metering beside the work that makes
    the blocks (libebur128 and numpy release the GIL, so it takes the other core). The queue
    is bounded, so a slow meter holds the producer back instead of piling blocks up; the
    first error is raised by `close`."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[tuple[Callable[..., None], tuple[object, ...]] | None] = (
            queue.Queue(maxsize=16)
        )
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    item[0](*item[1])
                except BaseException as exc:  # raised again by close(), in the caller
                    self._error = exc

    def submit(self, fn: Callable[..., None], *args: object) -> None:
        self._queue.put((fn, args))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class _EncoderFeed:
    """Feeds one ffmpeg encoder from its own thread, so encoders run side by side.

    `gain_db` compensates the encoder's own level change (see calibrate_codec).
    """

    def __init__(self, path: Path, fmt: OutputFormat, gain_db: float = 0.0) -> None:
        args, muxer = codec_args(fmt)
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
    """Writes a WAV deliverable and measures the samples it holds as they are written (the
    PCM integers, decoded as a reader decodes them), as a whole and message by message; it
    draws the file's waveform for the review page too. The review clips, when they are cut
    from this very file (`slices`), are written from its bytes, and their loudness is the
    loudness of its messages."""

    def __init__(
        self,
        path: Path,
        fmt: OutputFormat,
        spans: tuple[tuple[int, int, int], ...] = (),
        frames: int = 0,
    ) -> None:
        # room for the bext chunk (EBU Tech 3285), filled once the file has been measured
        self.path = path
        self.fmt = fmt
        self.writer = wavfile.WavWriter(
            path, SR, 1, f"pcm{fmt.bit_depth}", reserve=wavfile.BEXT_RESERVE_BYTES
        )
        self.meter = LoudnessMeter(SR, 1, maxima=True)
        self.spans = spans
        self.cue_meters: SpanMeters | None = None  # made at the first block (see takes_slices)
        self.waveform = Waveform(frames)
        self.slices: list[_SliceWriter] = []
        self._meters = _Worker(f"meter-{path.name}")

    def takes_slices(self, slices: list[_SliceWriter]) -> bool:
        """Cut the review clips (24-bit, the programme's own samples) from this file when it
        holds exactly those samples; they then measure its messages (loudness range too: the
        review page shows it), from this file's own K-weighting."""
        if self.fmt.bit_depth != 24:
            return False
        if list(self.spans) != [(c.segment.index, c.segment.start, c.segment.end) for c in slices]:
            return False
        self.slices = slices
        return True

    def __call__(self, start: int, block: np.ndarray) -> None:
        data, stored = self.writer.encode(block)  # PCM: no codec level to make up
        self.writer.write_encoded(data, len(stored))
        for clip in self.slices:
            clip.take(start, data)
        self._meters.submit(self._measure, start, stored)

    def _measure(self, start: int, stored: np.ndarray) -> None:
        if self.cue_meters is None:
            self.cue_meters = self.meter.spans(self.spans, lra=bool(self.slices))
        self.meter.add(stored)
        self.waveform.add(stored)
        for clip in self.slices:
            clip.measure(start, stored)

    def close(self) -> None:
        try:
            self.writer.close()
            for clip in self.slices:
                clip.close()
        finally:
            self._meters.close()  # joined whatever happened; its own error raised here

    def abort(self) -> None:
        # the error being handled is the one to tell: nothing here may hide it
        with contextlib.suppress(Exception):
            if not self.writer.closed:
                self.writer.close()
        for clip in self.slices:
            with contextlib.suppress(Exception):
                clip.abort()
        with contextlib.suppress(Exception):
            self._meters.close()

    def measured(self) -> FileMeasure:
        """What the finished file holds; its header is read back to be sure of its length."""
        frames = wavfile.read_info(self.path).frames
        if frames != self.writer.frames:
            raise RenderError(
                f"{self.path.name}: {frames} samples on disk, {self.writer.frames} written"
            )
        cue_meters = self.cue_meters or self.meter.spans(self.spans, lra=bool(self.slices))
        cues = cue_meters.results()
        by_index = dict(cues)
        for clip in self.slices:
            clip.measured(by_index[clip.segment.index])
        return FileMeasure(self.meter.result(), frames, cues)


class _SliceWriter:
    """Writes the programme samples of one segment to its own file: the clip as placed,
    measured and drawn (for the review page) from the samples the file holds. Cut from a
    WAV deliverable (`take`/`measure`), its loudness is that file's measurement of its span
    (`measured`) and only its true peak is measured here."""

    def __init__(self, path: Path, segment: Segment) -> None:
        self.segment = segment
        self.writer = wavfile.WavWriter(path, SR, 1, "pcm24")
        self.meter: LoudnessMeter | None = None  # written on its own: from first to last sample
        self.peak: TruePeakMeter | None = None  # cut from a WAV: its true peak only
        self.waveform = Waveform(segment.length)
        self._loudness: Loudness | None = None
        self._measured = 0

    def _span(self, start: int, length: int) -> tuple[int, int]:
        lo = max(start, self.segment.start)
        hi = min(start + length, self.segment.end)
        return lo - start, hi - start

    def __call__(self, start: int, block: np.ndarray) -> None:
        lo, hi = self._span(start, len(block))
        if lo < hi:
            self._measure(self.writer.write(block[lo:hi]))

    def take(self, start: int, data: bytes) -> None:
        """Write this clip's part of a block of a 24-bit mono WAV (its bytes)..."""
        lo, hi = self._span(start, len(data) // 3)
        if lo < hi:
            self.writer.write_encoded(memoryview(data)[3 * lo : 3 * hi], hi - lo)

    def measure(self, start: int, stored: np.ndarray) -> None:
        """... and the true peak and waveform of that part (the block as that WAV decodes
        it); its loudness comes from the WAV's meter (`measured`)."""
        lo, hi = self._span(start, len(stored))
        if lo < hi:
            if self.peak is None:
                self.peak = TruePeakMeter(SR)
            self.peak.add(stored[lo:hi])
            self.waveform.add(stored[lo:hi])

    def measured(self, loudness: Loudness) -> None:
        """The WAV's measurement of this clip's span, completed with its true peak."""
        peak = db(self.peak.finish()) if self.peak is not None else float("nan")
        self.peak = None
        self._loudness = replace(loudness, true_peak_dbtp=peak)

    def _measure(self, stored: np.ndarray) -> None:
        if self.meter is None:
            assert self._loudness is None, "a clip measured past its end"
            self.meter = LoudnessMeter(SR, 1)
        self.meter.add(stored)
        self.waveform.add(stored)
        self._measured += len(stored)
        if self._measured >= self.segment.end - self.segment.start:  # complete: free its meter
            self._loudness = self.meter.result()
            self.meter = None

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        if not self.writer.closed:
            self.writer.close()

    def loudness(self) -> Loudness:
        if self._loudness is None:
            self._loudness = (self.meter or LoudnessMeter(SR, 1)).result()
            self.meter = None
        return self._loudness

    def facts(self) -> AudioFacts:
        lo, hi = self.waveform.result()
        return AudioFacts(self.writer.frames, SR, self.loudness(), lo, hi)


def codec_args(fmt: OutputFormat) -> tuple[list[str], str]:
    """ffmpeg output arguments and muxer for an encoded format (core.codecs says which)."""
    spec = fmt.spec
    if spec.muxer is None:
        raise ValueError(f"no encoder for codec '{fmt.codec}'")
    return spec.encoder_args(fmt.sample_rate, fmt.bitrate_k, fmt.channels), spec.muxer


@dataclass(frozen=True)
class FileMeasure:
    loudness: Loudness
    frames: int
    cues: tuple[tuple[int, Loudness], ...]  # (cue index, loudness) per measured cue


def measure_file(
    path: Path,
    fmt: OutputFormat,
    spans: tuple[tuple[int, int, int], ...] = (),
    *,
    maxima: bool = False,
) -> FileMeasure:
    """Decode a deliverable back with ffmpeg and measure it, and each (index, start, end)
    span given in the file's own samples (their loudness only), in one K-weighting pass."""
    meter = LoudnessMeter(fmt.sample_rate, fmt.channels, maxima=maxima)
    cue_meters = meter.spans(spans)
    frames = 0
    for block in ffmpeg.decode_stream(
        path, label=path.name, sample_rate=fmt.sample_rate, channels=fmt.channels
    ):
        meter.add(block)
        frames += len(block)
    return FileMeasure(meter.result(), frames, cue_meters.results())
