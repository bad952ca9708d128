"""The render: plain stage functions in one direction, assembled here.

load_episode -> synthesize_all -> prepare_segments -> assemble -> master -> write_sidecars
-> publish. Files are touched only by the stages that own them; the staging folder is
published only when every stage succeeded, so a failed render publishes nothing.
"""

from __future__ import annotations

import errno
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from . import __version__, cues, defaults, dsp, ffmpeg, wavfile
from .assemble import assemble, message_segments
from .cache import ClipCache
from .deliver import DEFAULT_FORMATS, MasterResult, OutputFormat, master
from .engines import EngineSet, GttsSettings
from .errors import OutputError, RenderError
from .inputs import EpisodeInputs, load_episode
from .loudness import measure
from .models import Clip, Episode, Programme, RunReport, Segment, SegmentKind
from .outputdir import Staging, episode_lock, explain_os_error
from .project import Project, real_path
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
    # clip workers: espeak speaks in one forked child per core, gTTS requests run in parallel
    concurrency: int = defaults.RENDER_CONCURRENCY
    gtts: GttsSettings = field(default_factory=GttsSettings)
    formats: tuple[OutputFormat, ...] = DEFAULT_FORMATS


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


def prepare_segments(
    inputs: EpisodeInputs, clips: list[Clip], work: Path
) -> tuple[Segment, list[Segment], Segment, Segment | None]:
    """Stage: decode bumpers, load clips, normalize every piece (loudness-matched)."""
    episode = inputs.episode

    def bumper(path: Path, kind: SegmentKind) -> Segment:
        samples = ffmpeg.decode(path, label=inputs.project.show(path), sample_rate=SR)
        return _normalized_segment(samples, kind, work, kind.value, episode)

    intro = bumper(episode.intro, SegmentKind.INTRO)
    outro = bumper(episode.outro, SegmentKind.OUTRO)
    sting = bumper(episode.sting, SegmentKind.STING) if episode.sting else None
    by_id = {m.id: m for m in inputs.messages}
    messages = []
    for clip in clips:
        message = by_id[clip.message_id]
        messages.append(
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
    return intro, messages, outro, sting


def write_sidecars(
    folder: Path, programme: Programme, episode: Episode, document: dict[str, object]
) -> None:
    (folder / "cues.json").write_text(cues.cues_json(document), "utf-8")
    performer = episode.station or defaults.STATION
    (folder / f"{episode.id}.cue").write_text(
        cues.cue_sheet(programme, f"{episode.id}.wav", performer=performer), "utf-8"
    )
    (folder / f"{episode.id}.labels.txt").write_text(cues.audacity_labels(programme), "utf-8")


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
    """Render one episode end to end. Raises InputError (exit 2) or RenderError (exit 1)."""
    settings = settings or RenderSettings()
    reporter = reporter or QuietReporter()
    started = time.monotonic()
    inputs = load_episode(episode_path, project)
    report = RunReport(episode_id=inputs.episode.id)
    try:
        final, programme, result = _render_and_publish(inputs, settings, reporter, report)
    except OSError as exc:
        # a full or read-only disk met while writing: one line, not an internal error; the
        # staging folder is already gone and the previous output untouched
        if not _is_write_failure(exc, project.output_dir):
            raise
        raise OutputError(explain_os_error(exc, project.output_dir)) from exc
    report.output_dir = final
    report.programme = programme
    report.programme_loudness = result.loudness
    report.deliverables = [
        type(d)(final / d.path.name, d.format, d.sample_rate, d.loudness)
        for d in result.deliverables
    ]
    report.elapsed_s = time.monotonic() - started
    return report


def _render_and_publish(
    inputs: EpisodeInputs, settings: RenderSettings, reporter: Reporter, report: RunReport
) -> tuple[Path, Programme, MasterResult]:
    """Under the episode's lock, in a staging folder: every stage, then the atomic swap."""
    project, episode = inputs.project, inputs.episode
    engines = EngineSet(settings.gtts)
    cache = ClipCache(project.cache_dir)
    with (
        episode_lock(project.output_dir, episode.id),
        Staging(project.output_dir, episode.id) as staging,
    ):
        assert staging.path is not None and staging.work is not None
        jobs = [ClipJob(m, inputs.voice, inputs.fallback_voice) for m in inputs.messages]
        reporter.stage("synthesizing", total=len(jobs))
        clips = synthesize_all(
            jobs,
            engines,
            cache,
            strict=settings.strict,
            concurrency=settings.concurrency,
            on_clip=reporter.clip_done,
        )
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

        reporter.stage("normalizing", total=len(clips) + 2)
        intro, messages, outro, sting = prepare_segments(inputs, clips, staging.work)
        programme = assemble(
            episode.id, episode.title, intro, messages, outro, gap_s=episode.gap_s, sting=sting
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
        write_sidecars(staging.path, programme, episode, document)
        reporter.stage("publishing")
        final = staging.publish()

    return final, programme, result
