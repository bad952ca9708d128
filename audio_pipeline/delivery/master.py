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
gain or headroom it lacked; one that still cannot comply fails the render, as does a message
more than 0.5 LU off target.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp
from audio_pipeline.audio.mixdown import Mixdown
from audio_pipeline.audio.waveform import AudioFacts
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.results import Deliverable, Programme, SegmentKind
from audio_pipeline.delivery.calibrate import calibrate_codec, calibration_excerpt
from audio_pipeline.delivery.headroom import FRAME
from audio_pipeline.delivery.peakfix import PeakFix, find_overshoots
from audio_pipeline.delivery.sinks import (
    FileMeasure,
    _EncoderFeed,
    _SliceWriter,
    _WavSink,
    _Worker,
    measure_file,
)
from audio_pipeline.delivery.streams import (
    LIMIT_MARGIN_DB,
    ProcessedSpeech,
    ProfileStream,
    SpeechLevels,
    StreamLimiter,
    Trims,
    _gained,
    _limit_whole,
    close_all_workers,
    measure_speech_all,
    segment_trims,
)
from audio_pipeline.inputs.profiles import DeliveryProfile, OutputFormat

log = logging.getLogger(__name__)
SR = defaults.SAMPLE_RATE
MAX_ENCODE_ROUNDS = 4
ENCODED_TOLERANCE_LU = 0.15  # a file further than this from its target is made again
MESSAGE_TOLERANCE_LU = 0.5  # a listener never rides the volume: no message further off
PEAK_FIX_MARGIN_DB = 0.1


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
    processed: ProcessedSpeech | None = None  # pass 1's processed speech, replayed
    results: dict[OutputFormat, FileMeasure] = field(default_factory=dict)
    # where a codec brought peaks back over the ceiling: taken down there next time
    peak_fix: dict[OutputFormat, PeakFix] = field(default_factory=dict)

    @property
    def formats(self) -> list[OutputFormat]:
        return list(self.profile.formats)


def _plan_profile(
    mix: Mixdown,
    profile: DeliveryProfile,
    speech: SpeechLevels,
    out_dir: Path,
    episode_id: str,
    reference_db: float,
) -> _Plan:
    """Gain and trims from pass 1; the level fix that makes up what the limiter takes, solved
    on pass 1's model of the whole programme (made up before the limiter: see headroom); and
    per file, from an excerpt encoded and decoded back, the codec's level change (made up
    after the limiter) and its true-peak overshoot (room left under the limiter's ceiling).
    So every file complies on the first encode, and the measurement afterwards confirms it."""
    loudness = speech.loudness
    if not math.isfinite(loudness.integrated_lufs):
        raise RenderError(f"profile {profile.name}: the programme is silent; nothing to deliver")
    gain_db = profile.target_lufs - loudness.integrated_lufs
    trims = segment_trims(mix.programme, speech.levels, loudness.integrated_lufs)
    frames = np.arange(len(speech.limiter.peaks)) * FRAME + FRAME // 2
    model = speech.limiter.trimmed(trims.gains_at(frames))
    ceiling = profile.true_peak_dbtp
    formats = list(profile.formats)

    def level_fix(at: float) -> float:
        return model.level_fix(gain_db, at - LIMIT_MARGIN_DB)

    # the excerpt at the level the files will have, so the codec is measured as it will be fed
    excerpt = calibration_excerpt(mix, profile, reference_db, gain_db + level_fix(ceiling), trims)
    reference = np.concatenate(list(_limit_whole(excerpt, ceiling - LIMIT_MARGIN_DB)))
    with ThreadPoolExecutor(max_workers=max(1, len(formats))) as pool:  # encoders side by side
        calibration = dict(
            zip(
                formats,
                pool.map(lambda f: calibrate_codec(f, reference, ceiling), formats),
                strict=True,
            )
        )
    ceilings = {f: calibration[f].ceiling_dbtp for f in formats}
    fixes = {at: level_fix(at) for at in set(ceilings.values())}
    return _Plan(
        profile=profile,
        reference_db=reference_db,
        gain_db=gain_db,
        trims=trims,
        paths={f: out_dir / f.filename(episode_id, profile.name) for f in formats},
        codec_gain={f: calibration[f].codec_gain_db for f in formats},
        delays={f: calibration[f].delay for f in formats},
        ceilings=ceilings,
        level_fix={f: fixes[ceilings[f]] for f in formats},
        processed=speech.processed,
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


def _groups(plan: _Plan, pending: Sequence[OutputFormat], programme: Programme) -> list[_Group]:
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
                    spans = _scaled_spans(programme, f.sample_rate, plan.delays[f])
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


def _check_length(path: Path, fmt: OutputFormat, frames: int, expected: int, delay: int) -> None:
    # an MPEG stream ends on a whole frame (1152 samples); anything else is lost audio
    frame = fmt.spec.frame_samples
    slack = 2 * frame if frame and delay else max(2, fmt.sample_rate // 1000)
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
    speech: list[SpeechLevels] = []
    try:
        if clips_dir is not None:
            clips_dir.mkdir(exist_ok=True)
            for seg in programme.segments:
                if seg.kind is SegmentKind.MESSAGE:
                    slices.append(_SliceWriter(clips_dir / f"{seg.message_id}.wav", seg))
        speech = measure_speech_all(mix, profiles, reference_db, scratch=out_dir)
        plans = [
            _plan_profile(mix, p, levels, out_dir, episode_id, reference_db)
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
    # a file its codec once brought over the ceiling has its noise right at it: it must
    # come in with a margin, or a meter oversampling further (ffmpeg's) reads it over
    margin = PEAK_FIX_MARGIN_DB if fmt in plan.peak_fix else 0.0
    over = measured.loudness.true_peak_dbtp - (profile.true_peak_dbtp - margin)
    log.info(
        "%s round %d: %.2f LUFS, %.2f dBTP (fix %+.2f dB, ceiling %.2f, codec %+.2f)",
        plan.paths[fmt].name,
        round_no,
        measured.loudness.integrated_lufs,
        measured.loudness.true_peak_dbtp,
        plan.level_fix[fmt],
        plan.ceilings[fmt],
        plan.codec_gain[fmt],
        extra={"deliverable": plan.paths[fmt].name, "encode_round": round_no},
    )
    if abs(error) > ENCODED_TOLERANCE_LU or over > 0:
        if abs(error) > ENCODED_TOLERANCE_LU:
            plan.level_fix[fmt] += error
        if over > 0 and fmt.codec != "wav":
            # the codec brought peaks back: take them down where they are (peakfix.py)
            limit = profile.true_peak_dbtp - PEAK_FIX_MARGIN_DB
            found = find_overshoots(plan.paths[fmt], fmt, plan.delays[fmt], limit)
            plan.peak_fix[fmt] = plan.peak_fix.get(fmt, PeakFix()).merged(found)
            if not found.dips:
                plan.ceilings[fmt] -= over + 0.1
        elif over > 0:
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
        lra = measured.loudness.lra_lu
        if profile.max_lra is not None and lra > profile.max_lra:
            raise RenderError(
                f"{path.name}: loudness range {lra:.1f} LU, over the max_lra of profile "
                f"'{profile.name}' ({profile.max_lra:g} LU); fill the slot with programme "
                "audio rather than bed (fill: in the episode), or lower the bed"
            )
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
