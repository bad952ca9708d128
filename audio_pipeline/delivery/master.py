"""Stage: master the programme for every delivery profile and write every deliverable.

Two reads of the programme serve every profile at once. The first measures each profile's
processed speech without the music bed (the speech stays the loudness reference, so a bed
can never raise it), giving each profile its one gain and its per-segment trims.
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
gain or headroom it lacked (delivery.plan judges); one that still cannot comply fails the
render, as does a message more than 0.5 LU off target.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp
from audio_pipeline.audio.mixdown import Mixdown
from audio_pipeline.audio.waveform import AudioFacts
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.results import Deliverable, Programme, SegmentKind
from audio_pipeline.delivery.peakfix import PeakFix
from audio_pipeline.delivery.plan import Plan, deliverables_of, judge, plan_profile, scaled_spans
from audio_pipeline.delivery.sinks import (
    _EncoderFeed,
    _SliceWriter,
    _WavSink,
    _Worker,
    measure_file,
)
from audio_pipeline.delivery.streams import (
    LIMIT_MARGIN_DB,
    ProfileStream,
    SpeechLevels,
    StreamLimiter,
    _gained,
    close_all_workers,
    measure_speech_all,
)
from audio_pipeline.inputs.profiles import DeliveryProfile, OutputFormat

log = logging.getLogger(__name__)
SR = defaults.SAMPLE_RATE
MAX_ENCODE_ROUNDS = 6  # a dense half-hour 32 kbit/s MP3 took five (peak fixes, then a ceiling)


@dataclass
class _Group:
    """Files of one profile that share a gain and a limiter ceiling: one limited stream."""

    plan: Plan
    formats: list[OutputFormat]
    gain: float
    limiter: StreamLimiter
    sinks: list[_EncoderFeed | _WavSink | _SliceWriter]
    position: int = 0
    peak_fix: PeakFix | None = None

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
        dips = (
            self.peak_fix.curve(self.position, self.position + len(block))
            if self.peak_fix
            else None
        )
        if dips is not None:
            block = (block * dips).astype(np.float32)
        for sink in self.sinks:
            sink(self.position, block)
        self.position += len(block)


def _groups(plan: Plan, pending: Sequence[OutputFormat], programme: Programme) -> list[_Group]:
    """The limited streams this round needs for `pending` files of one profile."""
    by_key: dict[tuple[float, float, PeakFix | None], list[OutputFormat]] = {}
    for fmt in pending:
        key = (plan.level_fix[fmt], plan.ceilings[fmt], plan.peak_fix.get(fmt))
        by_key.setdefault(key, []).append(fmt)
    groups = []
    try:
        for (fix, ceiling, peak_fix), formats in by_key.items():
            group = _Group(
                plan,
                formats,
                dsp.db_to_gain(plan.gain_db + fix),
                StreamLimiter(ceiling - LIMIT_MARGIN_DB),
                [],
                peak_fix=peak_fix,
            )
            groups.append(group)
            for f in formats:
                if not f.spec.lossy:
                    spans = scaled_spans(programme, f.sample_rate, plan.delays[f])
                    group.sinks.append(_WavSink(plan.paths[f], f, spans, programme.length))
                else:
                    group.sinks.append(_EncoderFeed(plan.paths[f], f, plan.codec_gain[f]))
    except BaseException:
        _abort_all([sink for g in groups for sink in g.sinks])
        raise
    return groups


def _stream(mix: Mixdown, groups: list[_Group]) -> None:
    """Pass 2: one read of the programme into every group of every profile at once. Each
    profile's stream and its groups (chain or replay, trims, gain, limiter, sinks) run on a
    thread of their own, in block order: the limiter and the meters are numpy, scipy and
    libebur128, which release the GIL, so profiles share both cores with the encoders."""
    streams: dict[int, tuple[ProfileStream, list[_Group]]] = {}
    for g in groups:
        if id(g.plan) not in streams:
            stream = ProfileStream(
                mix,
                g.plan.profile,
                g.plan.reference_db,
                trims=g.plan.trims,
                replay=g.plan.processed,
            )
            streams[id(g.plan)] = (stream, [])
        streams[id(g.plan)][1].append(g)
    bed = any(s.with_bed for s, _ in streams.values())
    sinks = [sink for g in groups for sink in g.sinks]
    workers = [_Worker(f"pass2-{s[1][0].plan.profile.name}") for s in streams.values()]
    try:
        for start, stop in mix.blocks(defaults.BLOCK_SAMPLES):
            speech = mix.render(start, stop, bed=False)
            bed_block = mix.render_bed(start, stop) if bed else None
            for (stream, members), worker in zip(streams.values(), workers, strict=True):
                worker.submit(_feed, stream, members, speech, bed_block)
        for (stream, members), worker in zip(streams.values(), workers, strict=True):
            worker.submit(_finish, stream, members)
        close_all_workers(workers)
    except BaseException:
        for worker in workers:
            with contextlib.suppress(Exception):  # the error being handled is the one to tell
                worker.close()
        _abort_all(sinks)
        raise
    _close_all(sinks)


def _feed(
    stream: ProfileStream, members: list[_Group], speech: np.ndarray, bed: np.ndarray | None
) -> None:
    y = stream.feed(speech, bed)
    for g in members:
        g.push(y)


def _finish(stream: ProfileStream, members: list[_Group]) -> None:
    y = stream.flush()
    for g in members:
        g.push(y)
        g.flush()


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
    speech: list[SpeechLevels] = []
    try:
        if clips_dir is not None:
            clips_dir.mkdir(exist_ok=True)
            for seg in programme.segments:
                if seg.kind is SegmentKind.MESSAGE:
                    slices.append(_SliceWriter(clips_dir / f"{seg.message_id}.wav", seg))
        speech = measure_speech_all(mix, profiles, reference_db, scratch=out_dir)
        plans = [
            plan_profile(mix, p, levels, out_dir, episode_id, reference_db)
            for p, levels in zip(profiles, speech, strict=True)
        ]
        waveforms = _encode_and_measure(mix, plans, slices)
    except BaseException:
        for s in slices:
            s.abort()
        raise
    finally:
        mix.close()
        for levels in speech:
            if levels.processed is not None:
                levels.processed.close()
    return Delivery(
        [d for plan in plans for d in deliverables_of(plan, programme)],
        {s.segment.message_id or "": s.facts() for s in slices},
        waveforms,
    )


def _encode_and_measure(
    mix: Mixdown, plans: list[Plan], slices: list[_SliceWriter]
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
        primary = plans[0].formats[0] if plans and plans[0].formats else None
        first = next((g for g in groups if g.plan is plans[0] and primary in g.formats), None)
        if first is not None and slices:
            # the review clips ride along with the first deliverable's stream, and again
            # whenever that file is made again, so they stay its very samples: cut from its
            # WAV if it holds exactly those, else written on their own
            if round_no > 1:
                slices[:] = [_SliceWriter(c.writer.path, c.segment) for c in slices]
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
                    scaled_spans(programme, pf[1].sample_rate, pf[0].delays[pf[1]]),
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
                if judge(plan, fmt, measured[(id(plan), fmt)], round_no):
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
