"""A profile's processing of the programme as a stream: its chain, the per-segment trims that
keep every message at one loudness, and the look-ahead true-peak limiter, fed block by block
(nothing of the programme is held whole). Pass 1 measures each profile's speech here."""

from __future__ import annotations

import contextlib
import functools
import math
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from audio_pipeline.audio import dsp
from audio_pipeline.audio.am_processing import LinearPhaseBand, am_chain
from audio_pipeline.audio.loudness import LoudnessMeter
from audio_pipeline.audio.mixdown import Mixdown
from audio_pipeline.audio.processing import Chain, build_chain
from audio_pipeline.core import defaults
from audio_pipeline.core.results import Loudness, Programme
from audio_pipeline.delivery.headroom import LevelStats, LimiterModel
from audio_pipeline.delivery.sinks import _Worker
from audio_pipeline.inputs.profiles import DeliveryProfile

SR = defaults.SAMPLE_RATE

CONTEXT = 4096  # samples of look-ahead/behind for the limiter: > hold + look-ahead + FIR


LIMIT_MARGIN_DB = 0.05


class StreamLimiter:
    """The look-ahead true-peak limiter of dsp.limiter_gain, on a stream of any block sizes.

    Output lags input: each sample leaves once CONTEXT samples after it have arrived, and is
    limited with CONTEXT samples either side, so the result equals limiting the whole
    signal at once (the gain curve reaches less far than CONTEXT).
    """

    def __init__(self, ceiling_dbtp: float) -> None:
        self.ceiling = ceiling_dbtp
        self._linear = dsp.db_to_gain(ceiling_dbtp)
        self._history = np.zeros(CONTEXT, dtype=np.float32)  # silence before the start
        self._buffer = np.zeros(0, dtype=np.float32)

    def _limit(self, window: np.ndarray, emit: int) -> np.ndarray:
        # a sample over the ceiling is a true peak over it: the meter's answer is known, and
        # a podcast's limiter meets one in nearly every block (the meter ran for nothing)
        if float(np.max(np.abs(window), initial=0.0)) > self._linear or dsp.exceeds_ceiling(
            window, self.ceiling
        ):
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
    if profile.am_processing is not None and profile.band is not None:
        return Chain(am_chain(profile.am_processing, profile.band, reference_db, SR))
    return build_chain(profile.band, profile.levelling, reference_db, SR)


def bed_chain(profile: DeliveryProfile, reference_db: float) -> Chain:
    """What the bed goes through: the profile's band limit only (see ProfileStream)."""
    if profile.am_processing is not None and profile.band is not None:
        return Chain([LinearPhaseBand(profile.am_processing, profile.band, SR)])
    return build_chain(profile.band, None, reference_db, SR)


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

    def gains_at(self, positions: np.ndarray) -> np.ndarray:
        """The (linear) gain at each of these sample positions: for the limiter's model."""
        if not self.spans:
            return np.ones(len(positions))
        xs, ys = self._breakpoints
        return np.asarray(10 ** (np.interp(positions, xs, ys) / 20), dtype=np.float64)

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
        replay: ProcessedSpeech | None = None,
    ) -> None:
        self.chain = profile_chain(profile, reference_db)
        self.replay = replay.rewound() if replay is not None else None
        self.with_bed = bed and mix.programme.bed is not None
        self.bed_chain = bed_chain(profile, reference_db) if self.with_bed else None
        self.bed_fifo = np.zeros(0, dtype=np.float32)  # bed samples waiting for their speech
        self.speech_fifo = np.zeros(0, dtype=np.float32)  # and speech waiting for its bed
        self.trims = trims
        self.position = 0

    def _finish(self, speech: np.ndarray, bed: np.ndarray | None, end: bool = False) -> np.ndarray:
        """Speech out of the chain, joined by the bed out of its own chain: whichever lags
        (each chain holds back what it needs to look ahead) waits for the other."""
        x = speech
        if self.with_bed:
            self.speech_fifo = np.concatenate([self.speech_fifo, speech])
            if bed is not None:
                self.bed_fifo = np.concatenate([self.bed_fifo, bed])
            n = len(self.speech_fifo) if end else min(len(self.speech_fifo), len(self.bed_fifo))
            x, self.speech_fifo = self.speech_fifo[:n], self.speech_fifo[n:]
        curve = self.trims.curve(self.position, self.position + len(x)) if self.trims else None
        self.position += len(x)
        y = x.astype(np.float64) if curve is None else x * curve
        if self.with_bed:
            y = y + self.bed_fifo[: len(x)]
            self.bed_fifo = self.bed_fifo[len(x) :]
        return y

    def feed(self, speech: np.ndarray, bed: np.ndarray | None) -> np.ndarray:
        """`speech` (and the bed) of the next block of the programme, unprocessed."""
        joined = None
        if self.bed_chain is not None and bed is not None:
            joined = self.bed_chain.process(bed)
        processed = self.replay.read() if self.replay else self.chain.process(speech)
        return self._finish(processed, joined)

    def flush(self) -> np.ndarray:
        bed = self.bed_chain.flush() if self.bed_chain is not None else None
        processed = self.replay.read() if self.replay else self.chain.flush()
        return self._finish(processed, bed, end=True)


class ProcessedSpeech:
    """A profile's processed speech as pass 1 made it (the chain's output, block by block),
    kept in an unnamed temporary file and read back by pass 2, so the chain runs once per
    render: the speech leveller is a Python loop over 2.5 ms frames, seconds per half hour,
    and it ran in both passes. Nothing of the programme is held in memory, and the file
    goes with the process whatever happens. Blocks come back exactly as written (their own
    dtype and length: pass 2's trims see the same blocks). A file that cannot be written
    (a full disk) is given up: pass 2 then runs the chain again."""

    def __init__(self, folder: Path) -> None:
        self._file: BinaryIO | None = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
        self._blocks: list[tuple[int, str]] = []  # (frames, dtype) of each block
        self._next = 0

    @property
    def usable(self) -> bool:
        return self._file is not None

    def write(self, x: np.ndarray) -> None:
        if self._file is None:
            return
        data = np.ascontiguousarray(x)
        try:
            self._file.write(data.data)
        except OSError:
            self.close()
            return
        self._blocks.append((len(data), data.dtype.str))

    def rewound(self) -> ProcessedSpeech:
        assert self._file is not None
        self._file.flush()
        self._file.seek(0)
        self._next = 0
        return self

    def read(self) -> np.ndarray:
        assert self._file is not None
        frames, dtype = self._blocks[self._next]
        self._next += 1
        raw = self._file.read(frames * np.dtype(dtype).itemsize)
        return np.frombuffer(raw, dtype=dtype)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _gained(y: np.ndarray, gain: float) -> np.ndarray:
    return (y * gain if gain != 1.0 else y).astype(np.float32)


@dataclass(frozen=True)
class SpeechLevels:
    """Pass 1's result for one profile: its speech loudness, each segment's (by index), and
    what its limiter would take at any level (see headroom)."""

    loudness: Loudness
    levels: dict[int, float]
    limiter: LimiterModel
    processed: ProcessedSpeech | None = None  # kept for pass 2 (a processing profile)


class _SpeechMeter:
    """Pass 1 of one profile: its processed speech without the bed, unlimited, measured as a
    whole and segment by segment (loudness only: nothing here reads a true peak), with the
    statistics of its peaks that predict the limiter. A profile that processes its speech
    keeps the result for pass 2 (ProcessedSpeech)."""

    def __init__(
        self, mix: Mixdown, profile: DeliveryProfile, reference_db: float, scratch: Path | None
    ) -> None:
        self.chain = profile_chain(profile, reference_db)
        # hop energies for the limiter's model; integrated loudness only
        self.meter = LoudnessMeter(SR, 1, maxima=True, true_peak=False, lra=False)
        self.stats = LevelStats()
        segments = mix.programme.segments
        # Through a profile that processes nothing, a segment that overlaps no other (no
        # fades) leaves this pass as the very samples its normalization measured: its
        # loudness is known, and measured once (libebur128 does not depend on block sizes).
        plain = not self.chain.processors
        self.known = {
            s.index: s.loudness.integrated_lufs
            for s in segments
            if plain and not s.fade_in and not s.fade_out
        }
        self.meters = self.meter.spans(
            [(s.index, s.start, s.end) for s in segments if s.index not in self.known]
        )
        self.kept = ProcessedSpeech(scratch) if scratch is not None and not plain else None
        self.position = 0

    def feed(self, speech: np.ndarray) -> None:
        self._add(self.chain.process(speech))

    def _add(self, processed: np.ndarray) -> None:
        if self.kept is not None:
            self.kept.write(processed)
        block = processed.astype(np.float32, copy=False)
        self.meter.add(block)  # and the segments' span meters
        self.stats.add(block)
        self.position += len(block)

    def result(self) -> SpeechLevels:
        self._add(self.chain.flush())
        levels = {i: loud.integrated_lufs for i, loud in self.meters.results()}
        loudness = self.meter.result()
        model = self.stats.model(self.meter.hop_energies())
        kept = self.kept if self.kept is not None and self.kept.usable else None
        return SpeechLevels(loudness, {**self.known, **levels}, model, kept)


def measure_speech_all(
    mix: Mixdown,
    profiles: Sequence[DeliveryProfile],
    reference_db: float,
    scratch: Path | None = None,
) -> list[SpeechLevels]:
    """Pass 1 for every profile in one read of the programme: each profile's speech loudness
    and each segment's (by segment index), and its limiter's model. The true peak of the
    result is not measured. Each profile is measured on its own thread (libebur128, numpy
    and scipy release the GIL: both cores), in block order. A profile that processes its
    speech keeps it in `scratch` (a folder) for pass 2."""
    # profiles that process nothing all measure the very same speech: once
    shared: _SpeechMeter | None = None
    chosen: list[_SpeechMeter] = []
    for p in profiles:
        plain = not profile_chain(p, reference_db).processors
        if plain and shared is not None:
            chosen.append(shared)
            continue
        meter = _SpeechMeter(mix, p, reference_db, scratch)
        if plain:
            shared = meter
        chosen.append(meter)
    meters = list(dict.fromkeys(chosen))  # each once, in order
    workers = [_Worker("pass1") for _ in meters]
    try:
        for start, stop in mix.blocks(defaults.BLOCK_SAMPLES):
            speech = mix.render(start, stop, bed=False)
            for m, w in zip(meters, workers, strict=True):
                w.submit(m.feed, speech)
    except BaseException:
        for w in workers:
            with contextlib.suppress(Exception):  # the error being handled is the one to tell
                w.close()
        for m in meters:
            if m.kept is not None:
                m.kept.close()
        raise
    close_all_workers(workers)
    results = {id(m): m.result() for m in meters}
    return [results[id(m)] for m in chosen]


def close_all_workers(workers: Sequence[_Worker]) -> None:
    """Join every worker, then raise the first one's error."""
    first: BaseException | None = None
    for w in workers:
        try:
            w.close()
        except BaseException as exc:
            first = first or exc
    if first is not None:
        raise first
