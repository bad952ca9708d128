"""The render: plain stage functions in one direction, assembled here.

load_episode -> prepare_bumpers -> synthesize_all (or select_from_queue) -> prepare_messages
-> assemble -> master -> write_sidecars -> review page -> manifest -> publish + ledger.
Files are touched only by the stages that own them; the staging folder is
published only when every stage succeeded, so a failed render publishes nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from . import __version__, cues, defaults, dsp, ffmpeg, wavfile
from .assemble import assemble, message_segments, programme_length
from .cache import ClipCache
from .deliver import DEFAULT_FORMATS, OutputFormat, master
from .engines import EngineSet, GttsSettings
from .errors import RenderError
from .inputs import EpisodeInputs, load_episode
from .ledger import Ledger, RenderRecord, now_utc, placements_of
from .loudness import measure
from .manifest import (
    manifest_document,
    output_files,
    render_inputs,
    sha256_file,
    write_manifest,
)
from .models import (
    Clip,
    Episode,
    Message,
    Programme,
    RunReport,
    Segment,
    SegmentKind,
    SelectRule,
)
from .outputdir import Staging, episode_lock
from .project import Project
from .review import episode_page, write_review
from .selection import Selection, choose, nothing_chosen, queue_for, queue_lock
from .synthesis import ClipJob, load_clip, synthesize_all, text_sha256

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
    concurrency: int = 2  # clip workers; espeak serializes on its lock, gTTS runs in parallel
    gtts: GttsSettings = field(default_factory=GttsSettings)
    formats: tuple[OutputFormat, ...] = DEFAULT_FORMATS
    ledger: bool = True  # record the published render in the broadcast ledger


def _normalized_segment(
    samples: np.ndarray,
    kind: SegmentKind,
    work: Path,
    name: str,
    episode: Episode,
    **meta: object,
) -> Segment:
    """Normalize one piece to the episode's target and ceiling, stage it, measure it."""
    try:
        y = dsp.normalize(samples, SR, episode.target_lufs, episode.true_peak_dbtp)
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
        loudness=measure(y, SR),
        **meta,  # type: ignore[arg-type]
    )


def prepare_bumpers(inputs: EpisodeInputs, work: Path) -> tuple[Segment, Segment, Segment | None]:
    """Stage: decode the intro, outro and sting and normalize them like the clips."""
    episode = inputs.episode

    def bumper(path: Path, kind: SegmentKind) -> Segment:
        samples = ffmpeg.decode(path, label=inputs.project.show(path), sample_rate=SR)
        return _normalized_segment(samples, kind, work, kind.value, episode)

    intro = bumper(episode.intro, SegmentKind.INTRO)
    outro = bumper(episode.outro, SegmentKind.OUTRO)
    sting = bumper(episode.sting, SegmentKind.STING) if episode.sting else None
    return intro, outro, sting


def prepare_messages(
    episode: Episode, messages: Mapping[str, Message], clips: list[Clip], work: Path
) -> list[Segment]:
    """Stage: load each clip and normalize it to the episode's target (loudness-matched)."""
    segments = []
    for clip in clips:
        message = messages[clip.message_id]
        segments.append(
            _normalized_segment(
                load_clip(clip),
                SegmentKind.MESSAGE,
                work,
                f"message-{clip.message_id}",
                episode,
                message_id=clip.message_id,
                title=message.title,
                engine=clip.engine,
                voice=clip.voice,
                fallback=clip.fallback,
                cached=clip.cached,
                text_sha256=text_sha256(message.text),
                spoken_text=clip.spoken_text,
            )
        )
    return segments


def prepare_segments(
    inputs: EpisodeInputs, clips: list[Clip], work: Path
) -> tuple[Segment, list[Segment], Segment, Segment | None]:
    """Stage: decode bumpers, load clips, normalize every piece (loudness-matched)."""
    intro, outro, sting = prepare_bumpers(inputs, work)
    by_id = {m.id: m for m in inputs.messages}
    return intro, prepare_messages(inputs.episode, by_id, clips, work), outro, sting


def select_from_queue(
    inputs: EpisodeInputs,
    rule: SelectRule,
    synthesize: Callable[[Sequence[Message]], list[Clip]],
    pieces: tuple[Segment, Segment, Segment | None],
    reporter: Reporter,
) -> tuple[list[Clip], Selection]:
    """Stage: choose a `select:` episode's messages from the queue (ledger-aware)."""
    project, episode = inputs.project, inputs.episode
    index = inputs.message_index
    assert index is not None
    broken = sorted({p.file for p in index.problems})
    if broken:
        reporter.warn(
            f"{len(broken)} message file(s) have problems and were left out of the queue "
            f"({', '.join(broken[:5])}); `audio-pipeline validate` lists them"
        )
    with Ledger(project.ledger_path) as ledger:
        used = ledger.used_messages(except_episode=episode.id)
    queue = queue_for(index.messages, rule, used)
    intro, outro, sting = pieces

    def length(messages: Sequence[int]) -> int:
        return programme_length(
            intro.length,
            outro.length,
            messages,
            gap_s=episode.gap_s,
            sting=sting.length if sting else None,
        )

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


def write_sidecars(
    folder: Path, programme: Programme, episode: Episode, document: dict[str, object]
) -> None:
    (folder / "cues.json").write_text(cues.cues_json(document), "utf-8")
    performer = episode.station or defaults.STATION
    (folder / f"{episode.id}.cue").write_text(
        cues.cue_sheet(programme, f"{episode.id}.wav", performer=performer), "utf-8"
    )
    (folder / f"{episode.id}.labels.txt").write_text(cues.audacity_labels(programme), "utf-8")


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
    episode = inputs.episode
    report = RunReport(episode_id=episode.id)
    engines = EngineSet(settings.gtts)
    cache = ClipCache(project.cache_dir)

    def synthesize(messages: Sequence[Message]) -> list[Clip]:
        jobs = [ClipJob(m, inputs.voice, inputs.fallback_voice) for m in messages]
        return synthesize_all(
            jobs,
            engines,
            cache,
            strict=settings.strict,
            concurrency=settings.concurrency,
            on_clip=reporter.clip_done,
        )

    with contextlib.ExitStack() as stack:
        stack.enter_context(episode_lock(project.output_dir, episode.id))
        if episode.select is not None:
            # held until the render is in the ledger: no other render takes the same messages
            stack.enter_context(queue_lock(project.output_dir))
        staging = stack.enter_context(Staging(project.output_dir, episode.id))
        assert staging.path is not None and staging.work is not None
        pieces = prepare_bumpers(inputs, staging.work)
        selection: Selection | None = None
        if episode.select is None:
            messages = {m.id: m for m in inputs.messages}
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

        reporter.stage("normalizing", total=len(clips))
        intro, outro, sting = pieces
        segments = prepare_messages(episode, messages, clips, staging.work)
        programme = assemble(
            episode.id, episode.title, intro, segments, outro, gap_s=episode.gap_s, sting=sting
        )
        reporter.stage("mastering")
        result = master(
            programme,
            staging.path,
            episode.id,
            target_lufs=episode.target_lufs,
            ceiling_dbtp=episode.true_peak_dbtp,
            formats=settings.formats,
            clips_dir=staging.path / "clips",
            clip_segments=message_segments(programme),
        )
        off = abs(result.loudness.integrated_lufs - episode.target_lufs)
        if off > defaults.PROGRAMME_TOLERANCE_LU:
            raise RenderError(
                f"programme loudness {result.loudness.integrated_lufs:.2f} LUFS is {off:.2f} LU "
                f"from the target {episode.target_lufs} LUFS "
                f"(allowed: {defaults.PROGRAMME_TOLERANCE_LU} LU)"
            )
        document = cues.cues_document(
            programme,
            target_lufs=episode.target_lufs,
            ceiling_dbtp=episode.true_peak_dbtp,
            loudness=result.loudness,
            deliverables=result.deliverables,
            tool_version=__version__,
        )
        if report.selection is not None:
            # which messages the queue gave, so a re-render that chose others is explainable
            document["selection"] = report.selection
        write_sidecars(staging.path, programme, episode, document)

        reporter.stage("writing the review page")
        names = [d.path.name for d in result.deliverables]
        audio = next((n for n in names if n.endswith(".wav")), names[0])
        page = episode_page(
            staging.path,
            programme,
            result.loudness,
            episode,
            messages,
            audio,
            [*names, "cues.json", f"{episode.id}.cue", f"{episode.id}.labels.txt"],
        )
        write_review(staging.path, page)
        used_messages = [messages[c.message_id] for c in clips]
        manifest_path = write_manifest(
            staging.path,
            manifest_document(
                episode.id,
                render_inputs(inputs, used_messages, engines),
                output_files(staging.path),
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
                deliverables=tuple(output_files(staging.path, exclude=())),
                manifest_sha256=sha256_file(manifest_path),
            )
            with Ledger(project.ledger_path) as ledger, ledger.transaction():
                report.ledger_render_id = ledger.add_render(record)
                final = staging.publish()
        else:
            final = staging.publish()

    report.output_dir = final
    report.programme = programme
    report.programme_loudness = result.loudness
    report.deliverables = [
        type(d)(final / d.path.name, d.format, d.sample_rate, d.loudness)
        for d in result.deliverables
    ]
    report.elapsed_s = time.monotonic() - started
    return report
