"""The render: plain stage functions in one direction, assembled here.

load_episode -> synthesize_all -> plan_slot -> prepare_segments -> assemble (+ bed) -> deliver
(every profile) -> write_metadata (embedded tags, then sidecars) -> publish. Files are
touched only by the stages that own them; the staging folder is published only when every
stage succeeded, so a failed render publishes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from . import __version__, defaults, dsp, ffmpeg, wavfile
from .assemble import assemble
from .bed import BedSettings, BedTrack, make_loop
from .cache import ClipCache
from .deliver import deliver
from .embed import embed_metadata
from .engines import EngineSet, GttsSettings
from .errors import RenderError
from .inputs import EpisodeInputs, load_episode
from .loudness import measure
from .metadata_policy import EMBEDDED, SIDECARS, PublicMetadata, public_metadata
from .models import (
    Clip,
    Deliverable,
    Episode,
    Loudness,
    Programme,
    RunReport,
    Segment,
    SegmentKind,
)
from .outputdir import Staging, episode_lock
from .profiles import DeliveryProfile
from .project import Project
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
    concurrency: int = 2  # clip workers; espeak runs on every core, gTTS within its rate cap
    gtts: GttsSettings = field(default_factory=GttsSettings)


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


@dataclass(frozen=True)
class Pieces:
    intro: np.ndarray
    outro: np.ndarray
    sting: np.ndarray | None


def decode_bumpers(inputs: EpisodeInputs) -> Pieces:
    episode = inputs.episode

    def load(path: Path) -> np.ndarray:
        return ffmpeg.decode(path, label=inputs.project.show(path), sample_rate=SR)

    return Pieces(
        load(episode.intro), load(episode.outro), load(episode.sting) if episode.sting else None
    )


def plan_tempo(inputs: EpisodeInputs, clips: list[Clip], pieces: Pieces) -> float:
    """Stage: the tempo-up that makes the episode fit its slot (1.0 = none, or no slot)."""
    episode = inputs.episode
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


def prepare_segments(
    inputs: EpisodeInputs, clips: list[Clip], pieces: Pieces, work: Path, tempo: float = 1.0
) -> tuple[Segment, list[Segment], Segment, Segment | None]:
    """Stage: normalize every piece to the speech reference (bumpers loudness-matched), with
    the slot's tempo-up applied to the messages."""
    episode = inputs.episode
    intro = _normalized_segment(pieces.intro, SegmentKind.INTRO, work, "intro", episode)
    outro = _normalized_segment(pieces.outro, SegmentKind.OUTRO, work, "outro", episode)
    sting = (
        _normalized_segment(pieces.sting, SegmentKind.STING, work, "sting", episode)
        if pieces.sting is not None
        else None
    )
    by_id = {m.id: m for m in inputs.messages}
    messages = []
    for clip in clips:
        message = by_id[clip.message_id]
        audio = ffmpeg.change_tempo(load_clip(clip), SR, tempo)
        messages.append(
            _normalized_segment(
                audio,
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
                tempo=tempo,
            )
        )
    return intro, messages, outro, sting


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
    programme: Programme,
    deliverables: Sequence[Deliverable],
    loudness: Loudness,
    profile: DeliveryProfile,
) -> None:
    """Stage (issue 4): embed the metadata in each measured deliverable, then write the
    sidecars; both see only what the metadata policy lets out."""

    def view(scope: str) -> PublicMetadata:
        messages = {m.id: m for m in inputs.messages}
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
    write_sidecars(folder, view(SIDECARS), deliverables, loudness)


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
    episode = inputs.episode
    profiles = inputs.delivery_profiles()
    report = RunReport(episode_id=episode.id)
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
        pieces = decode_bumpers(inputs)
        tempo = plan_tempo(inputs, clips, pieces)
        if tempo != 1.0:
            reporter.warn(f"messages sped up {tempo:.3f}x (pitch kept) to fit the slot")
            report.warnings.append(f"tempo-up {tempo:.3f}x to fit the slot")
        intro, messages, outro, sting = prepare_segments(inputs, clips, pieces, staging.work, tempo)
        target = episode.target_length_s
        fill_to = round(target * SR) if target is not None and episode.fit == "exact" else None
        try:
            programme = assemble(
                episode.id,
                episode.title,
                intro,
                messages,
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
        deliverables = deliver(
            programme,
            staging.path,
            episode.id,
            profiles,
            reference_db=episode.target_lufs,
            clips_dir=staging.path / "clips",
        )
        primary = deliverables[0]
        assert primary.loudness is not None
        write_metadata(staging.path, inputs, programme, deliverables, primary.loudness, profiles[0])
        reporter.stage("publishing")
        final = staging.publish()

    report.output_dir = final
    report.programme = programme
    report.programme_loudness = primary.loudness
    report.deliverables = [replace(d, path=final / d.path.name) for d in deliverables]
    report.elapsed_s = time.monotonic() - started
    return report
