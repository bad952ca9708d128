"""Loading and validating the input files: messages, voice profiles, episodes, bumpers.

Validation reads every file an episode touches and reports every problem at once (file,
field, what is wrong, what is allowed), so the producer fixes everything before rerunning,
as ffmpeg-normalize does for its batches. Nothing is written while validating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import (
    Episode,
    FillSettings,
    Message,
    Status,
    VoiceProfile,
)
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.audiofiles import AudioStore
from audio_pipeline.inputs.episode_fields import (
    Casting,
    read_bed,
    read_casting,
    read_deliverables,
    read_episode,
)
from audio_pipeline.inputs.fillers import Filler, load_pool
from audio_pipeline.inputs.lexicons import (
    GLOBAL_FILE,
    voice_lexicon_path,
)
from audio_pipeline.inputs.messages import MessageIndex, load_messages
from audio_pipeline.inputs.policy import MetadataPolicy, default_policy, load_policy
from audio_pipeline.inputs.profiles import (
    DeliveryProfile,
    programme_profile,
)
from audio_pipeline.inputs.safety import Gate, project_problems
from audio_pipeline.inputs.voices import load_global_lexicon, load_voices
from audio_pipeline.text.lexicon import EMPTY as EMPTY_LEXICON


@dataclass(frozen=True, eq=False)
class EpisodeAudio:
    """The episode's own audio, at the working rate, as validation decoded it."""

    intro: np.ndarray
    outro: np.ndarray
    sting: np.ndarray | None
    bed: np.ndarray | None  # the bed file as it is, before its level and loop are made


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
    fillers: tuple[Filler, ...] = ()  # the pool a fit: exact slot is filled from

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


def load_episode(path: Path, project: Project, store: AudioStore | None = None) -> EpisodeInputs:
    """Validate an episode and everything it touches. Raises InputError with every problem.

    The audio files it names are decoded here, once (through `store`, shared by a run that
    loads several episodes), and handed forward in `EpisodeInputs.audio`."""
    store = store if store is not None else AudioStore()
    problems: list[Problem] = []
    parsed = read_episode(path, project, problems)
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
    casting, cast_names = read_casting(
        r, values, voices, lambda n: bool(files_of(n) & broken_files)
    )
    voice_files = set().union(*(files_of(v) for v in (voice_name, fallback_name, *cast_names) if v))
    problems += [p for p in voice_problems if p.file in voice_files]
    if fallback is not None and voice is not None and fallback.name == voice.name:
        fallback = None

    profiles = read_deliverables(r, project, values["id"])  # type: ignore[arg-type]
    bed = read_bed(r, project, store)

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

    # the filler pool a fit: exact slot draws on (decoded and checked now, like the bumpers)
    fillers: tuple[Filler, ...] = ()
    if values["fit"] == "exact":
        fill = values["fill"]
        assert isinstance(fill, FillSettings)
        fillers, pool_problems = load_pool(project, fill, index, store, project.show(path))
        problems += pool_problems

    # approvals bound to the text, and nothing identifying on the air (inputs/safety.py): for
    # the listed messages a problem; a `select:` queue leaves such messages out
    gate = Gate.load(project, [v.lexicon for v in (voice, fallback) if v is not None])
    readings = [f.message for f in fillers if f.message is not None]
    problems += gate.problems + gate.air_problems([*chosen, *readings])
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
        fill=values["fill"],  # type: ignore[arg-type]
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
        fillers,
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
