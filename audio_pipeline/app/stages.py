"""The stages of a render, each a function of typed inputs and outputs, in the order
app/render.py calls them: speak (synthesis, or the queue's choice), plan_tempo, fill (an
exact slot's under-run), place (assemble and the bed), review_page, publish (with the
ledger), account_usage (what the paid services were sent). The substance of each lives in
its room (speech/, programme/, delivery/, metadata/, publish/); a stage is the glue that
hands one room's result to the next and tells the run's progress.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from audio_pipeline import __version__
from audio_pipeline.app.onair import listening_for, write_heard
from audio_pipeline.app.settings import RenderSettings, Reporter
from audio_pipeline.audio import wavfile
from audio_pipeline.core.digest import sha256_file
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.models import Message
from audio_pipeline.core.results import (
    Clip,
    EngineUsage,
    Programme,
    Segment,
    SegmentKind,
    fallback_warning,
)
from audio_pipeline.delivery.master import Delivery
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.inputs.episodes import EpisodeInputs
from audio_pipeline.inputs.profiles import load_profiles
from audio_pipeline.inputs.safety import Gate, review_state
from audio_pipeline.metadata.manifest import (
    DeliveredFile,
    output_files,
    voice_profiles,
)
from audio_pipeline.metadata.sidecars import primary
from audio_pipeline.programme.assemble import assemble, message_segments
from audio_pipeline.programme.bedtrack import build_bed
from audio_pipeline.programme.fill import plan_fill
from audio_pipeline.programme.segments import SegmentMaker
from audio_pipeline.programme.selection import Selection, choose, nothing_chosen, queue_for
from audio_pipeline.programme.timing import FillPlan, Piece, Slot, SlotOverrun, SlotUnderrun
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.ledger_records import RenderRecord, now_utc, placements_of
from audio_pipeline.publish.outputdir import Staging
from audio_pipeline.publish.review import episode_page, write_review
from audio_pipeline.publish.usage import flush_usage, month_usage, usage_warnings
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.synthesis import ClipJob, cast_jobs, synthesize_all


class SlotOverrunError(RenderError):
    """The programme does not fit its slot; the message carries the whole report."""


class SlotUnderrunError(RenderError):
    """The programme is too short for its slot and nothing but dead air would fill it."""


@dataclass(frozen=True)
class Spoken:
    """What the speech stage gives: the clips in programme order, and the queue's choice."""

    clips: list[Clip]
    messages: dict[str, Message]  # every message a clip may speak, by id
    selection: Selection | None
    readings: dict[str, Clip] = field(default_factory=dict)  # the pool's readings, by id


def speak(
    inputs: EpisodeInputs,
    slot: Slot,
    engines: EngineSet,
    settings: RenderSettings,
    reporter: Reporter,
    work: Path,
    pool: ThreadPoolExecutor,
) -> tuple[Spoken, SegmentMaker]:
    """Stage: every message's clip, through the cache, loud fallbacks told as they happen.

    A listed episode speaks its messages; a `select:` episode takes them from the approved
    queue (ledger-aware), fitting its slot. When no tempo-up can be needed, each message is
    normalized the moment its clip is made, so a cold render normalizes while it waits on
    the engine."""
    project, episode = inputs.project, inputs.episode
    cache = ClipCache(project.cache_dir)
    listed = episode.select is None
    messages = {m.id: m for m in inputs.messages}
    if not listed:
        assert inputs.message_index is not None
        messages = dict(inputs.message_index.messages)
    maker = SegmentMaker(episode, messages, work, pool, cache=cache)
    early = listed and (slot.target is None or slot.max_tempo <= 1.0)

    def clip_done(clip: Clip) -> None:
        reporter.clip_done(clip)
        if clip.fallback:  # the reason, whole; the clip's own line says which message
            reporter.warn(fallback_warning(clip))
        if early:
            maker.start(clip)

    def synthesize(chosen: Sequence[Message], first: int = 0) -> list[Clip]:
        # each message read by the voice its casting gives it; a queue episode's rotation
        # turns by the place a candidate would take in the programme
        jobs = (
            cast_jobs(inputs, chosen)
            if listed
            else [ClipJob(m, *inputs.cast(m.id, first + n)) for n, m in enumerate(chosen)]
        )
        return synthesize_all(
            jobs,
            engines,
            cache,
            strict=settings.strict,
            concurrency=settings.concurrency,
            on_clip=clip_done,
        )

    # a fit: exact slot may need the pool's readings: spoken (through the cache) by the
    # episode's own voice, as any message; the fill stage decides which of them play
    readings = [f.message for f in inputs.fillers if f.message is not None] if slot.exact else []
    messages.update({m.id: m for m in readings})

    def read() -> dict[str, Clip]:
        jobs = [ClipJob(m, inputs.voice, inputs.fallback_voice) for m in readings]
        clips = synthesize_all(
            jobs, engines, cache, strict=settings.strict, concurrency=settings.concurrency
        )
        return {c.message_id: c for c in clips}

    if listed:
        reporter.stage("synthesizing", total=len(inputs.messages))
        return Spoken(synthesize(inputs.messages), messages, None, read()), maker
    clips, selection = select_from_queue(inputs, slot, synthesize, reporter)
    return Spoken(clips, messages, selection, read()), maker


def select_from_queue(
    inputs: EpisodeInputs,
    slot: Slot,
    synthesize: Callable[[Sequence[Message], int], list[Clip]],
    reporter: Reporter,
) -> tuple[list[Clip], Selection]:
    """Stage: a `select:` episode's messages from the queue. With a slot, the queue fills up
    to the episode's target length."""
    project, episode = inputs.project, inputs.episode
    rule, index = episode.select, inputs.message_index
    assert rule is not None and index is not None
    broken = sorted({p.file for p in index.problems})
    if broken:
        reporter.warn(
            f"{len(broken)} message file(s) have problems and were left out of the queue "
            f"({', '.join(broken[:5])}); `audio-pipeline validate` lists them"
        )
    if slot.target is not None:
        limit = slot.target / slot.sample_rate
        if rule.max_duration_s is not None:
            limit = min(limit, rule.max_duration_s)
        rule = replace(rule, max_duration_s=limit)
    with Ledger(project.ledger_path) as ledger:
        used = ledger.used_messages(except_episode=episode.id)
    queue = queue_for(index.messages, rule, used)
    reporter.stage("synthesizing", total=min(rule.max_messages, len(queue.candidates)))
    selection = choose(queue, rule, synthesize, slot.length, slot.sample_rate)
    if not selection.chosen:
        empty = slot.length([]) / slot.sample_rate
        raise nothing_chosen(project.show(episode.source), queue, selection, empty)
    for message_id in selection.did_not_fit:
        reporter.warn(
            f"queue: message '{message_id}' does not fit the slot of {rule.max_duration_s:g} s "
            "and stays in the queue"
        )
    return selection.chosen, selection


def plan_tempo(slot: Slot, clips: Sequence[Clip], reporter: Reporter) -> float:
    """Stage: the tempo-up that makes the programme fit its slot (1.0: none, or no slot)."""
    rate = slot.sample_rate
    pieces = [Piece(SegmentKind.MESSAGE, round(c.duration_s * rate), c.message_id) for c in clips]
    try:
        tempo = slot.plan(pieces).tempo
    except SlotOverrun as exc:
        raise SlotOverrunError(exc.lines[0], notes=tuple(exc.lines[1:])) from exc
    if tempo != 1.0:
        reporter.warn(f"messages sped up {tempo:.3f}x (pitch kept) to fit the slot")
    return tempo


def fill(
    inputs: EpisodeInputs,
    slot: Slot,
    messages: list[Segment],
    spoken: Spoken,
    maker: SegmentMaker,
) -> tuple[list[Segment], FillPlan | None]:
    """Stage (fit: exact): how the slot is filled, and the filler items that play, normalized
    (every item of the pool is normalized first: the plan needs their exact lengths)."""
    if not slot.exact:
        return [], None
    pool = maker.fillers(inputs.fillers, spoken.readings)
    pieces = [Piece(s.kind, s.length, s.message_id or s.title or "") for s in pool]
    try:
        plan = plan_fill(
            slot, [Piece(s.kind, s.length, s.message_id or "") for s in messages], pieces
        )
    except SlotUnderrun as exc:
        raise SlotUnderrunError(exc.lines[0], notes=tuple(exc.lines[1:])) from exc
    except SlotOverrun as exc:  # the tempo-up's rounding left it a hair too long
        raise SlotOverrunError(
            f"programme does not fit its slot after tempo-up: {'; '.join(exc.lines)}"
        ) from exc
    return [pool[i] for i in plan.fillers], plan


def place(
    inputs: EpisodeInputs,
    slot: Slot,
    intro: Segment,
    messages: list[Segment],
    outro: Segment,
    sting: Segment | None,
    fillers: list[Segment],
    plan: FillPlan | None,
) -> Programme:
    """Stage: the normalized pieces on the timeline, fitted to the slot, the bed under them."""
    episode = inputs.episode
    try:
        programme = assemble(
            episode.id, episode.title, intro, messages, outro, sting, slot, fillers, plan
        )
    except SlotOverrun as exc:  # the tempo-up's rounding left it a hair too long
        raise SlotOverrunError(
            f"programme does not fit its slot after tempo-up: {'; '.join(exc.lines)}"
        ) from exc
    if slot.target is not None and programme.length > slot.target:
        raise SlotOverrunError(
            f"programme is {programme.duration_s:.3f} s, longer than its target "
            f"{slot.target / slot.sample_rate:.3f} s"
        )
    if episode.bed is not None and inputs.audio.bed is not None:
        label = inputs.project.show(episode.bed.file)
        track = build_bed(episode.bed, inputs.audio.bed, programme, episode, label)
        programme = replace(programme, bed=track)
    return programme


def review_page(
    folder: Path,
    inputs: EpisodeInputs,
    messages: dict[str, Message],
    programme: Programme,
    delivery: Delivery,
) -> None:
    """Stage: the reviewer's page, playing the broadcast master, beside the deliverables."""
    deliverables = delivery.deliverables
    main = primary(deliverables)
    assert main is not None and deliverables[0].loudness is not None
    audio = main.path.name
    downloads = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".html")
    voices = voice_profiles(inputs)
    gate = Gate.load(inputs.project, [v.lexicon for v in voices])
    placed = [s.message_id for s in programme.segments if s.message_id]
    spoken = [s.message_id for s in programme.segments if s.kind is SegmentKind.MESSAGE]
    heard = heard_clips(folder, [m for m in spoken if m], inputs)
    page = episode_page(
        folder,
        programme,
        deliverables[0].loudness,
        inputs.episode,
        messages,
        audio,
        downloads,
        clip_facts=delivery.clips,  # measured and drawn while the files were written
        waveform=delivery.waveforms.get(audio),
        lexicons={v.name: v.lexicon for v in voices},
        states={m: review_state(messages[m], gate) for m in placed},
        heard=heard,
    )
    write_review(folder, page)


def heard_clips(
    folder: Path, message_ids: Sequence[str], inputs: EpisodeInputs
) -> dict[str, tuple[str, str]]:
    """Each message's clip (clips/<id>.wav, cut from the broadcast master) as a listener on
    a noisy AM receiver hears it, beside it: through the episode's AM profile (shortwave
    first; else the project's shortwave profile) and over its channel. By message id:
    (href, label)."""
    profiles, _ = load_profiles(inputs.project)  # validated with the episode already
    listening = listening_for(inputs.delivery_profiles(), profiles, inputs.episode.target_lufs)
    if listening is None:
        return {}
    heard = {}
    for message_id in message_ids:
        href = f"clips/{message_id}.wav"
        samples, _rate = wavfile.read(folder / href)
        heard[message_id] = (
            write_heard(folder, href, samples, message_id, listening),
            listening.label,
        )
    return heard


def publish(
    staging: Staging,
    inputs: EpisodeInputs,
    programme: Programme,
    outputs: Sequence[DeliveredFile],
    manifest: Path,
    settings: RenderSettings,
) -> tuple[Path, int | None]:
    """Stage: the staging folder swapped in atomically, and the render in the ledger in the
    same step (the transaction commits only once the folder is published)."""
    if not settings.ledger:
        return staging.publish(), None
    episode = inputs.episode
    record = RenderRecord(
        episode_id=episode.id,
        title=episode.title,
        date=episode.date,
        rendered_at=now_utc(),
        tool_version=__version__,
        duration_s=round(programme.duration_s, 6),
        sample_rate=programme.sample_rate,
        placements=placements_of(message_segments(programme), programme.sample_rate),
        deliverables=tuple(
            sorted(
                [*outputs, *output_files(staging.folder, exclude=[o.file for o in outputs])],
                key=lambda f: PurePosixPath(f.file),  # output_files' own order
            )
        ),
        manifest_sha256=sha256_file(manifest),
    )
    with Ledger(inputs.project.ledger_path) as ledger, ledger.transaction():
        render_id = ledger.add_render(record)
        final = staging.publish()
    return final, render_id


def account_usage(
    inputs: EpisodeInputs, engines: EngineSet, reporter: Reporter, found: list[EngineUsage]
) -> None:
    """Stage (also on the way out of a failed render): the characters this run's engines sent
    added to the month's totals in the ledger; the month's usage kept for the summary, and a
    warning as a free tier's limit comes near."""
    with Ledger(inputs.project.ledger_path) as ledger:
        if not flush_usage(engines, ledger):
            return
        found += [u for u in month_usage(ledger) if u.requests]
    for warning in usage_warnings(found):
        reporter.warn(warning)
