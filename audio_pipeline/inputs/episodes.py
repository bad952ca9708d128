"""Loading and validating the input files: messages, voice profiles, episodes, bumpers.

Validation reads every file an episode touches and reports every problem at once (file,
field, what is wrong, what is allowed), so the producer fixes everything before rerunning,
as ffmpeg-normalize does for its batches. Nothing is written while validating.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import (
    UNDER,
    BedSettings,
    Episode,
    Message,
    SelectOrder,
    SelectRule,
    Status,
    VoiceProfile,
)
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.audiofiles import MAX_BED_S, AudioStore
from audio_pipeline.inputs.fields import FieldReader, SubReader, parse_clock
from audio_pipeline.inputs.lexicons import (
    GLOBAL_FILE,
    voice_lexicon_path,
)
from audio_pipeline.inputs.messages import MessageIndex, load_messages
from audio_pipeline.inputs.policy import MetadataPolicy, default_policy, load_policy
from audio_pipeline.inputs.profiles import (
    PROGRAMME,
    DeliveryProfile,
    load_profiles,
    profiles_dir,
    programme_profile,
)
from audio_pipeline.inputs.safety import Gate, project_problems
from audio_pipeline.inputs.voices import load_global_lexicon, load_voices
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from audio_pipeline.text.lexicon import EMPTY as EMPTY_LEXICON

EPISODE_FIELDS = (
    "id",
    "title",
    "date",
    "voice",
    "fallback_voice",
    "messages",
    "intro",
    "outro",
    "gap_s",
    "sting",
    "target_lufs",
    "true_peak_dbtp",
    "station",
    "deliverables",
    "slot",
    "margin",
    "fit",
    "max_tempo",
    "crossfade_s",
    "bed",
    "select",
    "voice_rotation",
)
MESSAGE_ENTRY_FIELDS = ("id", "voice")
BED_FIELDS = (
    "file",
    "under",
    "level_lu",
    "duck_db",
    "attack_s",
    "release_s",
    "fade_s",
    "loop_crossfade_s",
)
SELECT_FIELDS = ("status", "order", "max_messages", "max_duration_s", "allow_repeats")
# output/<name>/ folders that belong to commands, not to episodes
RESERVED_EPISODE_IDS = ("preview", "review")


@dataclass(frozen=True, eq=False)
class EpisodeAudio:
    """The episode's own audio, at the working rate, as validation decoded it."""

    intro: np.ndarray
    outro: np.ndarray
    sting: np.ndarray | None
    bed: np.ndarray | None  # the bed file as it is, before its level and loop are made


@dataclass(frozen=True)
class Casting:
    """Who reads which message: a voice named on a message entry (`- id: x` with `voice: y`)
    wins, then the episode's `voice_rotation` by the message's position, then its `voice`."""

    by_message: dict[str, str] = field(default_factory=dict)
    rotation: tuple[str, ...] = ()
    fallback: str | None = None  # the episode's own fallback_voice, when it names one


@dataclass(frozen=True)
class EpisodeInputs:
    """Everything one render needs, validated."""

    project: Project
    episode: Episode
    messages: tuple[Message, ...]
    voice: VoiceProfile
    fallback_voice: VoiceProfile | None
    audio: EpisodeAudio  # the bumpers and the bed, decoded once by validation
    voices: dict[str, VoiceProfile] = field(default_factory=dict)
    profiles: tuple[DeliveryProfile, ...] = ()  # in delivery order; () = implicit programme
    # which fields may reach the files' metadata: input/metadata_policy.yaml or the shipped
    # default
    policy: MetadataPolicy = field(default_factory=default_policy)

    # every message file of the project: the queue a `select:` episode chooses from
    message_index: MessageIndex | None = None
    casting: Casting = field(default_factory=Casting)

    def cast(
        self, message_id: str, position: int | None = None
    ) -> tuple[VoiceProfile, VoiceProfile | None]:
        """(voice, fallback) that speak a message. The rotation turns over the messages that
        name no voice of their own, in programme order; `position` is the message's place
        among those (0-based) for a `select:` episode, whose order only the render knows."""
        name = self.casting.by_message.get(message_id)
        if name is None and self.casting.rotation:
            if position is None:
                listed = self.episode.messages
                before = listed[: listed.index(message_id)] if message_id in listed else ()
                position = sum(1 for m in before if m not in self.casting.by_message)
            name = self.casting.rotation[position % len(self.casting.rotation)]
        if name is None or name == self.voice.name:
            return self.voice, self.fallback_voice
        voice = self.voices[name]
        return voice, self._fallback_for(voice)

    def _fallback_for(self, voice: VoiceProfile) -> VoiceProfile | None:
        name = self.casting.fallback or voice.fallback_voice
        if name is None or name == voice.name:
            return None
        return self.voices.get(name)

    def voices_used(self) -> list[VoiceProfile]:
        """Every voice the episode may speak with, fallbacks included, each once: what
        validation checks and the manifest lists."""
        found: dict[str, VoiceProfile] = {}
        cast = [self.voice, *(self.voices[n] for n in self.casting.by_message.values())]
        cast += [self.voices[n] for n in self.casting.rotation]
        for voice in cast:
            found.setdefault(voice.name, voice)
            fallback = self.fallback_voice if voice is self.voice else self._fallback_for(voice)
            if fallback is not None:
                found.setdefault(fallback.name, fallback)
        return list(found.values())

    def delivery_profiles(self) -> list[DeliveryProfile]:
        if self.profiles:
            return list(self.profiles)
        ep = self.episode
        return [programme_profile(ep.target_lufs, ep.true_peak_dbtp)]


def _episode_fields(
    path: Path, project: Project, problems: list[Problem]
) -> tuple[dict[str, object], FieldReader] | None:
    data, found = load_yaml_mapping(path, root=project.root)
    problems += found
    if data is None:
        return None
    r = FieldReader(data, project.show(path), problems)
    r.reject_unknown(EPISODE_FIELDS)
    has_select = data.get("select") is not None
    if has_select and data.get("messages") is not None:
        r.problem(
            "select",
            "an episode either lists its messages or selects them from the queue; "
            "remove 'messages' or 'select'",
        )
    values: dict[str, object] = {
        "id": r.ident("id"),
        "title": r.text("title", max_chars=200),
        "date": r.date("date"),
        "voice": r.ident("voice"),
        "fallback_voice": r.ident("fallback_voice", required=False),
        "cast": _message_voices(r),  # before id_list: it leaves plain ids in `messages`
        "messages": r.id_list(
            "messages", max_items=defaults.MAX_MESSAGES_PER_EPISODE, required=not has_select
        ),
        "select": _select_rule(r) if has_select else None,
        "intro": r.text("intro", max_chars=500),
        "outro": r.text("outro", max_chars=500),
        "sting": r.text("sting", required=False, max_chars=500),
        "gap_s": r.number("gap_s", *defaults.GAP_RANGE, defaults.GAP_S),
        "target_lufs": r.number("target_lufs", *defaults.TARGET_LUFS_RANGE, defaults.TARGET_LUFS),
        "true_peak_dbtp": r.number(
            "true_peak_dbtp", *defaults.TRUE_PEAK_RANGE, defaults.TRUE_PEAK_DBTP
        ),
        "station": r.text("station", required=False, max_chars=100),
        "crossfade_s": r.number("crossfade_s", *defaults.CROSSFADE_RANGE, 0.0),
        "max_tempo": r.number("max_tempo", 1.0, defaults.MAX_TEMPO_LIMIT, 1.0),
    }
    _slot_fields(r, values)
    if values["id"] in RESERVED_EPISODE_IDS:
        r.problem(
            "id",
            f"'{values['id']}' is reserved (output/{values['id']}/ belongs to the "
            f"`audio-pipeline {values['id']}` command); choose another id",
        )
    return values, r


def _message_voices(r: FieldReader) -> dict[str, str]:
    """`messages` entries may be mappings `{id: ..., voice: ...}`: returns {id: voice} and
    leaves the plain ids in r.data for id_list to check as ever."""
    raw = r.data.get("messages")
    if not isinstance(raw, list) or not any(isinstance(e, dict) for e in raw):
        return {}
    ids: list[object] = []
    voices: dict[str, str] = {}
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            ids.append(entry)
            continue
        e = SubReader.of(r, f"messages[{i}]", entry)
        e.reject_unknown(MESSAGE_ENTRY_FIELDS)
        msg_id = e.ident("id")
        voice = e.ident("voice", required=False)
        ids.append(msg_id if msg_id is not None else entry.get("id"))
        if msg_id is not None and voice is not None:
            voices[msg_id] = voice
    r.data = {**r.data, "messages": ids}
    return voices


def _casting(
    r: FieldReader,
    values: dict[str, object],
    voices: dict[str, VoiceProfile],
    known_problem: Callable[[object], bool],
) -> tuple[Casting, set[str]]:
    """The episode's casting, every voice in it checked; returns it with the voice names it
    uses (their files' problems belong to this episode)."""
    rotation = r.data.get("voice_rotation")
    names: tuple[str, ...] = ()
    if rotation is not None:
        if not isinstance(rotation, list) or not rotation:
            r.problem("voice_rotation", "expected a list of voice names, e.g. [a, b]")
        else:
            names = tuple(v for v in rotation if isinstance(v, str))
            if len(names) != len(rotation):
                r.problem("voice_rotation", "expected a list of voice names, e.g. [a, b]")
    by_message = dict(values["cast"])  # type: ignore[call-overload]
    listed = r.data.get("messages") or []  # ids at their places in the file
    known = ", ".join(sorted(voices)) or "none"
    used: set[str] = set()
    fallback = values["fallback_voice"]
    checks = [(f"messages[{listed.index(m)}].voice", v) for m, v in by_message.items()]
    checks += [(f"voice_rotation[{i}]", v) for i, v in enumerate(names)]
    for where, name in checks:
        used.add(name)
        profile = voices.get(name)
        if profile is None:
            if not known_problem(name):
                r.problem(where, f"unknown voice '{name}'; voices in voices/: {known}")
            continue
        own = fallback or profile.fallback_voice
        if own is not None:
            used.add(str(own))
            if own not in voices and not known_problem(own):
                r.problem(
                    where, f"voice '{name}' falls back to unknown voice '{own}'; voices: {known}"
                )
    casting = Casting(by_message, names, str(fallback) if fallback else None)
    return casting, used


def _slot_fields(r: FieldReader, values: dict[str, object]) -> None:
    """slot, margin and fit: the programme must fit slot - margin (the partner's margin)."""
    durations: dict[str, float | None] = {}
    for key in ("slot", "margin"):
        raw = r.data.get(key)
        durations[key] = None if raw is None else parse_clock(raw)
        if raw is not None and durations[key] is None:
            r.problem(key, f"'{raw}' is not a duration; write mm:ss (e.g. 15:00) or seconds")
    slot, margin = durations["slot"], durations["margin"] or 0.0
    fit = r.choice("fit", ("max", "exact"), required=False)
    if slot is not None and not 60 <= slot <= 6 * 3600:
        r.problem("slot", f"{slot:g} s is out of range; allowed: 1:00 to 6:00:00")
        slot = None
    if slot is not None and margin >= slot:
        r.problem("margin", "must be shorter than the slot")
    if slot is None and (r.data.get("margin") is not None or fit is not None):
        r.problem("slot", "missing; margin and fit need a slot")
    if r.data.get("max_tempo") is not None and slot is None:
        r.problem("max_tempo", "needs a slot: the tempo-up only serves to fit one")
    values.update(slot_s=slot, margin_s=margin, fit=fit or "max")


def _bed(
    r: FieldReader, project: Project, store: AudioStore
) -> tuple[BedSettings, np.ndarray] | None:
    data = r.mapping("bed")
    if not data:
        return None
    b = SubReader.of(r, "bed", data)
    before = len(r.problems)
    b.reject_unknown(BED_FIELDS)
    file_value = b.text("file", max_chars=500)
    resolved: Path | None = None
    samples: np.ndarray | None = None
    if file_value is not None:
        resolved, error = project.resolve_audio(file_value)
        if error is None and resolved is not None:
            decoded = store.load(resolved, file_value, max_seconds=MAX_BED_S)
            error, samples = decoded.error, decoded.samples
        if error:
            b.problem("file", error)
    under = b.choice("under", UNDER, required=False) or "programme"
    numbers = {
        "level_lu": (*defaults.BED_LEVEL_RANGE, defaults.BED_LEVEL_LU),
        "duck_db": (*defaults.BED_DUCK_RANGE, defaults.BED_DUCK_DB),
        "attack_s": (*defaults.BED_ATTACK_RANGE, defaults.BED_ATTACK_S),
        "release_s": (*defaults.BED_RELEASE_RANGE, defaults.BED_RELEASE_S),
        "fade_s": (*defaults.BED_FADE_RANGE, defaults.BED_FADE_S),
        "loop_crossfade_s": (*defaults.BED_LOOP_CROSSFADE_RANGE, defaults.BED_LOOP_CROSSFADE_S),
    }
    got: dict[str, float] = {}
    for key, (lo, hi, default) in numbers.items():
        value = b.number(key, lo, hi, default)
        got[key] = default if value is None else value
    if len(r.problems) > before or resolved is None or samples is None:
        return None
    return BedSettings(file=resolved, under=under, **got), samples


def _deliverables(
    r: FieldReader, project: Project, episode_id: str | None
) -> tuple[DeliveryProfile, ...]:
    raw = r.data.get("deliverables")
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        r.problem(
            "deliverables", "expected a list of delivery profile names, e.g. [ebu-r128, shortwave]"
        )
        return ()
    profiles, problems = load_profiles(project)
    chosen: list[DeliveryProfile] = []
    files: dict[str, str] = {}
    for i, name in enumerate(raw):
        if name in [p.name for p in chosen]:
            r.problem(f"deliverables[{i}]", f"'{name}' is listed twice")
            continue
        if name == PROGRAMME:
            r.problem(f"deliverables[{i}]", f"'{PROGRAMME}' is implicit: leave deliverables out")
            continue
        profile = profiles.get(name)
        if profile is None:
            own = project.show(profiles_dir(project) / f"{name}.yaml")
            found = [p for p in problems if p.file == own]
            if found:
                r.problems.extend(found)
                r.problem(f"deliverables[{i}]", f"profile '{name}' is invalid (see {own})")
            else:
                r.problem(
                    f"deliverables[{i}]",
                    f"unknown profile '{name}'; profiles: {', '.join(sorted(profiles))}",
                )
            continue
        for fmt in profile.formats:
            file_name = fmt.filename(episode_id or "episode", name)
            if file_name in files:
                r.problem(
                    f"deliverables[{i}]",
                    f"profile '{name}' writes {file_name}, as '{files[file_name]}' does",
                )
            files[file_name] = name
        chosen.append(profile)
    return tuple(chosen)


def _select_rule(r: FieldReader) -> SelectRule | None:
    """`select:` (instead of `messages:`): approved messages taken from the queue when the
    episode is rendered. Every field is checked like any other, problems named select.<field>."""
    raw = r.data.get("select")
    if not isinstance(raw, dict):
        r.mapping("select")  # records "expected a mapping"
        return None
    before = len(r.problems)
    s = SubReader.of(r, "select", raw)
    s.reject_unknown(SELECT_FIELDS)
    s.choice("status", ["approved"], required=False)  # only approved messages ever render
    order = s.choice("order", [o.value for o in SelectOrder], required=False)
    max_messages = s.integer("max_messages", 1, defaults.MAX_MESSAGES_PER_EPISODE, required=True)
    max_duration = s.number("max_duration_s", *defaults.SLOT_RANGE_S)
    allow_repeats = s.boolean("allow_repeats")
    if len(r.problems) > before or max_messages is None:
        return None
    return SelectRule(
        max_messages=max_messages,
        order=SelectOrder(order or SelectOrder.OLDEST_APPROVAL.value),
        max_duration_s=max_duration,
        allow_repeats=allow_repeats,
    )


def load_episode(path: Path, project: Project, store: AudioStore | None = None) -> EpisodeInputs:
    """Validate an episode and everything it touches. Raises InputError with every problem.

    The audio files it names are decoded here, once (through `store`, shared by a run that
    loads several episodes), and handed forward in `EpisodeInputs.audio`."""
    store = store if store is not None else AudioStore()
    problems: list[Problem] = []
    parsed = _episode_fields(path, project, problems)
    index = load_messages(project)
    voices, voice_problems = load_voices(project)
    if parsed is None:
        raise InputError(problems)
    values, r = parsed

    # messages: every listed id must exist, be valid and be approved; problems of message
    # files the episode does not use are left to `validate` (a broken draft must not stop
    # this week's render)
    listed = tuple(str(m) for m in values["messages"])  # type: ignore[attr-defined]
    chosen: list[Message] = []
    for i, msg_id in enumerate(listed):
        message = index.messages.get(msg_id)
        file_name = project.show(project.messages_dir / f"{msg_id}.yaml")
        if msg_id in index.duplicates:
            for file in index.duplicates[msg_id]:
                problems += index.problems_of(file)
            r.problem(f"messages[{i}]", f"message id '{msg_id}' is claimed by several files")
            continue
        if message is None:
            if index.problems_of(file_name):
                problems += index.problems_of(file_name)
                r.problem(f"messages[{i}]", f"message '{msg_id}' is invalid (see {file_name})")
            else:
                r.problem(f"messages[{i}]", f"no message with id '{msg_id}' in input/messages/")
            continue
        if message.status is not Status.APPROVED:
            r.problem(
                f"messages[{i}]",
                f"message '{msg_id}' is {message.status.value}; "
                "only approved messages are rendered",
            )
            continue
        chosen.append(message)

    # voices: the episode's voice and fallback must exist and be valid
    voice_name = values["voice"]
    fallback_name = values["fallback_voice"]

    def files_of(name: object) -> set[str]:
        """A voice's profile and the lexicon files it is made with."""
        return {
            project.show(project.voices_dir / f"{name}.yaml"),
            project.show(voice_lexicon_path(project.voices_dir, str(name))),
            project.show(project.voices_dir / GLOBAL_FILE),
        }

    known = ", ".join(sorted(voices)) or "none"
    broken_files = {p.file for p in voice_problems}
    voice = voices.get(str(voice_name)) if voice_name else None
    if voice_name and voice is None and not files_of(voice_name) & broken_files:
        r.problem("voice", f"unknown voice '{voice_name}'; voices in voices/: {known}")
    if fallback_name is None and voice is not None:
        fallback_name = voice.fallback_voice  # the profile's own fallback, if the episode has none
    fallback = voices.get(str(fallback_name)) if fallback_name else None
    if fallback_name and fallback is None and not files_of(fallback_name) & broken_files:
        r.problem("fallback_voice", f"unknown voice '{fallback_name}'; voices in voices/: {known}")
    casting, cast_names = _casting(r, values, voices, lambda n: bool(files_of(n) & broken_files))
    voice_files = set().union(*(files_of(v) for v in (voice_name, fallback_name, *cast_names) if v))
    problems += [p for p in voice_problems if p.file in voice_files]
    if fallback is not None and voice is not None and fallback.name == voice.name:
        fallback = None

    profiles = _deliverables(r, project, values["id"])  # type: ignore[arg-type]
    bed = _bed(r, project, store)

    # bumpers and sting: inside the allowed folders, decodable, not silent
    audio: dict[str, Path | None] = {}
    decoded: dict[str, np.ndarray] = {}
    for key in ("intro", "outro", "sting"):
        value = values[key]
        if value is None:
            audio[key] = None
            continue
        resolved, error = project.resolve_audio(str(value))
        if error is None and resolved is not None:
            found = store.load(resolved, str(value))
            error = found.error
            if found.samples is not None:
                decoded[key] = found.samples
        if error:
            r.problem(key, error)
        audio[key] = resolved

    policy, policy_problems = load_policy(project)
    problems += policy_problems

    # approvals bound to the text, and nothing identifying on the air (inputs/safety.py): for
    # the listed messages a problem; a `select:` queue leaves such messages out
    gate = Gate.load(project, [v.lexicon for v in (voice, fallback) if v is not None])
    problems += gate.problems + gate.air_problems(chosen)
    if values["select"] is not None:
        index = gate.queue(index)

    if problems:
        raise InputError(problems)
    assert voice is not None and audio["intro"] is not None and audio["outro"] is not None
    assert policy is not None
    episode = Episode(
        id=str(values["id"]),
        title=str(values["title"]),
        date=values["date"],  # type: ignore[arg-type]
        voice=voice.name,
        messages=listed,
        intro=audio["intro"],
        outro=audio["outro"],
        source=path,
        gap_s=float(values["gap_s"]),  # type: ignore[arg-type]
        fallback_voice=fallback.name if fallback else None,
        sting=audio["sting"],
        target_lufs=float(values["target_lufs"]),  # type: ignore[arg-type]
        true_peak_dbtp=float(values["true_peak_dbtp"]),  # type: ignore[arg-type]
        station=values["station"] if values["station"] else None,  # type: ignore[arg-type]
        deliverables=tuple(p.name for p in profiles),
        slot_s=values["slot_s"],  # type: ignore[arg-type]
        margin_s=float(values["margin_s"]),  # type: ignore[arg-type]
        fit=str(values["fit"]),
        max_tempo=float(values["max_tempo"]),  # type: ignore[arg-type]
        crossfade_s=float(values["crossfade_s"]),  # type: ignore[arg-type]
        bed=bed[0] if bed else None,
        select=values["select"],  # type: ignore[arg-type]
    )
    return EpisodeInputs(
        project,
        episode,
        tuple(chosen),
        voice,
        fallback,
        EpisodeAudio(
            decoded["intro"], decoded["outro"], decoded.get("sting"), bed[1] if bed else None
        ),
        voices,
        profiles,
        policy,
        index,
        casting,
    )


def validate_project(project: Project) -> list[Problem]:
    """Every message, voice and episode of the project (what `validate` with no file does)."""
    index = load_messages(project)
    problems = list(index.problems)
    _, voice_problems = load_voices(project)
    problems += voice_problems
    problems += load_policy(project)[1]
    global_lexicon = load_global_lexicon(project)[0] or EMPTY_LEXICON
    problems += project_problems(project, index, Gate.load(project, [global_lexicon]))
    seen = {(p.file, p.field, p.message) for p in problems}
    episodes = sorted(project.episodes_dir.glob("*.yaml")) if project.episodes_dir.is_dir() else []
    store = AudioStore()  # a bumper several episodes share is decoded once
    for path in episodes:
        try:
            load_episode(path, project, store)
        except InputError as exc:
            for p in exc.problems:
                if (p.file, p.field, p.message) not in seen:
                    seen.add((p.file, p.field, p.message))
                    problems.append(p)
    return problems
