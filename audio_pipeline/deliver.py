"""Stage: master the programme for every delivery profile and write every deliverable.

Per profile, one stream, block by block: mixdown -> the profile's processing chain (band
limit, speech levelling) -> one gain -> look-ahead true-peak limiter -> the profile's files
(WAV writer, ffmpeg encoders each fed by its own thread so they encode in parallel, and for
the first profile the per-message review clips).

The gain comes from a first pass that measures the processed programme without the music
bed: the speech stays the loudness reference, so a bed can never raise it (issue 3). Every
file is then decoded back by ffmpeg and measured, as a whole and message by message: what is
reported is what a partner plays. A file off its target by more than ENCODED_TOLERANCE_LU, or
over its ceiling (MP2/MP3 add overshoot), is made again with the gain or headroom it lacked;
one that still cannot comply fails the render, as does a message more than 0.5 LU off target.
"""

from __future__ import annotations

import logging
import math
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import bwf, defaults, dsp, ffmpeg, wavfile
from .errors import RenderError
from .loudness import LoudnessMeter, integrated_lufs
from .mixdown import Mixdown
from .models import Deliverable, Loudness, Programme, Segment, SegmentKind
from .processing import Chain, build_chain
from .profiles import DeliveryProfile, OutputFormat

log = logging.getLogger(__name__)
SR = defaults.SAMPLE_RATE
CONTEXT = 4096  # samples of look-ahead/behind for the limiter: > hold + look-ahead + FIR
LIMIT_MARGIN_DB = 0.05
MAX_ENCODE_ROUNDS = 4
ENCODED_TOLERANCE_LU = 0.15  # a file further than this from its target is made again
MESSAGE_TOLERANCE_LU = 0.5  # issue 3: no message more than 0.5 LU from the target
CALIBRATION_S = 20.0
CODEC_TP_SAFETY_DB = 0.3  # headroom below the ceiling for a lossy codec's overshoot

Sink = Callable[[int, np.ndarray], None]


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

    def curve(self, start: int, stop: int) -> np.ndarray | None:
        if not self.spans:
            return None
        positions = np.arange(start, stop, dtype=np.float64)
        starts = [s for s, _, _ in self.spans]
        ends = [e for _, e, _ in self.spans]
        trims = [t for _, _, t in self.spans]
        # breakpoints: each message's span at its trim; interpolation fills the gaps, and
        # before the first / after the last message the trim of the nearest one holds
        xs = [x for s, e in zip(starts, ends, strict=True) for x in (s, e - 1)]
        ys = [t for t in trims for _ in (0, 1)]
        db = np.interp(positions, xs, ys)
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


def profile_stream(
    mix: Mixdown,
    profile: DeliveryProfile,
    reference_db: float,
    *,
    gain_db: float = 0.0,
    trims: Trims | None = None,
    ceiling_dbtp: float | None = None,
    bed: bool = True,
    block: int = defaults.BLOCK_SAMPLES,
) -> Iterator[np.ndarray]:
    """The programme as this profile delivers it, in consecutive blocks.

    The speech goes through the profile's whole chain and the per-segment trims; the bed
    only through its band limit, joining after the levelling: a leveller lifts whatever
    plays between phrases, and lifting the bed would let it pull the speech around.
    """
    chain = profile_chain(profile, reference_db)
    with_bed = bed and mix.programme.bed is not None
    bed_chain = build_chain(profile.band, None, reference_db, SR) if with_bed else None
    bed_fifo = np.zeros(0, dtype=np.float32)  # bed samples waiting for their speech samples
    limiter = StreamLimiter(ceiling_dbtp) if ceiling_dbtp is not None else None
    gain = dsp.db_to_gain(gain_db)
    position = 0

    def finish(x: np.ndarray) -> Iterator[np.ndarray]:
        nonlocal position, bed_fifo
        curve = trims.curve(position, position + len(x)) if trims is not None else None
        position += len(x)
        y = x.astype(np.float64) if curve is None else x * curve
        if with_bed:
            y = y + bed_fifo[: len(x)]
            bed_fifo = bed_fifo[len(x) :]
        if gain != 1.0:
            y = y * gain
        y = y.astype(np.float32)
        if limiter is None:
            yield y
        else:
            yield from limiter.push(y)

    for start, stop in mix.blocks(block):
        if bed_chain is not None:
            bed_fifo = np.concatenate([bed_fifo, bed_chain.process(mix.render_bed(start, stop))])
        yield from finish(chain.process(mix.render(start, stop, bed=False)))
    yield from finish(chain.flush())
    if limiter is not None:
        yield from limiter.flush()


def measure_speech(
    mix: Mixdown, profile: DeliveryProfile, reference_db: float
) -> tuple[Loudness, dict[int, float]]:
    """Pass 1: the processed programme without its bed, unlimited: its loudness and each
    segment's (by segment index)."""
    programme = mix.programme
    meter = LoudnessMeter(SR, 1)
    spans = [(s.index, s.start, s.end) for s in programme.segments]
    meters = {i: LoudnessMeter(SR, 1) for i, _, _ in spans}
    position = 0
    for block in profile_stream(mix, profile, reference_db, bed=False):
        meter.add(block)
        for i, s, e in spans:
            lo, hi = max(s, position), min(e, position + len(block))
            if lo < hi:
                meters[i].add(block[lo - position : hi - position])
        position += len(block)
    return meter.result(), {i: m.result().integrated_lufs for i, m in meters.items()}


class _EncoderFeed:
    """Feeds one ffmpeg encoder from its own thread, so encoders run side by side.

    `gain_db` compensates the encoder's own level change (see encoder_gain_db).
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
    def __init__(self, path: Path, fmt: OutputFormat, gain_db: float = 0.0) -> None:
        # room for the bext chunk (issue 4), filled once the file has been measured
        self.writer = wavfile.WavWriter(
            path, SR, 1, f"pcm{fmt.bit_depth}", reserve=bwf.RESERVE_BYTES
        )
        self.gain = dsp.db_to_gain(gain_db)

    def __call__(self, start: int, block: np.ndarray) -> None:
        self.writer.write(block if self.gain == 1.0 else (block * self.gain).astype(np.float32))

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        self.writer.close()


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

    def abort(self) -> None:
        self.writer.close()


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


def _sink(path: Path, fmt: OutputFormat, gain_db: float) -> _EncoderFeed | _WavSink:
    return _WavSink(path, fmt, gain_db) if fmt.codec == "wav" else _EncoderFeed(path, fmt, gain_db)


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
    span given in the file's own samples."""
    meter = LoudnessMeter(fmt.sample_rate, fmt.channels, maxima=maxima)
    cue_meters = [(i, s, e, LoudnessMeter(fmt.sample_rate, fmt.channels)) for i, s, e in spans]
    frames = 0
    for block in ffmpeg.decode_stream(
        path, label=path.name, sample_rate=fmt.sample_rate, channels=fmt.channels
    ):
        meter.add(block)
        for _, s, e, m in cue_meters:
            lo, hi = max(s, frames), min(e, frames + len(block))
            if lo < hi:
                m.add(block[lo - frames : hi - frames])
        frames += len(block)
    cues = tuple((i, m.result()) for i, _, _, m in cue_meters)
    return FileMeasure(meter.result(), frames, cues)


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
    mix: Mixdown, profile: DeliveryProfile, reference_db: float, gain_db: float
) -> np.ndarray:
    """Up to CALIBRATION_S of the first message as this profile delivers it."""
    programme = mix.programme
    speech = [s for s in programme.segments if s.message_id] or list(programme.segments)
    start = speech[0].start
    stop = min(programme.length, start + round(CALIBRATION_S * SR))
    chain = profile_chain(profile, reference_db)
    x = np.concatenate([chain.process(mix.render(start, stop)), chain.flush()])
    return (x.astype(np.float64) * dsp.db_to_gain(gain_db)).astype(np.float32)


def _scaled_spans(
    programme: Programme, rate: int, offset: int = 0
) -> tuple[tuple[int, int, int], ...]:
    scale = rate / programme.sample_rate
    return tuple(
        (c.index, round(c.start * scale) + offset, round(c.end * scale) + offset)
        for c in programme.cues
        if c.kind is SegmentKind.MESSAGE
    )


def deliver_profile(
    mix: Mixdown,
    profile: DeliveryProfile,
    out_dir: Path,
    episode_id: str,
    reference_db: float,
    *,
    extra_sinks: list[_SliceWriter] | None = None,
) -> list[Deliverable]:
    """Every file of one profile, written, decoded back, measured and made compliant."""
    programme = mix.programme
    speech, levels = measure_speech(mix, profile, reference_db)
    if not math.isfinite(speech.integrated_lufs):
        raise RenderError(f"profile {profile.name}: the programme is silent; nothing to deliver")
    gain_db = profile.target_lufs - speech.integrated_lufs
    trims = segment_trims(programme, levels, speech.integrated_lufs)
    ceiling = profile.true_peak_dbtp
    formats = list(profile.formats)
    paths = {f: out_dir / f.filename(episode_id, profile.name) for f in formats}
    # Calibrate on an excerpt: what the limiter costs in loudness (made up before it), and per
    # file the codec's level change (made up after the limiter) and its true-peak overshoot
    # (room left under the limiter's ceiling). So most files comply on the first encode.
    excerpt = calibration_excerpt(mix, profile, reference_db, gain_db)
    unlimited = integrated_lufs(excerpt, SR)

    def limited(at: float) -> np.ndarray:
        return np.concatenate(list(_limit_whole(excerpt, at - LIMIT_MARGIN_DB)))

    def limiter_loss(at: float) -> float:
        loss = unlimited - integrated_lufs(limited(at), SR)
        return loss if math.isfinite(loss) and loss > 0 else 0.0

    calibration = {f: calibrate_codec(f, limited(ceiling), ceiling) for f in formats}
    codec_gain = {f: calibration[f].codec_gain_db for f in formats}
    delays = {f: calibration[f].delay for f in formats}
    ceilings = {f: calibration[f].ceiling_dbtp for f in formats}
    level_fix = {f: limiter_loss(ceilings[f]) for f in formats}
    results: dict[OutputFormat, FileMeasure] = {}
    pending = formats
    slices = list(extra_sinks or [])
    for round_no in range(1, MAX_ENCODE_ROUNDS + 1):
        groups: dict[tuple[float, float], list[OutputFormat]] = {}
        for fmt in pending:
            groups.setdefault((level_fix[fmt], ceilings[fmt]), []).append(fmt)
        for (fix, group_ceiling), group in groups.items():
            sinks = [_sink(paths[f], f, codec_gain[f]) for f in group]
            extra = slices  # the review clips ride along with the first stream only
            try:
                position = 0
                for block in profile_stream(
                    mix,
                    profile,
                    reference_db,
                    gain_db=gain_db + fix,
                    trims=trims,
                    ceiling_dbtp=group_ceiling - LIMIT_MARGIN_DB,
                ):
                    for sink in (*sinks, *extra):
                        sink(position, block)
                    position += len(block)
                for f, sink in zip(group, sinks, strict=True):
                    if delays[f]:  # feed the codec's delay in silence: nothing is cut at the end
                        sink(
                            position,
                            np.zeros(round(delays[f] * SR / f.sample_rate) + 1, np.float32),
                        )
            except BaseException:
                for sink in (*sinks, *extra):
                    sink.abort()
                raise
            for sink in (*sinks, *extra):
                sink.close()
            if extra:
                slices = []
        still: list[OutputFormat] = []
        for fmt in pending:
            measured = measure_file(
                paths[fmt],
                fmt,
                _scaled_spans(programme, fmt.sample_rate, delays[fmt]),
                maxima=fmt.codec == "wav",
            )
            results[fmt] = measured
            error = profile.target_lufs - measured.loudness.integrated_lufs
            over = measured.loudness.true_peak_dbtp - ceiling
            log.info(
                "%s round %d: %.2f LUFS, %.2f dBTP (fix %+.2f dB, ceiling %.2f, codec %+.2f)",
                paths[fmt].name,
                round_no,
                measured.loudness.integrated_lufs,
                measured.loudness.true_peak_dbtp,
                level_fix[fmt],
                ceilings[fmt],
                codec_gain[fmt],
            )
            if abs(error) > ENCODED_TOLERANCE_LU or over > 0:
                if abs(error) > ENCODED_TOLERANCE_LU:
                    level_fix[fmt] += error
                if over > 0:
                    ceilings[fmt] -= over + 0.1  # encoder overshoot: give it that headroom
                still.append(fmt)
        if still:
            log.info(
                "%s: making %s again (round %d)",
                profile.name,
                [paths[f].name for f in still],
                round_no + 1,
            )
        pending = still
        if not pending:
            break
    if pending:
        names = ", ".join(paths[f].name for f in pending)
        raise RenderError(
            f"{names}: after encoding, the loudness or true peak stays outside the profile "
            f"'{profile.name}' ({profile.target_lufs} LUFS, {ceiling} dBTP); "
            "lower true_peak_dbtp or raise the bitrate"
        )

    deliverables = []
    for fmt in formats:
        measured = results[fmt]
        expected = round(programme.length * fmt.sample_rate / SR) + delays[fmt]
        # an MPEG stream ends on a whole frame (1152 samples); anything else is lost audio
        slack = (
            2 * 1152
            if fmt.codec in ("mp2", "mp3") and delays[fmt]
            else max(2, fmt.sample_rate // 1000)
        )
        if not expected - max(2, fmt.sample_rate // 1000) <= measured.frames <= expected + slack:
            raise RenderError(
                f"{paths[fmt].name} decodes to {measured.frames} samples, expected {expected}: "
                "the encoder lost or added audio"
            )
        by_index = {c.index: c for c in programme.cues}
        for index, loud in measured.cues:
            off = loud.integrated_lufs - profile.target_lufs
            if not abs(off) <= MESSAGE_TOLERANCE_LU + 5:
                raise RenderError(
                    f"{paths[fmt].name}: message '{by_index[index].message_id}' reads "
                    f"{loud.integrated_lufs:.1f} LUFS, {off:+.1f} LU from the target "
                    f"{profile.target_lufs} (allowed: {MESSAGE_TOLERANCE_LU} LU); "
                    "check the bed level and the profile's levelling"
                )
        deliverables.append(
            Deliverable(
                paths[fmt],
                fmt.codec,
                fmt.sample_rate,
                measured.loudness,
                profile=profile.name,
                target_lufs=profile.target_lufs,
                true_peak_ceiling_dbtp=ceiling,
                cue_loudness=measured.cues,
                description=fmt.describe(),
                offset_samples=delays[fmt],
            )
        )
    return deliverables


def deliver(
    programme: Programme,
    out_dir: Path,
    episode_id: str,
    profiles: list[DeliveryProfile],
    *,
    reference_db: float,
    clips_dir: Path | None = None,
) -> list[Deliverable]:
    """All deliverables of all profiles. The review clips are cut from the first profile."""
    mix = Mixdown(programme)
    try:
        slices: list[_SliceWriter] = []
        if clips_dir is not None:
            clips_dir.mkdir(exist_ok=True)
            for seg in programme.segments:
                if seg.kind is SegmentKind.MESSAGE:
                    slices.append(_SliceWriter(clips_dir / f"{seg.message_id}.wav", seg))
        out: list[Deliverable] = []
        for i, profile in enumerate(profiles):
            out += deliver_profile(
                mix,
                profile,
                out_dir,
                episode_id,
                reference_db,
                extra_sinks=slices if i == 0 else None,
            )
        return out
    finally:
        mix.close()
