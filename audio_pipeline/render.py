"""The render: plain stage functions in one direction, assembled here.

load_episode -> decode_bumpers -> synthesize_all (or select_from_queue) -> plan_tempo ->
SegmentMaker (normalize; overlapping synthesis when it can) -> assemble (+ bed) -> deliver
(every profile) -> write_metadata (embedded tags, then sidecars) -> review page -> manifest
-> publish + ledger. Files are touched only by the stages that own them; the staging folder
is published only when every stage succeeded, so a failed render publishes nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Protocol

import numpy as np

from . import __version__, defaults, dsp, ffmpeg, wavfile
from .assemble import assemble, message_segments, programme_length
from .bed import BedSettings, BedTrack, make_loop
from .cache import ClipCache
from .deliver import deliver
from .digest import sha256_file
from .embed import embed_metadata
from .engines import EngineSet, GttsSettings
from .errors import OutputError, RenderError
from .inputs import EpisodeInputs, load_episode
from .ledger import Ledger, RenderRecord, now_utc, placements_of
from .manifest import (
    manifest_document,
    output_files,
    render_inputs,
    voice_profiles,
    write_manifest,
)
from .metadata_policy import EMBEDDED, SIDECARS, PublicMetadata, public_metadata
from .models import (
    Clip,
    Deliverable,
    Episode,
    Loudness,
    Message,
    Programme,
    RunReport,
    Segment,
    SegmentKind,
    SelectRule,
)
from .outputdir import Staging, episode_lock, explain_os_error
from .profiles import DeliveryProfile
from .project import Project, real_path
from .review import episode_page, write_review
from .selection import Selection, choose, nothing_chosen, queue_for, queue_lock
from .sidecars import write_sidecars
from .synthesis import ClipJob, load_clip, synthesize_all, text_sha256
from .timing import Piece, SlotOverrun, plan_slot

SR = defaults.SAMPLE_RATE


class Reporter(Protocol):
    """What a render tells its user while it runs (the CLI draws it; tests record it)."""

    def stage(self, name: str, total: int | None = None) -> None: ...
    def clip_done(self, clip: Clip) -> None: ...
    def warn(self, message: str) -> None: ...


class QuietReporter:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def clip_done(self, clip: Clip) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


@dataclass(frozen=True)
class RenderSettings:
    strict: bool = False
    # clip workers: espeak speaks in one forked child per core, gTTS requests run in parallel
    concurrency: int = defaults.RENDER_CONCURRENCY
    gtts: GttsSettings = field(default_factory=GttsSettings)
    ledger: bool = True  # record the published render in the broadcast ledger


class SlotOverrunError(RenderError):
    """The programme does not fit its slot; the message carries the whole report."""


def _normalized_segment(
    samples: np.ndarray,
    kind: SegmentKind,
    work: Path,
    name: str,
    episode: Episode,
    **meta: object,
) -> Segment:
    """Normalize one piece to the episode's speech reference and ceiling, stage, measure it."""
    try:
        y, loudness = dsp.normalize_measured(
            samples, SR, episode.target_lufs, episode.true_peak_dbtp
        )
    except ValueError as exc:
        raise RenderError(f"{name}: {exc}") from exc
    path = work / f"{name}.f32.wav"
    wavfile.write(path, y, SR, "float32")
    return Segment(
        index=0,
        kind=kind,
        path=path,
        start=0,
        length=len(y),
        loudness=loudness,
        **meta,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Pieces:
    """The decoded bumpers (their lengths are known before anything is normalized)."""

    intro: np.ndarray
    outro: np.ndarray
    sting: np.ndarray | None

    def length(self, episode: Episode, messages: Sequence[int]) -> int:
        """Samples of a programme of these message lengths: for fitting a queue."""
        return programme_length(
            len(self.intro),
            len(self.outro),
            messages,
            gap_s=episode.gap_s,
            sting=len(self.sting) if self.sting is not None else None,
            crossfade_s=episode.crossfade_s,
        )


def decode_bumpers(inputs: EpisodeInputs) -> Pieces:
    episode = inputs.episode

    def load(path: Path) -> np.ndarray:
        return ffmpeg.decode(path, label=inputs.project.show(path), sample_rate=SR)

    return Pieces(
        load(episode.intro), load(episode.outro), load(episode.sting) if episode.sting else None
    )


def select_from_queue(
    inputs: EpisodeInputs,
    rule: SelectRule,
    synthesize: Callable[[Sequence[Message]], list[Clip]],
    pieces: Pieces,
    reporter: Reporter,
) -> tuple[list[Clip], Selection]:
    """Stage: choose a `select:` episode's messages from the queue (ledger-aware). With a
    slot, the queue fills up to the episode's target length."""
    project, episode = inputs.project, inputs.episode
    index = inputs.message_index
    assert index is not None
    broken = sorted({p.file for p in index.problems})
    if broken:
        reporter.warn(
            f"{len(broken)} message file(s) have problems and were left out of the queue "
            f"({', '.join(broken[:5])}); `audio-pipeline validate` lists them"
        )
    if episode.target_length_s is not None:
        limit = episode.target_length_s
        if rule.max_duration_s is not None:
            limit = min(limit, rule.max_duration_s)
        rule = replace(rule, max_duration_s=limit)
    with Ledger(project.ledger_path) as ledger:
        used = ledger.used_messages(except_episode=episode.id)
    queue = queue_for(index.messages, rule, used)

    def length(messages: Sequence[int]) -> int:
        return pieces.length(episode, messages)

    reporter.stage("synthesizing", total=min(rule.max_messages, len(queue.candidates)))
    selection = choose(queue, rule, synthesize, length, SR)
    if not selection.chosen:
        raise nothing_chosen(project.show(episode.source), queue, selection, length([]) / SR)
    for message_id in selection.did_not_fit:
        reporter.warn(
            f"queue: message '{message_id}' does not fit the slot of {rule.max_duration_s:g} s "
            "and stays in the queue"
        )
    return selection.chosen, selection


def plan_tempo(episode: Episode, clips: list[Clip], pieces: Pieces) -> float:
    """Stage: the tempo-up that makes the episode fit its slot (1.0 = none, or no slot)."""
    if episode.target_length_s is None:
        return 1.0
    try:
        plan = plan_slot(
            Piece(SegmentKind.INTRO, len(pieces.intro), "intro"),
            [Piece(SegmentKind.MESSAGE, round(c.duration_s * SR), c.message_id) for c in clips],
            Piece(SegmentKind.OUTRO, len(pieces.outro), "outro"),
            Piece(SegmentKind.STING, len(pieces.sting), "sting")
            if pieces.sting is not None
            else None,
            target=round(episode.target_length_s * SR),
            max_tempo=episode.max_tempo,
            sample_rate=SR,
            gap=round(episode.gap_s * SR),
            sting_pad=round(defaults.STING_PAD_S * SR),
            crossfade=round(episode.crossfade_s * SR),
        )
    except SlotOverrun as exc:
        raise SlotOverrunError("\n".join(exc.lines)) from exc
    return plan.tempo


class SegmentMaker:
    """Stage: normalize every piece to the speech reference (bumpers loudness-matched), with
    the slot's tempo-up applied to the messages. Pieces are normalized side by side on
    `pool`, one per core: each is a pure function of its own audio (the loudness meter
    releases the GIL). When the tempo is known before synthesis ends (no tempo-up to plan),
    each message is handed in the moment its clip is made (`start`), so a cold render
    normalizes while it waits on the engine."""

    def __init__(
        self,
        episode: Episode,
        messages: Mapping[str, Message],
        work: Path,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.episode, self.messages, self.work, self.pool = episode, messages, work, pool
        self._started: dict[str, tuple[Clip, float, Future[Segment]]] = {}

    def start(self, clip: Clip, tempo: float = 1.0) -> None:
        """Normalize this clip's message now, in the background."""
        future = self.pool.submit(self._message, clip, tempo)
        self._started[clip.message_id] = (clip, tempo, future)

    def _bumper(self, samples: np.ndarray, kind: SegmentKind) -> Segment:
        return _normalized_segment(samples, kind, self.work, kind.value, self.episode)

    def _message(self, clip: Clip, tempo: float) -> Segment:
        text = self.messages[clip.message_id]
        return _normalized_segment(
            ffmpeg.change_tempo(load_clip(clip), SR, tempo),
            SegmentKind.MESSAGE,
            self.work,
            f"message-{clip.message_id}",
            self.episode,
            message_id=clip.message_id,
            title=text.title,
            engine=clip.engine,
            voice=clip.voice,
            fallback=clip.fallback,
            cached=clip.cached,
            text_sha256=text_sha256(text.text),
            spoken_text=clip.spoken_text,
            tempo=tempo,
        )

    def _for(self, clip: Clip, tempo: float) -> Future[Segment]:
        started = self._started.get(clip.message_id)
        if started is not None and started[0] == clip and started[1] == tempo:
            return started[2]
        return self.pool.submit(self._message, clip, tempo)

    def segments(
        self, clips: list[Clip], pieces: Pieces, tempo: float = 1.0
    ) -> tuple[Segment, list[Segment], Segment, Segment | None]:
        """Intro, the messages in order, outro, sting: normalized."""
        intro = self.pool.submit(self._bumper, pieces.intro, SegmentKind.INTRO)
        outro = self.pool.submit(self._bumper, pieces.outro, SegmentKind.OUTRO)
        sting = (
            None
            if pieces.sting is None
            else self.pool.submit(self._bumper, pieces.sting, SegmentKind.STING)
        )
        segments = [self._for(clip, tempo) for clip in clips]
        # results in a fixed order (bumpers, then messages): the first problem is the one told
        done = (intro.result(), outro.result(), sting.result() if sting is not None else None)
        return done[0], [s.result() for s in segments], done[1], done[2]


def build_bed(
    settings: BedSettings, programme: Programme, episode: Episode, label: str
) -> BedTrack:
    """Stage: the bed normalized under the speech reference, looped, placed and ducked."""
    raw = ffmpeg.decode(settings.file, label=label, sample_rate=SR)
    try:
        level = dsp.normalize(
            raw, SR, episode.target_lufs + settings.level_lu, episode.true_peak_dbtp
        )
    except ValueError as exc:
        raise RenderError(f"{label}: {exc}") from exc
    head, loop = make_loop(level, round(settings.loop_crossfade_s * SR))
    segments = programme.segments
    if settings.under == "bumpers":
        spans = tuple(
            (s.start, s.end) for s in segments if s.kind in (SegmentKind.INTRO, SegmentKind.OUTRO)
        )
        ducks: tuple[tuple[int, int], ...] = ()
    else:
        spans = ((0, programme.length),)
        ducks = tuple((s.start, s.end) for s in segments)
    return BedTrack(
        head=head,
        loop=loop,
        spans=spans,
        ducks=ducks,
        duck_db=settings.duck_db,
        attack=round(settings.attack_s * SR),
        release=round(settings.release_s * SR),
        fade=round(settings.fade_s * SR),
    )


def write_metadata(
    folder: Path,
    inputs: EpisodeInputs,
    messages: Mapping[str, Message],
    programme: Programme,
    deliverables: Sequence[Deliverable],
    loudness: Loudness,
    profile: DeliveryProfile,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Stage (issue 4): embed the metadata in each measured deliverable, then write the
    sidecars; both see only what the metadata policy lets out."""

    def view(scope: str) -> PublicMetadata:
        return public_metadata(
            inputs.policy,
            scope,
            programme,
            inputs.episode,
            messages,
            tool_version=__version__,
            target_lufs=profile.target_lufs,
            ceiling_dbtp=profile.true_peak_dbtp,
        )

    embedded = view(EMBEDDED)
    for deliverable in deliverables:
        embed_metadata(deliverable, embedded)
    write_sidecars(folder, view(SIDECARS), deliverables, loudness, extra=extra)


def _is_write_failure(exc: OSError, output_dir: Path) -> bool:
    """A full or read-only disk, or anything refused under output/: the user's to fix."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return True
    name = exc.filename if isinstance(exc.filename, str) else None
    where = real_path(Path(name)) if name else None
    return where is not None and where.is_relative_to(real_path(output_dir) or output_dir)


def render_episode(
    project: Project,
    episode_path: Path,
    settings: RenderSettings | None = None,
    reporter: Reporter | None = None,
) -> RunReport:
    """Render one episode end to end. Raises InputError (exit 2) or RenderError (exit 1).

    On success the render is published atomically with its review page and manifest, and
    recorded in the broadcast ledger in the same step: the ledger transaction commits only
    after the folder is published, and is rolled back if publishing fails.
    """
    settings = settings or RenderSettings()
    reporter = reporter or QuietReporter()
    started = time.monotonic()
    inputs = load_episode(episode_path, project)
    report = RunReport(episode_id=inputs.episode.id)
    try:
        final, programme, deliverables = _render_and_publish(inputs, settings, reporter, report)
    except OSError as exc:
        # a full or read-only disk met while writing: one line, not an internal error; the
        # staging folder is already gone and the previous output untouched
        if not _is_write_failure(exc, project.output_dir):
            raise
        raise OutputError(explain_os_error(exc, project.output_dir)) from exc
    report.output_dir = final
    report.programme = programme
    report.programme_loudness = deliverables[0].loudness
    report.deliverables = [replace(d, path=final / d.path.name) for d in deliverables]
    report.elapsed_s = time.monotonic() - started
    return report


def _render_and_publish(
    inputs: EpisodeInputs, settings: RenderSettings, reporter: Reporter, report: RunReport
) -> tuple[Path, Programme, list[Deliverable]]:
    """Under the episode's lock, in a staging folder: every stage, then the atomic swap."""
    project, episode = inputs.project, inputs.episode
    profiles = inputs.delivery_profiles()
    engines = EngineSet(settings.gtts)
    cache = ClipCache(project.cache_dir)

    # the tempo is 1.0 unless a slot's tempo-up is planned from every clip's length: then
    # messages are normalized only once all are made, else each as soon as it is made
    tempo_known = episode.select is None and (
        episode.target_length_s is None or episode.max_tempo <= 1.0
    )
    maker: SegmentMaker | None = None

    def clip_done(clip: Clip) -> None:
        reporter.clip_done(clip)
        if tempo_known and maker is not None:
            maker.start(clip)

    def synthesize(messages: Sequence[Message]) -> list[Clip]:
        jobs = [ClipJob(m, inputs.voice, inputs.fallback_voice) for m in messages]
        return synthesize_all(
            jobs,
            engines,
            cache,
            strict=settings.strict,
            concurrency=settings.concurrency,
            on_clip=clip_done,
        )

    with contextlib.ExitStack() as stack:
        stack.enter_context(episode_lock(project.output_dir, episode.id))
        if episode.select is not None:
            # held until the render is in the ledger: no other render takes the same messages
            stack.enter_context(queue_lock(project.output_dir))
        staging = stack.enter_context(Staging(project.output_dir, episode.id))
        assert staging.path is not None and staging.work is not None
        pieces = decode_bumpers(inputs)
        pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="norm")
        # on the way out (a failure too) nothing queued is started: staging goes next
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        selection: Selection | None = None
        if episode.select is None:
            messages = {m.id: m for m in inputs.messages}
            maker = SegmentMaker(episode, messages, staging.work, pool)
            reporter.stage("synthesizing", total=len(inputs.messages))
            clips = synthesize(inputs.messages)
        else:
            assert inputs.message_index is not None
            messages = dict(inputs.message_index.messages)
            clips, selection = select_from_queue(
                inputs, episode.select, synthesize, pieces, reporter
            )
            report.selection = selection.record()
        for clip in clips:
            if clip.fallback:
                note = (
                    f"FALLBACK: message '{clip.message_id}' spoken by voice '{clip.voice}' "
                    f"({clip.engine}): {clip.fallback_reason}"
                )
                report.fallbacks.append(note)
                reporter.warn(note)
        report.clips_total = len(clips)
        report.clips_cached = sum(c.cached for c in clips)
        report.clips_synthesized = report.clips_total - report.clips_cached
        report.messages = [c.message_id for c in clips]

        reporter.stage("normalizing", total=len(clips) + 2)
        tempo = plan_tempo(episode, clips, pieces)
        if tempo != 1.0:
            reporter.warn(f"messages sped up {tempo:.3f}x (pitch kept) to fit the slot")
            report.warnings.append(f"tempo-up {tempo:.3f}x to fit the slot")
        if maker is None:
            maker = SegmentMaker(episode, messages, staging.work, pool)
        intro, segments, outro, sting = maker.segments(clips, pieces, tempo)
        target = episode.target_length_s
        fill_to = round(target * SR) if target is not None and episode.fit == "exact" else None
        try:
            programme = assemble(
                episode.id,
                episode.title,
                intro,
                segments,
                outro,
                gap_s=episode.gap_s,
                sting=sting,
                crossfade_s=episode.crossfade_s,
                fill_to=fill_to,
            )
        except ValueError as exc:  # rounding of the tempo-up left it a hair too long
            raise SlotOverrunError(
                f"programme does not fit its slot after tempo-up: {exc}"
            ) from exc
        if target is not None and programme.length > round(target * SR):
            raise SlotOverrunError(
                f"programme is {programme.duration_s:.3f} s, longer than its target {target:.3f} s"
            )
        if episode.bed is not None:
            label = project.show(episode.bed.file)
            programme = replace(programme, bed=build_bed(episode.bed, programme, episode, label))

        reporter.stage("mastering")
        delivery = deliver(
            programme,
            staging.path,
            episode.id,
            profiles,
            reference_db=episode.target_lufs,
            clips_dir=staging.path / "clips",
        )
        deliverables = delivery.deliverables
        primary = deliverables[0]
        assert primary.loudness is not None
        # which messages the queue gave, so a re-render that chose others is explainable
        extra = {"selection": report.selection} if report.selection is not None else None
        write_metadata(
            staging.path,
            inputs,
            messages,
            programme,
            deliverables,
            primary.loudness,
            profiles[0],
            extra,
        )

        reporter.stage("writing the review page")
        names = [d.path.name for d in deliverables]
        audio = next((n for n in names if n.endswith(".wav")), names[0])
        downloads = sorted(
            p.name for p in staging.path.iterdir() if p.is_file() and p.suffix != ".html"
        )
        page = episode_page(
            staging.path,
            programme,
            primary.loudness,
            episode,
            messages,
            audio,
            downloads,
            clip_facts=delivery.clips,  # measured and drawn while the files were written
            waveform=delivery.waveforms.get(audio),
            lexicons={v.name: v.lexicon for v in voice_profiles(inputs)},
        )
        write_review(staging.path, page)
        used_messages = [messages[c.message_id] for c in clips]
        outputs = output_files(staging.path)  # hashed once: the manifest and the ledger
        manifest_path = write_manifest(
            staging.path,
            manifest_document(
                episode.id,
                render_inputs(inputs, used_messages, engines),
                outputs,
                messages=report.messages,
                selection=report.selection,
                fallbacks=len(report.fallbacks),
            ),
        )

        reporter.stage("publishing")
        if settings.ledger:
            record = RenderRecord(
                episode_id=episode.id,
                title=episode.title,
                date=episode.date,
                rendered_at=now_utc(),
                tool_version=__version__,
                duration_s=round(programme.duration_s, 6),
                sample_rate=programme.sample_rate,
                placements=placements_of(
                    [
                        (s.message_id, s.start, s.end, s.text_sha256)
                        for s in message_segments(programme)
                        if s.message_id
                    ],
                    programme.sample_rate,
                ),
                deliverables=tuple(
                    sorted(
                        [*outputs, *output_files(staging.path, exclude=[o.file for o in outputs])],
                        key=lambda f: PurePosixPath(f.file),  # output_files' own order
                    )
                ),
                manifest_sha256=sha256_file(manifest_path),
            )
            with Ledger(project.ledger_path) as ledger, ledger.transaction():
                report.ledger_render_id = ledger.add_render(record)
                final = staging.publish()
        else:
            final = staging.publish()
    return final, programme, deliverables
