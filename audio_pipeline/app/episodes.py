"""Episodes as an editor arranges them: the episode files, the approved queue to choose
from, the running order written back into the file, and whether the programme fits its slot.

The episode file is edited the round-trip way (inputs/edit.py: comments and layout kept,
atomic, refused when it changed since the editor loaded it), and only its `messages` and
`voice` change. The slot fit is the Slot's own arithmetic (programme/timing.py) over the
clips' exact lengths: a clip in the cache for the voice that will read it, else the offline
voice's clip (made through the cache; no text leaves the machine for a mere estimate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from audio_pipeline.app.approval import voice_lexicons
from audio_pipeline.core import defaults
from audio_pipeline.core.display import clock
from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import Approval, Message, SelectRule, VoiceProfile
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import SegmentKind
from audio_pipeline.engines.registry import ENGINES, EngineSet
from audio_pipeline.inputs.edit import edit_mapping
from audio_pipeline.inputs.episodes import EpisodeInputs
from audio_pipeline.inputs.fields import ID_PATTERN, ID_RULE
from audio_pipeline.inputs.messages import MessageIndex, load_messages
from audio_pipeline.inputs.safety import Gate
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from audio_pipeline.programme.selection import queue_for
from audio_pipeline.programme.timing import Piece, Slot, SlotOverrun
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.synthesis import ClipJob, clip_key, script_for, synthesize_clip


@dataclass(frozen=True)
class Entry:
    """One message of an episode's running order, with the voice named for it (if any)."""

    message_id: str
    voice: str | None = None


@dataclass(frozen=True)
class EpisodeFile:
    """An episode file as it stands, read without judging it (validation says the rest)."""

    name: str  # the file's stem: how the studio names it
    path: Path
    id: str | None
    title: str | None
    date: str | None
    voice: str | None
    entries: tuple[Entry, ...]
    rotation: tuple[str, ...]
    selects: bool  # `select:` instead of `messages:`: chosen from the queue at render time
    problems: tuple[str, ...] = ()


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _entries(raw: object) -> tuple[Entry, ...]:
    found: list[Entry] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            found.append(Entry(item))
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            voice = item.get("voice")
            found.append(Entry(item["id"], voice if isinstance(voice, str) else None))
    return tuple(found)


def episode_path(project: Project, name: str) -> Path:
    """input/episodes/<name>.yaml for a name from a request; anything but a plain id (a
    path, '..', a slash) is refused before any file is touched."""
    if not ID_PATTERN.match(name):
        raise InputError([Problem("episode", "", f"'{name[:70]}' is not a valid name; {ID_RULE}")])
    return project.episodes_dir / f"{name}.yaml"


def read_episode_file(project: Project, name: str) -> EpisodeFile:
    path = episode_path(project, name)
    data, problems = load_yaml_mapping(path, root=project.root)
    if data is None:
        raise InputError(problems)
    rotation = data.get("voice_rotation")
    return EpisodeFile(
        name=name,
        path=path,
        id=_text(data.get("id")),
        title=_text(data.get("title")),
        date=_text(data.get("date")),
        voice=_text(data.get("voice")),
        entries=_entries(data.get("messages")),
        rotation=tuple(v for v in rotation if isinstance(v, str))
        if isinstance(rotation, list)
        else (),
        selects=data.get("select") is not None,
    )


def episode_files(project: Project) -> list[EpisodeFile]:
    """Every episode file, newest date first; one that cannot be read is listed with why."""
    folder = project.episodes_dir
    found: list[EpisodeFile] = []
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    for path in paths:
        if not ID_PATTERN.match(path.stem):
            continue  # a name the studio cannot address; `validate` still reads it
        try:
            found.append(read_episode_file(project, path.stem))
        except InputError as exc:
            found.append(
                EpisodeFile(
                    path.stem,
                    path,
                    None,
                    None,
                    None,
                    None,
                    (),
                    (),
                    False,
                    tuple(str(p) for p in exc.problems),
                )
            )
    return sorted(found, key=lambda e: (e.date or "", e.name), reverse=True)


@dataclass(frozen=True)
class QueueEntry:
    message: Message
    used: str | None  # why it is not new: placed elsewhere, or aired (and when); None: new


def approved_queue(project: Project, episode_id: str | None) -> list[QueueEntry]:
    """Messages an episode may take, in the queue's order with repeats allowed: never aired
    first (new, then placed in another episode but not yet aired), then least recently
    aired. Only messages that pass the gate (approved for this text, nothing blocking)."""
    index = Gate.load(project, voice_lexicons(project)).queue(load_messages(project))
    path = project.ledger_path
    used: dict[str, Any] = {}
    if path.exists():
        with Ledger(path) as ledger:
            used = dict(ledger.used_messages(except_episode=episode_id))
    rule = SelectRule(max_messages=defaults.MAX_MESSAGES_PER_EPISODE, allow_repeats=True)
    queue = queue_for(index.messages, rule, used)
    return [
        QueueEntry(m, str(used[m.id]) if m.id in used else None)
        for m in queue.candidates
        if m.is_approved
    ]


def set_running_order(
    project: Project,
    name: str,
    entries: list[Entry],
    voice: str,
    *,
    expected_sha256: str,
) -> str:
    """Write an episode's `messages` (in this order, a voice where one is named) and `voice`.
    Every message must be approved for its text and pass the gate; every voice must exist.
    Returns a line for the editor."""
    episode = read_episode_file(project, name)
    shown = project.show(episode.path)
    if episode.selects:
        raise InputError(
            [Problem(shown, "select", "this episode takes its messages from the queue")]
        )
    problems = _order_problems(project, shown, entries, voice)
    if problems:
        raise InputError(problems)
    listed: list[Any] = [
        e.message_id if e.voice is None else {"id": e.message_id, "voice": e.voice} for e in entries
    ]
    edit_mapping(
        episode.path,
        {"messages": listed, "voice": voice},
        root=project.root,
        check=lambda data: [],  # checked above; `validate` on the page says the rest
        expected_sha256=expected_sha256,
    )
    return f"saved: {len(entries)} message(s), read by {voice}"


def _order_problems(
    project: Project, shown: str, entries: list[Entry], voice: str
) -> list[Problem]:
    problems: list[Problem] = []
    voices, _ = load_voices(project)
    gate = Gate.load(project, voice_lexicons(project))
    index = load_messages(project)
    if not entries:
        problems.append(Problem(shown, "messages", "is empty; add at least one message"))
    if len(entries) > defaults.MAX_MESSAGES_PER_EPISODE:
        problems.append(
            Problem(shown, "messages", f"at most {defaults.MAX_MESSAGES_PER_EPISODE} messages")
        )
    if voice not in voices:
        problems.append(Problem(shown, "voice", f"unknown voice '{voice}'"))
    seen: set[str] = set()
    for i, e in enumerate(entries):
        where = f"messages[{i}]"
        message = index.messages.get(e.message_id) if ID_PATTERN.match(e.message_id) else None
        if message is None:
            problems.append(Problem(shown, where, f"no message '{e.message_id[:70]}'"))
            continue
        if e.message_id in seen:
            problems.append(Problem(shown, where, f"'{e.message_id}' is listed twice"))
        seen.add(e.message_id)
        problems += gate.air_problems([message])
        if message.approval is Approval.NONE:  # pending, draft, rejected
            problems.append(
                Problem(shown, where, f"message '{e.message_id}' is {message.status.value}")
            )
        if e.voice is not None and e.voice not in voices:
            problems.append(Problem(shown, f"{where}.voice", f"unknown voice '{e.voice}'"))
    return problems


@dataclass(frozen=True)
class FitLine:
    message_id: str
    voice: str  # the voice that will read it
    seconds: float
    estimated: bool  # measured with the offline voice: the real voice's clip is not made yet


@dataclass(frozen=True)
class Fit:
    lines: tuple[FitLine, ...]
    programme_s: float
    target_s: float | None  # slot minus margin; None: no slot
    fits: bool
    report: tuple[str, ...]  # one line for a person, then what to drop when it overruns

    @property
    def estimated(self) -> int:
        return sum(line.estimated for line in self.lines)


def slot_fit(
    inputs: EpisodeInputs,
    entries: list[Entry],
    voice: str,
    index: MessageIndex,
    engines: EngineSet | None = None,
) -> Fit:
    """How long the programme with these messages is, and whether it fits the episode's
    slot: the Slot's arithmetic over each clip's exact length."""
    engines = engines or EngineSet()
    cache = ClipCache(inputs.project.cache_dir)
    episode, audio = inputs.episode, inputs.audio
    chosen = replace(
        inputs,
        episode=replace(episode, messages=tuple(e.message_id for e in entries), voice=voice),
        voice=inputs.voices.get(voice, inputs.voice),
        casting=replace(
            inputs.casting, by_message={e.message_id: e.voice for e in entries if e.voice}
        ),
    )
    slot = Slot.of(
        chosen.episode,
        len(audio.intro),
        len(audio.outro),
        None if audio.sting is None else len(audio.sting),
    )
    offline = inputs.voices.get(defaults.DEFAULT_VOICE)
    lines: list[FitLine] = []
    for e in entries:
        message = index.messages.get(e.message_id)
        if message is None:
            continue
        speaker, _ = chosen.cast(e.message_id)
        seconds = _cached_seconds(message, speaker, engines, cache)
        estimated = False
        if seconds is None:
            reader = speaker if not ENGINES[speaker.engine].network else offline
            if reader is None:
                continue
            estimated = reader is not speaker
            clip = synthesize_clip(ClipJob(message, reader, None), engines, cache, strict=True)
            seconds = clip.duration_s
        lines.append(FitLine(e.message_id, speaker.name, seconds, estimated))
    rate = slot.sample_rate
    pieces = [Piece(SegmentKind.MESSAGE, round(f.seconds * rate), f.message_id) for f in lines]
    natural = slot.length([p.length for p in pieces])
    target = None if slot.target is None else slot.target / rate
    try:
        plan = slot.plan(pieces)
    except SlotOverrun as exc:
        return Fit(tuple(lines), natural / rate, target, False, tuple(exc.lines))
    if target is None:
        report = (f"programme {clock(natural / rate)} (the episode has no slot)",)
    elif plan.tempo != 1.0:
        report = (
            f"fits the target of {clock(target)} with the messages sped up {plan.tempo:.3f}x "
            f"(max_tempo); {clock(natural / rate)} at their own pace",
        )
    else:
        report = (
            f"fits: {clock(natural / rate)} for a target of {clock(target)} "
            f"({clock(target - natural / rate)} to spare)",
        )
    return Fit(tuple(lines), natural / rate, target, True, report)


def _cached_seconds(
    message: Message, voice: VoiceProfile, engines: EngineSet, cache: ClipCache
) -> float | None:
    """The length of the voice's clip of this message when the cache holds it."""
    engine = engines.for_voice(voice)
    hit = cache.get(clip_key(engine, voice, script_for(message, voice, engine)))
    return None if hit is None else int(hit[1]["frames"]) / defaults.SAMPLE_RATE
