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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Protocol

import numpy as np

from audio_pipeline import __version__
from audio_pipeline.audio import ffmpeg
from audio_pipeline.core import defaults
from audio_pipeline.core.digest import sha256_file
from audio_pipeline.core.errors import OutputError, RenderError, explain_os_error
from audio_pipeline.core.models import (
    Clip,
    Deliverable,
    Episode,
    Message,
    Programme,
    RunReport,
    SegmentKind,
    SelectRule,
)
from audio_pipeline.core.project import Project, real_path
from audio_pipeline.delivery.master import deliver
from audio_pipeline.inputs.episodes import EpisodeInputs, load_episode
from audio_pipeline.metadata.manifest import (
    manifest_document,
    output_files,
    render_inputs,
    voice_profiles,
    write_manifest,
)
from audio_pipeline.metadata.write import write_metadata
from audio_pipeline.programme.assemble import assemble, message_segments
from audio_pipeline.programme.bedtrack import build_bed
from audio_pipeline.programme.segments import Pieces, SegmentMaker
from audio_pipeline.programme.selection import Selection, choose, nothing_chosen, queue_for
from audio_pipeline.programme.timing import Piece, SlotOverrun, plan_slot
from audio_pipeline.publish.ledger import Ledger, RenderRecord, now_utc, placements_of
from audio_pipeline.publish.outputdir import Staging, episode_lock, queue_lock
from audio_pipeline.publish.review import episode_page, write_review
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.engines.base import EngineSettings
from audio_pipeline.speech.engines.registry import EngineSet
from audio_pipeline.speech.synthesis import ClipJob, synthesize_all

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
    engines: EngineSettings = field(default_factory=EngineSettings)
    ledger: bool = True  # record the published render in the broadcast ledger


class SlotOverrunError(RenderError):
    """The programme does not fit its slot; the message carries the whole report."""


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
    engines = EngineSet(settings.engines)
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
