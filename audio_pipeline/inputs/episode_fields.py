"""The fields of an episode file, read one group at a time: each reader records what is
wrong (file, field, what is allowed) and returns what the episode may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.models import (
    UNDER,
    BedSettings,
    FillSettings,
    SelectOrder,
    SelectRule,
    VoiceProfile,
)
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.audiofiles import MAX_BED_S, AudioStore
from audio_pipeline.inputs.fields import FieldReader, SubReader, parse_clock
from audio_pipeline.inputs.profiles import (
    PROGRAMME,
    DeliveryProfile,
    load_profiles,
    profiles_dir,
)
from audio_pipeline.inputs.yamlio import load_yaml_mapping


@dataclass(frozen=True)
class Casting:
    """Who reads which message: a voice named on a message entry (`- id: x` with `voice: y`)
    wins, then the episode's `voice_rotation` by the message's position, then its `voice`."""

    by_message: dict[str, str] = field(default_factory=dict)
    rotation: tuple[str, ...] = ()
    fallback: str | None = None  # the episode's own fallback_voice, when it names one


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
    "fill",
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


def read_episode(
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
        "cast": read_message_voices(r),  # before id_list: it leaves plain ids in `messages`
        "messages": r.id_list(
            "messages", max_items=defaults.MAX_MESSAGES_PER_EPISODE, required=not has_select
        ),
        "select": read_select(r) if has_select else None,
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
    read_slot(r, values)
    if values["id"] in RESERVED_EPISODE_IDS:
        r.problem(
            "id",
            f"'{values['id']}' is reserved (output/{values['id']}/ belongs to the "
            f"`audio-pipeline {values['id']}` command); choose another id",
        )
    return values, r


def read_message_voices(r: FieldReader) -> dict[str, str]:
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


def read_casting(
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


def read_slot(r: FieldReader, values: dict[str, object]) -> None:
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
    values["fill"] = read_fill(r, values)


FILL_FIELDS = ("max_gap_s", "max_silence_s", "pool")


def read_fill(r: FieldReader, values: dict[str, object]) -> FillSettings:
    """`fill:` (with fit: exact): how far gaps may grow, the longest silence allowed, and the
    pool of filler items (audio paths under the allowed folders, `message:<id>` readings)."""
    data = r.mapping("fill")
    if not data:
        return FillSettings()
    if values.get("fit") != "exact":
        r.problem("fill", "only a fit: exact episode is filled; set fit: exact or remove fill")
    f = SubReader.of(r, "fill", data)
    f.reject_unknown(FILL_FIELDS)
    silence = f.number(
        "max_silence_s", *defaults.FILL_MAX_SILENCE_RANGE, defaults.FILL_MAX_SILENCE_S
    )
    max_gap = f.number("max_gap_s", *defaults.FILL_MAX_GAP_RANGE)
    gap = values.get("gap_s")
    if max_gap is not None and isinstance(gap, float) and max_gap < gap:
        f.problem("max_gap_s", f"{max_gap:g} is shorter than gap_s ({gap:g}); gaps only grow")
    if max_gap is not None and silence is not None and max_gap > silence:
        f.problem(
            "max_gap_s",
            f"{max_gap:g} s is longer than max_silence_s ({silence:g} s): a gap is a silence",
        )
    pool: tuple[str, ...] | None = None
    raw = data.get("pool")
    if raw is not None:
        if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
            f.problem(
                "pool",
                "expected a list of audio files (voices/fillers/x.wav) and readings (message:<id>)",
            )
        else:
            pool = tuple(raw)
    return FillSettings(
        max_gap_s=max_gap,
        max_silence_s=silence if silence is not None else defaults.FILL_MAX_SILENCE_S,
        pool=pool,
    )


def read_bed(
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


def read_deliverables(
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


def read_select(r: FieldReader) -> SelectRule | None:
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
