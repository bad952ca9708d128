"""The render: one episode, validated inputs in, a published folder and a run report out.

A list of stage calls, each a function of its room with typed inputs and outputs:

    speak (synthesis, or the queue's choice) -> plan the slot's tempo -> normalize the pieces
    -> assemble (+ the bed) -> master every profile -> score the AM files on air -> metadata
    -> review page (with each clip as heard) -> manifest -> publish with the ledger

Files are written only into a staging folder, published atomically when every stage has
succeeded, so a failed render publishes nothing and leaves the previous one untouched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from audio_pipeline.app.onair import score_render
from audio_pipeline.app.settings import QuietReporter, RenderSettings, Reporter
from audio_pipeline.app.stages import (
    account_usage,
    fill,
    place,
    plan_tempo,
    publish,
    review_page,
    speak,
)
from audio_pipeline.core.errors import OutputError, explain_os_error
from audio_pipeline.core.project import Project, real_path
from audio_pipeline.core.results import EngineUsage, RunReport
from audio_pipeline.delivery.master import deliver
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.inputs.episodes import EpisodeInputs, load_episode
from audio_pipeline.metadata.manifest import (
    manifest_document,
    output_files,
    render_inputs,
    write_manifest,
)
from audio_pipeline.metadata.write import write_metadata
from audio_pipeline.programme.timing import Slot
from audio_pipeline.publish.outputdir import Staging, episode_lock, queue_lock


def render_episode(
    project: Project,
    episode_path: Path,
    settings: RenderSettings | None = None,
    reporter: Reporter | None = None,
) -> RunReport:
    """Validate an episode, then render it (render_loaded). Raises InputError (exit 2) or
    RenderError (exit 1)."""
    return render_loaded(load_episode(episode_path, project), settings, reporter)


def render_loaded(
    inputs: EpisodeInputs,
    settings: RenderSettings | None = None,
    reporter: Reporter | None = None,
) -> RunReport:
    """Render what was validated: the batch and the studio load once and render this.

    On success the render is published atomically with its review page and manifest, and
    recorded in the broadcast ledger in the same step: the ledger transaction commits only
    after the folder is published, and is rolled back if publishing fails."""
    settings = settings or RenderSettings()
    reporter = reporter or QuietReporter()
    started = time.monotonic()
    project = inputs.project
    try:
        return _render(inputs, settings, reporter, started)
    except OSError as exc:
        # a full or read-only disk met while writing: one line, not an internal error; the
        # staging folder is already gone and the previous output untouched
        if not _is_write_failure(exc, project.output_dir):
            raise
        raise OutputError(explain_os_error(exc, project.output_dir)) from exc


def _render(
    inputs: EpisodeInputs, settings: RenderSettings, reporter: Reporter, started: float
) -> RunReport:
    project, episode, audio = inputs.project, inputs.episode, inputs.audio
    usage: list[EngineUsage] = []
    slot = Slot.of(
        episode,
        len(audio.intro),
        len(audio.outro),
        None if audio.sting is None else len(audio.sting),
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(episode_lock(project.output_dir, episode.id))
        if episode.select is not None:
            # held until the render is in the ledger: no other render takes the same messages
            stack.enter_context(queue_lock(project.output_dir))
        staging = stack.enter_context(Staging(project.output_dir, episode.id))
        pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="norm")
        # on the way out (a failure too) nothing queued is started: staging goes next
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)

        engines = EngineSet(settings.engines)
        if settings.ledger:
            # what the paid services were sent is billed whether or not the render publishes
            stack.callback(account_usage, inputs, engines, reporter, usage)
        spoken, maker = speak(inputs, slot, engines, settings, reporter, staging.scratch, pool)
        reporter.stage("normalizing", total=len(spoken.clips) + 2)
        tempo = plan_tempo(slot, spoken.clips, reporter)
        intro, segments, outro, sting = maker.segments(spoken.clips, audio, tempo)
        fillers, plan = fill(inputs, slot, segments, spoken, maker)
        programme = place(inputs, slot, intro, segments, outro, sting, fillers, plan)

        reporter.stage("mastering")
        profiles = inputs.delivery_profiles()
        delivery = deliver(
            programme,
            staging.folder,
            episode.id,
            profiles,
            reference_db=episode.target_lufs,
            clips_dir=staging.folder / "clips",
        )
        selection = spoken.selection.record() if spoken.selection is not None else None
        if any(p.am_processing is not None for p in profiles):
            reporter.stage("hearing the AM files over the simulated channel")
        on_air = score_render(programme, delivery.deliverables, profiles)
        extra: dict[str, object] = {}
        if selection is not None:
            extra["selection"] = selection
        if on_air:
            extra["intelligibility"] = on_air
        primary_loudness = delivery.deliverables[0].loudness
        assert primary_loudness is not None
        write_metadata(
            staging.folder,
            inputs,
            spoken.messages,
            programme,
            delivery.deliverables,
            primary_loudness,
            profiles[0],
            extra or None,
        )
        reporter.stage("writing the review page")
        review_page(staging.folder, inputs, spoken.messages, programme, delivery)
        outputs = output_files(staging.folder)  # hashed once: the manifest and the ledger
        manifest = write_manifest(
            staging.folder,
            manifest_document(
                episode.id,
                render_inputs(inputs, [spoken.messages[c.message_id] for c in spoken.clips]),
                outputs,
                messages=[c.message_id for c in spoken.clips],
                selection=selection,
                fallbacks=sum(c.fallback for c in spoken.clips),
            ),
        )
        reporter.stage("publishing")
        final, render_id = publish(staging, inputs, programme, outputs, manifest, settings)
    return RunReport(
        episode_id=episode.id,
        output_dir=final,
        clips=tuple(spoken.clips),
        programme=programme,
        deliverables=tuple(replace(d, path=final / d.path.name) for d in delivery.deliverables),
        elapsed_s=time.monotonic() - started,
        tempo=tempo,
        selection=selection,
        ledger_render_id=render_id,
        usage=tuple(usage),
        on_air=on_air,
    )


def _is_write_failure(exc: OSError, output_dir: Path) -> bool:
    """A full or read-only disk, or anything refused under output/: the user's to fix."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return True
    name = exc.filename if isinstance(exc.filename, str) else None
    where = real_path(Path(name)) if name else None
    return where is not None and where.is_relative_to(real_path(output_dir) or output_dir)
