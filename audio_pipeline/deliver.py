"""Stage: master the programme for every delivery profile and write every deliverable.

Two reads of the programme serve every profile at once. The first measures each profile's
processed speech without the music bed (the speech stays the loudness reference, so a bed
can never raise it: issue 3), giving each profile its one gain and its per-segment trims.
The second streams the programme block by block through each profile's processing chain
(band limit, speech levelling), the trims, the gain and a look-ahead true-peak limiter per
group of files that share a ceiling, into every file of every profile at once: WAV writers,
ffmpeg encoders each fed by its own thread (so they encode side by side, on every core), and
for the first profile the per-message review clips. Nothing of the programme is held whole.

Every file is then measured as a partner plays it, as a whole and message by message. A WAV
is measured from the very samples written to it (its PCM integers, decoded as a reader
decodes them: what ffmpeg would decode, bit for bit), while it is written; a lossy file is
decoded back by ffmpeg, all of them side by side. A file off its target by more than
ENCODED_TOLERANCE_LU, or over its ceiling (MP2/MP3 add overshoot), is made again with the
gain or headroom it lacked; one that still cannot comply fails the render, as does a message
more than 0.5 LU off target.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import bwf, defaults, dsp, ffmpeg, wavfile
from .errors import RenderError
from .loudness import LoudnessMeter, SpanMeters, integrated_lufs
from .mixdown import Mixdown
from .models import Deliverable, Loudness, Programme, Segment, SegmentKind
from .processing import Chain, build_chain
from .profiles import DeliveryProfile, OutputFormat
from .review import AudioFacts, Waveform

log = logging.getLogger(__name__)
SR = defaults.SAMPLE_RATE
CONTEXT = 4096  # samples of look-ahead/behind for the limiter: > hold + look-ahead + FIR
LIMIT_MARGIN_DB = 0.05
MAX_ENCODE_ROUNDS = 4
ENCODED_TOLERANCE_LU = 0.15  # a file further than this from its target is made again
MESSAGE_TOLERANCE_LU = 0.5  # issue 3: no message more than 0.5 LU from the target
CALIBRATION_S = 20.0
CODEC_TP_SAFETY_DB = 0.3  # headroom below the ceiling for a lossy codec's overshoot


class StreamLimiter:
    """The look-ahead true-peak limiter of dsp.limiter_gain, on a stream of any block sizes.

    Output lags input: each sample leaves once CONTEXT samples after it have arrived, and is
    limited with CONTEXT samples either side, so the result equals limiting the whole
    signal at once (the gain curve reaches less far than CONTEXT).
    """

    def __init__(self, ceiling_dbtp: float) -> None:
        self.ceiling = ceiling_dbtp
        self._history = np.zeros(CONTEXT, dtype=np.float32)  # silence before the start
        self._buffer = np.zeros(0, dtype=np.float32)

    def _limit(self, window: np.ndarray, emit: int) -> np.ndarray:
        if dsp.exceeds_ceiling(window, self.ceiling):
            window = dsp.apply_gain_curve(window, dsp.limiter_gain(window, SR, self.ceiling))
        return window[CONTEXT : CONTEXT + emit]

    def push(self, block: np.ndarray) -> Iterator[np.ndarray]:
        self._buffer = np.concatenate([self._buffer, block.astype(np.float32)])
        emit = len(self._buffer) - CONTEXT
        if emit <= 0:
            return
        window = np.concatenate([self._history, self._buffer])
        yield self._limit(window, emit)
        self._history = window[emit : emit + CONTEXT]
        self._buffer = self._buffer[emit:]

    def flush(self) -> Iterator[np.ndarray]:
        if len(self._buffer):
            pad = np.zeros(CONTEXT, dtype=np.float32)
            yield self._limit(np.concatenate([self._history, self._buffer, pad]), len(self._buffer))
        self._buffer = self._buffer[:0]


MAX_TRIM_DB = 3.0  # the most a message is trimmed to match the others after processing


def _limit_whole(x: np.ndarray, ceiling_dbtp: float) -> Iterator[np.ndarray]:
    limiter = StreamLimiter(ceiling_dbtp)
    yield from limiter.push(x)
    yield from limiter.flush()


def profile_chain(profile: DeliveryProfile, reference_db: float) -> Chain:
    return build_chain(profile.band, profile.levelling, reference_db, SR)


@dataclass(frozen=True)
class Trims:
    """Per-segment gain trims (dB), ramping linearly in dB across the gaps between segments,
    so every message (and bumper) leaves the profile at the same loudness: a profile's
    levelling or band limit treats pieces differently, and the listener must never ride the
    volume between messages."""

    spans: tuple[tuple[int, int, float], ...]  # (start, end, trim dB), in programme order

    @functools.cached_property
    def _breakpoints(self) -> tuple[np.ndarray, np.ndarray]:
        # each message's span at its trim; interpolation fills the gaps, and before the
        # first / after the last message the trim of the nearest one holds
        xs = np.array([x for s, e, _ in self.spans for x in (s, e - 1)], dtype=np.float64)
        ys = np.array([t for _, _, t in self.spans for _ in (0, 1)], dtype=np.float64)
        return xs, ys

    def curve(self, start: int, stop: int) -> np.ndarray | np.float64 | None:
        """The gain over samples [start, stop): an array, or one number where it is constant
        over the whole block (most blocks lie inside one segment)."""
        if not self.spans:
            return None
        xs, ys = self._breakpoints
        ends = np.interp([start, stop - 1], xs, ys)
        inside = ys[np.searchsorted(xs, start, "right") : np.searchsorted(xs, stop - 1, "left")]
        if ends[0] == ends[1] and bool(np.all(inside == ends[0])):
            return np.float64(10 ** (ends[0] / 20))
        db = np.interp(np.arange(start, stop, dtype=np.float64), xs, ys)
        return np.asarray(10 ** (db / 20), dtype=np.float64)


def segment_trims(programme: Programme, levels: dict[int, float], reference: float) -> Trims:
    spans = []
    for seg in programme.segments:
        level = levels.get(seg.index)
        if level is not None and math.isfinite(level):
            trim = max(-MAX_TRIM_DB, min(MAX_TRIM_DB, reference - level))
            # anchor on the body, outside the fades: cross-faded pieces overlap there
            body_start = seg.start + seg.fade_in
            body_end = max(body_start + 2, seg.end - seg.fade_out)
            spans.append((body_start, body_end, trim))
    return Trims(tuple(spans))


class ProfileStream:
    """One profile's processing of the programme, fed block by block: the speech through the
    profile's whole chain and the trims; the bed only through its band limit, joining after
    the levelling (a leveller lifts whatever plays between phrases, and lifting the bed would
    let it pull the speech around). Output lags input by the chain's lag; `flush` ends it.
    The result is float64, before the gain of the file group that takes it."""

    def __init__(
        self,
        mix: Mixdown,
        profile: DeliveryProfile,
        reference_db: float,
        *,
        trims: Trims | None = None,
        bed: bool = True,
    ) -> None:
        self.chain = profile_chain(profile, reference_db)
        self.with_bed = bed and mix.programme.bed is not None
        self.bed_chain = (
            build_chain(profile.band, None, reference_db, SR) if self.with_bed else None
        )
        self.bed_fifo = np.zeros(0, dtype=np.float32)  # bed samples waiting for their speech
        self.trims = trims
        self.position = 0

    def _finish(self, x: np.ndarray) -> np.ndarray:
        curve = self.trims.curve(self.position, self.position + len(x)) if self.trims else None
        self.position += len(x)
        y = x.astype(np.float64) if curve is None else x * curve
        if self.with_bed:
            y = y + self.bed_fifo[: len(x)]
            self.bed_fifo = self.bed_fifo[len(x) :]
        return y

    def feed(self, speech: np.ndarray, bed: np.ndarray | None) -> np.ndarray:
        """`speech` (and the bed) of the next block of the programme, unprocessed."""
        if self.bed_chain is not None and bed is not None:
            self.bed_fifo = np.concatenate([self.bed_fifo, self.bed_chain.process(bed)])
        return self._finish(self.chain.process(speech))

    def flush(self) -> np.ndarray:
        return self._finish(self.chain.flush())


def _gained(y: np.ndarray, gain: float) -> np.ndarray:
    return (y * gain if gain != 1.0 else y).astype(np.float32)


class _SpeechMeter:
    """Pass 1 of one profile: its processed speech without the bed, unlimited, measured as a
    whole and segment by segment (loudness only: nothing here reads a true peak)."""

    def __init__(self, mix: Mixdown, profile: DeliveryProfile, reference_db: float) -> None:
        self.stream = ProfileStream(mix, profile, reference_db, bed=False)
        self.meter = LoudnessMeter(SR, 1, true_peak=False)
        segments = mix.programme.segments
        # Through a profile that processes nothing, a segment that overlaps no other (no
        # fades) leaves this pass as the very samples its normalization measured: its
        # loudness is known, and measured once (libebur128 does not depend on block sizes).
        plain = not self.stream.chain.processors
        self.known = {
            s.index: s.loudness.integrated_lufs
            for s in segments
            if plain and not s.fade_in and not s.fade_out
        }
        self.meters = SpanMeters(
            [(s.index, s.start, s.end) for s in segments if s.index not in self.known], SR
        )
        self.position = 0

    def add(self, y: np.ndarray) -> None:
        block = y.astype(np.float32)
        self.meter.add(block)
        self.meters.add(self.position, block)
        self.position += len(block)

    def result(self) -> tuple[Loudness, dict[int, float]]:
        self.add(self.stream.flush())
        levels = {i: loud.integrated_lufs for i, loud in self.meters.results()}
        return self.meter.result(), {**self.known, **levels}


def measure_speech_all(
    mix: Mixdown, profiles: Sequence[DeliveryProfile], reference_db: float
) -> list[tuple[Loudness, dict[int, float]]]:
    """Pass 1 for every profile in one read of the programme: each profile's speech loudness
    and each segment's (by segment index). The true peak of the result is not measured."""
    meters = [_SpeechMeter(mix, p, reference_db) for p in profiles]
    for start, stop in mix.blocks(defaults.BLOCK_SAMPLES):
        speech = mix.render(start, stop, bed=False)
        for m in meters:
            m.add(m.stream.feed(speech, None))
    return [m.result() for m in meters]


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
        # room for the bext chunk (issue 4), filled once the file has been measured
        self.path = path
        self.fmt = fmt
        self.writer = wavfile.WavWriter(
            path, SR, 1, f"pcm{fmt.bit_depth}", reserve=bwf.RESERVE_BYTES
        )
        self.meter = LoudnessMeter(SR, 1, maxima=True)
        self.cue_meters = SpanMeters(spans, SR)
        self.waveform = Waveform(frames)
        self.slices: list[_SliceWriter] = []
        self._meters = _Worker(f"meter-{path.name}")

    def takes_slices(self, slices: list[_SliceWriter]) -> bool:
        """Cut the review clips (24-bit, the programme's own samples) from this file when it
        holds exactly those samples; they then measure its messages."""
        spans = list(self.cue_meters.spans)
        if self.fmt.bit_depth != 24:
            return False
        if spans != [(c.segment.index, c.segment.start, c.segment.end) for c in slices]:
            return False
        self.slices = slices
        self.cue_meters = SpanMeters((), SR)
        return True

    def __call__(self, start: int, block: np.ndarray) -> None:
        data, stored = self.writer.encode(block)  # PCM: no codec level to make up
        self.writer.write_encoded(data, len(stored))
        for clip in self.slices:
            clip.take(start, data)
        self._meters.submit(self._measure, start, stored)

    def _measure(self, start: int, stored: np.ndarray) -> None:
        self.meter.add(stored)
        self.cue_meters.add(start, stored)
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
        cues = self.cue_meters.results()
        cues += tuple((c.segment.index, c.loudness()) for c in self.slices)
        return FileMeasure(self.meter.result(), frames, cues)


class _SliceWriter:
    """Writes the programme samples of one segment to its own file: the clip as placed,
    measured and drawn (for the review page) from the samples the file holds."""

    def __init__(self, path: Path, segment: Segment) -> None:
        self.segment = segment
        self.writer = wavfile.WavWriter(path, SR, 1, "pcm24")
        self.meter: LoudnessMeter | None = None  # from the clip's first sample to its last
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
        """... and measure that part (the block as that WAV decodes it)."""
        lo, hi = self._span(start, len(stored))
        if lo < hi:
            self._measure(stored[lo:hi])

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
    """ffmpeg output arguments and muxer for an encoded format."""
    args: list[str] = []
    if fmt.sample_rate != SR:
        args += ["-af", f"aresample={fmt.sample_rate}:resampler=soxr"]
    args += ["-ar", str(fmt.sample_rate), "-ac", str(fmt.channels)]
    if fmt.codec == "mp3":
        # no ID3 from ffmpeg (tags are ours to write); keep the Xing/LAME header, which
        # carries encoder delay and padding so decoders restore the exact length
        args += ["-c:a", "libmp3lame", "-b:a", f"{fmt.bitrate_k}k", "-id3v2_version", "0"]
        return args, "mp3"
    if fmt.codec == "mp2":
        args += ["-c:a", "mp2", "-b:a", f"{fmt.bitrate_k}k"]
        return args, "mp2"
    raise ValueError(f"no encoder for codec '{fmt.codec}'")


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
    span given in the file's own samples (their loudness only)."""
    meter = LoudnessMeter(fmt.sample_rate, fmt.channels, maxima=maxima)
    cue_meters = SpanMeters(spans, fmt.sample_rate, fmt.channels)
    frames = 0
    cue_worker = _Worker(f"cues-{path.name}")  # the messages beside the whole file
    try:
        for block in ffmpeg.decode_stream(
            path, label=path.name, sample_rate=fmt.sample_rate, channels=fmt.channels
        ):
            cue_worker.submit(cue_meters.add, frames, block)
            meter.add(block)
            frames += len(block)
    except BaseException:
        with contextlib.suppress(Exception):  # the decode's error is the one to tell
            cue_worker.close()
        raise
    cue_worker.close()
    return FileMeasure(meter.result(), frames, cue_meters.results())


@dataclass(frozen=True)
class Calibration:
    codec_gain_db: float  # make up for the codec's own level change
    ceiling_dbtp: float  # limiter ceiling that leaves room for the codec's overshoot
    delay: int = 0  # decoded audio starts this many samples (at the file's rate) late


MAX_CODEC_DELAY = 4096


def codec_delay(sent: np.ndarray, decoded: np.ndarray) -> int:
    """Samples (at the working rate) by which `decoded` lags `sent`, by cross-correlation.

    MP3 carries its encoder delay in the LAME header and ffmpeg removes it; raw MP2 has no
    such header, so its decoded audio starts 481 samples late (the layer II filterbank)."""
    n = min(len(sent), len(decoded)) - MAX_CODEC_DELAY
    if n <= MAX_CODEC_DELAY:
        return 0
    a = sent[:n].astype(np.float64)
    b = decoded[: n + MAX_CODEC_DELAY].astype(np.float64)
    # corr[k] = sum_i b[i + k] a[i] for k in 0..MAX_CODEC_DELAY, through the FFT
    size = 1 << (len(b) + len(a) - 1).bit_length()
    full = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    return int(np.argmax(full[: MAX_CODEC_DELAY + 1]))


def calibrate_codec(fmt: OutputFormat, limited: np.ndarray, ceiling_dbtp: float) -> Calibration:
    """How this codec changes the level and the peaks of this programme's audio.

    LAME in CBR mode returns speech about 0.4 dB quieter than it was given (flat across the
    spectrum; more on broadband noise, so the excerpt must be the programme's own audio), and
    lossy codecs add overshoot above the limiter's ceiling. Encoding a short excerpt of the
    limited programme and measuring it back gives both; the whole file is still measured
    afterwards, and made again if it misses.
    """
    if fmt.codec == "wav" or not len(limited):
        return Calibration(0.0, ceiling_dbtp)
    with tempfile.TemporaryDirectory(prefix="ap-calibrate-") as tmp:
        path = Path(tmp) / f"calibration.{fmt.extension}"
        feed = _EncoderFeed(path, fmt)
        feed(0, limited)
        feed.close()
        measured = measure_file(path, fmt)
        decoded = ffmpeg.decode(path, label=path.name, sample_rate=SR)
    change = measured.loudness.integrated_lufs - integrated_lufs(limited, SR)
    gain = -change if math.isfinite(change) else 0.0
    overshoot = max(0.0, measured.loudness.true_peak_dbtp + gain - ceiling_dbtp)
    delay = round(codec_delay(limited, decoded) * fmt.sample_rate / SR)
    # an excerpt shows less overshoot than the whole programme will: keep a safety margin
    return Calibration(gain, ceiling_dbtp - overshoot - CODEC_TP_SAFETY_DB, delay)


def calibration_excerpt(
    mix: Mixdown, profile: DeliveryProfile, reference_db: float, gain_db: float, trims: Trims
) -> np.ndarray:
    """Up to CALIBRATION_S of the first message as this profile delivers it: through the
    profile's own stream (its chain and trims on the speech, the bed joining after the
    levelling), as pass 2 will make it."""
    programme = mix.programme
    speech = [s for s in programme.segments if s.message_id] or list(programme.segments)
    start = speech[0].start
    stop = min(programme.length, start + round(CALIBRATION_S * SR))
    stream = ProfileStream(mix, profile, reference_db, trims=trims)
    stream.position = start
    bed = mix.render_bed(start, stop) if stream.with_bed else None
    x = np.concatenate([stream.feed(mix.render(start, stop, bed=False), bed), stream.flush()])
    return (x * dsp.db_to_gain(gain_db)).astype(np.float32)


def _scaled_spans(
    programme: Programme, rate: int, offset: int = 0
) -> tuple[tuple[int, int, int], ...]:
    scale = rate / programme.sample_rate
    return tuple(
        (c.index, round(c.start * scale) + offset, round(c.end * scale) + offset)
        for c in programme.cues
        if c.kind is SegmentKind.MESSAGE
    )


@dataclass
class _Plan:
    """One profile's mastering: its gain and trims from pass 1, and per file the codec's
    calibration, the level fix and limiter ceiling of the next encode, and the result."""

    profile: DeliveryProfile
    reference_db: float
    gain_db: float
    trims: Trims
    paths: dict[OutputFormat, Path]
    codec_gain: dict[OutputFormat, float]
    delays: dict[OutputFormat, int]
    ceilings: dict[OutputFormat, float]
    level_fix: dict[OutputFormat, float]
    results: dict[OutputFormat, FileMeasure] = field(default_factory=dict)

    @property
    def formats(self) -> list[OutputFormat]:
        return list(self.profile.formats)


def _plan_profile(
    mix: Mixdown,
    profile: DeliveryProfile,
    speech: Loudness,
    levels: dict[int, float],
    out_dir: Path,
    episode_id: str,
    reference_db: float,
) -> _Plan:
    """Gain and trims from pass 1; then a calibration on an excerpt: what the limiter costs
    in loudness (made up before it), and per file the codec's level change (made up after the
    limiter) and its true-peak overshoot (room left under the limiter's ceiling). So most
    files comply on the first encode."""
    if not math.isfinite(speech.integrated_lufs):
        raise RenderError(f"profile {profile.name}: the programme is silent; nothing to deliver")
    gain_db = profile.target_lufs - speech.integrated_lufs
    trims = segment_trims(mix.programme, levels, speech.integrated_lufs)
    ceiling = profile.true_peak_dbtp
    formats = list(profile.formats)
    excerpt = calibration_excerpt(mix, profile, reference_db, gain_db, trims)
    unlimited = integrated_lufs(excerpt, SR)
    limited_at: dict[float, np.ndarray] = {}

    def limited(at: float) -> np.ndarray:
        if at not in limited_at:
            limited_at[at] = np.concatenate(list(_limit_whole(excerpt, at - LIMIT_MARGIN_DB)))
        return limited_at[at]

    def limiter_loss(at: float) -> float:
        loss = unlimited - integrated_lufs(limited(at), SR)
        return loss if math.isfinite(loss) and loss > 0 else 0.0

    reference = limited(ceiling)
    with ThreadPoolExecutor(max_workers=max(1, len(formats))) as pool:  # encoders side by side
        calibration = dict(
            zip(
                formats,
                pool.map(lambda f: calibrate_codec(f, reference, ceiling), formats),
                strict=True,
            )
        )
    ceilings = {f: calibration[f].ceiling_dbtp for f in formats}
    return _Plan(
        profile=profile,
        reference_db=reference_db,
        gain_db=gain_db,
        trims=trims,
        paths={f: out_dir / f.filename(episode_id, profile.name) for f in formats},
        codec_gain={f: calibration[f].codec_gain_db for f in formats},
        delays={f: calibration[f].delay for f in formats},
        ceilings=ceilings,
        level_fix={f: limiter_loss(ceilings[f]) for f in formats},
    )


@dataclass
class _Group:
    """Files of one profile that share a gain and a limiter ceiling: one limited stream."""

    plan: _Plan
    formats: list[OutputFormat]
    gain: float
    limiter: StreamLimiter
    sinks: list[_EncoderFeed | _WavSink | _SliceWriter]
    position: int = 0

    def push(self, y: np.ndarray) -> None:
        for block in self.limiter.push(_gained(y, self.gain)):
            self._out(block)

    def flush(self) -> None:
        for block in self.limiter.flush():
            self._out(block)
        for fmt, sink in zip(self.formats, self.sinks, strict=False):
            delay = self.plan.delays[fmt]
            if delay:  # feed the codec's delay in silence: nothing is cut at the end
                sink(self.position, np.zeros(round(delay * SR / fmt.sample_rate) + 1, np.float32))

    def _out(self, block: np.ndarray) -> None:
        for sink in self.sinks:
            sink(self.position, block)
        self.position += len(block)


def _groups(plan: _Plan, pending: Sequence[OutputFormat], programme: Programme) -> list[_Group]:
    """The limited streams this round needs for `pending` files of one profile."""
    by_key: dict[tuple[float, float], list[OutputFormat]] = {}
    for fmt in pending:
        by_key.setdefault((plan.level_fix[fmt], plan.ceilings[fmt]), []).append(fmt)
    groups = []
    try:
        for (fix, ceiling), formats in by_key.items():
            group = _Group(
                plan,
                formats,
                dsp.db_to_gain(plan.gain_db + fix),
                StreamLimiter(ceiling - LIMIT_MARGIN_DB),
                [],
            )
            groups.append(group)
            for f in formats:
                if f.codec == "wav":
                    spans = _scaled_spans(programme, f.sample_rate, plan.delays[f])
                    group.sinks.append(_WavSink(plan.paths[f], f, spans, programme.length))
                else:
                    group.sinks.append(_EncoderFeed(plan.paths[f], f, plan.codec_gain[f]))
    except BaseException:
        _abort_all([sink for g in groups for sink in g.sinks])
        raise
    return groups


def _stream(mix: Mixdown, groups: list[_Group]) -> None:
    """Pass 2: one read of the programme into every group of every profile at once."""
    streams: dict[int, tuple[ProfileStream, list[_Group]]] = {}
    for g in groups:
        if id(g.plan) not in streams:
            stream = ProfileStream(mix, g.plan.profile, g.plan.reference_db, trims=g.plan.trims)
            streams[id(g.plan)] = (stream, [])
        streams[id(g.plan)][1].append(g)
    bed = any(s.with_bed for s, _ in streams.values())
    sinks = [sink for g in groups for sink in g.sinks]
    try:
        for start, stop in mix.blocks(defaults.BLOCK_SAMPLES):
            speech = mix.render(start, stop, bed=False)
            bed_block = mix.render_bed(start, stop) if bed else None
            for stream, members in streams.values():
                y = stream.feed(speech, bed_block)
                for g in members:
                    g.push(y)
        for stream, members in streams.values():
            y = stream.flush()
            for g in members:
                g.push(y)
                g.flush()
    except BaseException:
        _abort_all(sinks)
        raise
    _close_all(sinks)


def _abort_all(sinks: Sequence[_EncoderFeed | _WavSink | _SliceWriter]) -> None:
    """Abort every sink (the error being handled is the one raised: theirs are dropped)."""
    for sink in sinks:
        with contextlib.suppress(Exception):
            sink.abort()


def _close_all(sinks: Sequence[_EncoderFeed | _WavSink | _SliceWriter]) -> None:
    """Close every sink; on the first failure the others are aborted (no encoder is left
    waiting on its input, no thread on its queue) and that failure is raised."""
    for n, sink in enumerate(sinks):
        try:
            sink.close()
        except BaseException:
            _abort_all(sinks[n + 1 :])
            raise


def _check_length(path: Path, fmt: OutputFormat, frames: int, expected: int, delay: int) -> None:
    # an MPEG stream ends on a whole frame (1152 samples); anything else is lost audio
    slack = 2 * 1152 if fmt.codec in ("mp2", "mp3") and delay else max(2, fmt.sample_rate // 1000)
    if not expected - max(2, fmt.sample_rate // 1000) <= frames <= expected + slack:
        raise RenderError(
            f"{path.name} decodes to {frames} samples, expected {expected}: "
            "the encoder lost or added audio"
        )


@dataclass(frozen=True, eq=False)
class Delivery:
    """Every deliverable, and what the review page shows of the files written with them."""

    deliverables: list[Deliverable]
    clips: dict[str, AudioFacts]  # the review clips (clips/<message id>.wav), by message id
    waveforms: dict[str, tuple[np.ndarray, np.ndarray]]  # WAV deliverables, by file name


def deliver(
    programme: Programme,
    out_dir: Path,
    episode_id: str,
    profiles: list[DeliveryProfile],
    *,
    reference_db: float,
    clips_dir: Path | None = None,
) -> Delivery:
    """All deliverables of all profiles. The review clips are cut from the first profile."""
    mix = Mixdown(programme)
    slices: list[_SliceWriter] = []
    try:
        if clips_dir is not None:
            clips_dir.mkdir(exist_ok=True)
            for seg in programme.segments:
                if seg.kind is SegmentKind.MESSAGE:
                    slices.append(_SliceWriter(clips_dir / f"{seg.message_id}.wav", seg))
        speech = measure_speech_all(mix, profiles, reference_db)
        plans = [
            _plan_profile(mix, p, loud, levels, out_dir, episode_id, reference_db)
            for p, (loud, levels) in zip(profiles, speech, strict=True)
        ]
        waveforms = _encode_and_measure(mix, plans, slices)
    except BaseException:
        for s in slices:
            s.abort()
        raise
    finally:
        mix.close()
    return Delivery(
        [d for plan in plans for d in _deliverables(plan, programme)],
        {s.segment.message_id or "": s.facts() for s in slices},
        waveforms,
    )


def _encode_and_measure(
    mix: Mixdown, plans: list[_Plan], slices: list[_SliceWriter]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Encode every file, measure it, and make again (all at once) those that miss."""
    programme = mix.programme
    pending = {id(p): p.formats for p in plans}
    waveforms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for round_no in range(1, MAX_ENCODE_ROUNDS + 1):
        groups: list[_Group] = []
        try:
            for plan in plans:
                groups += _groups(plan, pending[id(plan)], programme)
        except BaseException:
            _abort_all([sink for g in groups for sink in g.sinks])
            raise
        if round_no == 1 and groups and slices:
            # the review clips ride along with the first stream: cut from its WAV if it
            # has one that holds their very samples, else written on their own
            first = groups[0]
            first_wavs = [s for s in first.sinks if isinstance(s, _WavSink)]
            if not any(w.takes_slices(slices) for w in first_wavs[:1]):
                first.sinks.extend(slices)
        _stream(mix, groups)
        wavs = {
            (id(g.plan), f): sink
            for g in groups
            for f, sink in zip(g.formats, g.sinks, strict=False)
            if isinstance(sink, _WavSink)
        }
        lossy = [(p, f) for p in plans for f in pending[id(p)] if (id(p), f) not in wavs]
        with ThreadPoolExecutor(max_workers=max(1, len(lossy))) as pool:  # decoders side by side
            decoded = pool.map(
                lambda pf: measure_file(
                    pf[0].paths[pf[1]],
                    pf[1],
                    _scaled_spans(programme, pf[1].sample_rate, pf[0].delays[pf[1]]),
                ),
                lossy,
            )
            measured = {(id(p), f): m for (p, f), m in zip(lossy, decoded, strict=True)}
        for key, sink in wavs.items():
            measured[key] = sink.measured()
            waveforms[sink.path.name] = sink.waveform.result()
        for plan in plans:
            still = []
            for fmt in pending[id(plan)]:
                if _judge(plan, fmt, measured[(id(plan), fmt)], round_no):
                    still.append(fmt)
            if still:
                log.info(
                    "%s: making %s again (round %d)",
                    plan.profile.name,
                    [plan.paths[f].name for f in still],
                    round_no + 1,
                )
            pending[id(plan)] = still
        if not any(pending.values()):
            return waveforms
    failed = [p for p in plans if pending[id(p)]]
    names = ", ".join(p.paths[f].name for p in failed for f in pending[id(p)])
    profile = failed[0].profile
    raise RenderError(
        f"{names}: after encoding, the loudness or true peak stays outside the profile "
        f"'{profile.name}' ({profile.target_lufs} LUFS, {profile.true_peak_dbtp} dBTP); "
        "lower true_peak_dbtp or raise the bitrate"
    )


def _judge(plan: _Plan, fmt: OutputFormat, measured: FileMeasure, round_no: int) -> bool:
    """Record a file's measurement; True when it must be made again (and how)."""
    profile = plan.profile
    plan.results[fmt] = measured
    error = profile.target_lufs - measured.loudness.integrated_lufs
    over = measured.loudness.true_peak_dbtp - profile.true_peak_dbtp
    log.info(
        "%s round %d: %.2f LUFS, %.2f dBTP (fix %+.2f dB, ceiling %.2f, codec %+.2f)",
        plan.paths[fmt].name,
        round_no,
        measured.loudness.integrated_lufs,
        measured.loudness.true_peak_dbtp,
        plan.level_fix[fmt],
        plan.ceilings[fmt],
        plan.codec_gain[fmt],
    )
    if abs(error) > ENCODED_TOLERANCE_LU or over > 0:
        if abs(error) > ENCODED_TOLERANCE_LU:
            plan.level_fix[fmt] += error
        if over > 0:
            plan.ceilings[fmt] -= over + 0.1  # encoder overshoot: give it that headroom
        return True
    return False


def _deliverables(plan: _Plan, programme: Programme) -> list[Deliverable]:
    profile = plan.profile
    out = []
    for fmt in plan.formats:
        measured = plan.results[fmt]
        path, delay = plan.paths[fmt], plan.delays[fmt]
        expected = round(programme.length * fmt.sample_rate / SR) + delay
        _check_length(path, fmt, measured.frames, expected, delay)
        by_index = {c.index: c for c in programme.cues}
        for index, loud in measured.cues:
            off = loud.integrated_lufs - profile.target_lufs
            if not abs(off) <= MESSAGE_TOLERANCE_LU:
                raise RenderError(
                    f"{path.name}: message '{by_index[index].message_id}' reads "
                    f"{loud.integrated_lufs:.1f} LUFS, {off:+.1f} LU from the target "
                    f"{profile.target_lufs} (allowed: {MESSAGE_TOLERANCE_LU} LU); "
                    "check the bed level and the profile's levelling"
                )
        out.append(
            Deliverable(
                path,
                fmt.codec,
                fmt.sample_rate,
                measured.loudness,
                profile=profile.name,
                target_lufs=profile.target_lufs,
                true_peak_ceiling_dbtp=profile.true_peak_dbtp,
                cue_loudness=measured.cues,
                description=fmt.describe(),
                offset_samples=delay,
            )
        )
    return out
