"""Loading and validating the input files: messages, voice profiles, episodes, bumpers.

Validation reads every file an episode touches and reports every problem at once (file,
field, what is wrong, what is allowed), so the producer fixes everything before rerunning,
as ffmpeg-normalize does for its batches. Nothing is written while validating.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import defaults
from .bed import UNDER, BedSettings
from .engines import ENGINES
from .errors import AudioDecodeError, InputError, Problem
from .fields import FieldReader, SubReader
from .metadata_policy import MetadataPolicy, default_policy, load_policy
from .models import Episode, Message, SelectOrder, SelectRule, Status, VoiceProfile
from .profiles import PROGRAMME, DeliveryProfile, load_profiles, profiles_dir, programme_profile
from .project import Project
from .text.checks import describe
from .text.lexicon import (
    EMPTY,
    GLOBAL_FILE,
    VOICE_SUFFIX,
    Lexicon,
    is_lexicon_file,
    load_lexicon,
    voice_lexicon_path,
)
from .text.normalize import review_warnings
from .timing import MAX_TEMPO_LIMIT, parse_clock
from .yamlio import load_yaml_mapping

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
MAX_BUMPER_S = 120.0
MAX_BED_S = 600.0  # a bed is looped; ten minutes of it is plenty
# 120 s of 8-channel 32-bit audio at 96 kHz is under 400 MiB; decoding more is a mistake
MAX_AUDIO_BYTES = 400 * 2**20

MESSAGE_FIELDS = (
    "id",
    "status",
    "text",
    "approved_by",
    "approved_at",
    "title",
    "attribution",
    "attribution_approved",
    "notes",
)
VOICE_FIELDS = (
    "name",
    "engine",
    "options",
    "tempo",
    "trim_threshold_db",
    "sentence_pause_s",
    "paragraph_pause_s",
    "fallback_voice",
    "description",
)
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
)
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


def load_message(path: Path, project: Project) -> tuple[Message | None, list[Problem]]:
    message, problems, _ = _read_message(path, project)
    return message, problems


def _read_message(path: Path, project: Project) -> tuple[Message | None, list[Problem], str | None]:
    """(message or None, problems, the id the file claims even when it has problems)."""
    data, problems = load_yaml_mapping(path, root=project.root)
    if data is None:
        return None, problems, None
    r = FieldReader(data, project.show(path), problems)
    r.reject_unknown(MESSAGE_FIELDS)
    msg_id = r.ident("id")
    status = r.choice("status", [s.value for s in Status])
    text = r.text("text", max_chars=defaults.MAX_TEXT_CHARS, multiline=True)
    approved = status == Status.APPROVED.value
    approved_by = r.text("approved_by", required=approved)
    approved_at = r.timestamp("approved_at", required=approved)
    title = r.text("title", required=False, max_chars=200)
    attribution = r.text("attribution", required=False, max_chars=200)
    attribution_approved = r.boolean("attribution_approved")
    notes = r.text("notes", required=False, max_chars=5000, multiline=True)
    if msg_id is not None and path.stem != msg_id:
        r.problem("id", f"'{msg_id}' does not match the file name; name the file {msg_id}.yaml")
    if approved and text is not None and not HANGUL.search(text):
        r.problem("text", "has no Korean (Hangul) text; only translated messages can be approved")
    if problems or msg_id is None or status is None or text is None:
        return None, problems, msg_id
    return (
        Message(
            id=msg_id,
            status=Status(status),
            text=text,
            approved_by=approved_by,
            approved_at=approved_at,
            source=path,
            title=title,
            attribution=attribution,
            attribution_approved=attribution_approved,
            notes=notes,
        ),
        problems,
        msg_id,
    )


@dataclass(frozen=True)
class MessageIndex:
    messages: dict[str, Message]  # valid messages by id (ids claimed twice left out)
    problems: list[Problem]  # of every message file
    duplicates: dict[str, list[str]]  # id -> files claiming it

    def problems_of(self, file: str) -> list[Problem]:
        return [p for p in self.problems if p.file == file]


def load_messages(project: Project) -> MessageIndex:
    """Every message file, keyed by id. Two files claiming one id is a problem of both, and
    the id is left out: which text is the approved one is for the editor to say."""
    claims: dict[str, list[Path]] = {}
    valid: dict[str, Message] = {}
    problems: list[Problem] = []
    folder = project.messages_dir
    if not folder.is_dir():
        missing = Problem(project.show(folder), "", "folder not found; messages live here")
        return MessageIndex({}, [missing], {})
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        message, file_problems, claimed = _read_message(path, project)
        problems += file_problems
        if claimed is not None:
            claims.setdefault(claimed, []).append(path)
        if message is not None:
            valid[message.id] = message
    messages: dict[str, Message] = {}
    duplicates: dict[str, list[str]] = {}
    for msg_id, paths in claims.items():
        if len(paths) == 1:
            if msg_id in valid:
                messages[msg_id] = valid[msg_id]
            continue
        files = [project.show(p) for p in paths]
        duplicates[msg_id] = files
        for file in files:
            others = ", ".join(f for f in files if f != file)
            problems.append(Problem(file, "id", f"duplicate id '{msg_id}' (also in {others})"))
    return MessageIndex(messages, problems, duplicates)


def load_global_lexicon(project: Project) -> tuple[Lexicon | None, list[Problem]]:
    """voices/lexicon.yaml (none is an empty lexicon); None when the file is invalid."""
    lexicon, problems = load_lexicon(project.voices_dir / GLOBAL_FILE, root=project.root)
    return (None if problems else lexicon), problems


def load_voice(
    path: Path, project: Project, global_lexicon: Lexicon | None = EMPTY
) -> tuple[VoiceProfile | None, list[Problem]]:
    """A voice profile with its lexicon: `global_lexicon` merged with <name>.lexicon.yaml.
    A voice whose lexicon is invalid (or whose global lexicon is, None) is not usable."""
    data, problems = load_yaml_mapping(path, root=project.root)
    if data is None:
        return None, problems
    r = FieldReader(data, project.show(path), problems)
    r.reject_unknown(VOICE_FIELDS)
    name = r.ident("name", required=False) or path.stem
    if name != path.stem:
        r.problem("name", f"'{name}' does not match the file name; name the file {name}.yaml")
    engine = r.choice("engine", sorted(ENGINES))
    options = r.mapping("options")
    if engine is not None:
        for key, error in ENGINES[engine].check_options(options):
            r.problem(f"options.{key}", error)
    tempo = r.number("tempo", *defaults.TEMPO_RANGE, default=1.0)
    trim = r.number("trim_threshold_db", *defaults.TRIM_THRESHOLD_RANGE, defaults.TRIM_THRESHOLD_DB)
    sentence_pause = r.number("sentence_pause_s", *defaults.PAUSE_RANGE, defaults.SENTENCE_PAUSE_S)
    paragraph_pause = r.number(
        "paragraph_pause_s", *defaults.PAUSE_RANGE, defaults.PARAGRAPH_PAUSE_S
    )
    fallback = r.ident("fallback_voice", required=False)
    description = r.text("description", required=False)
    own_lexicon, lexicon_problems = load_lexicon(
        voice_lexicon_path(project.voices_dir, path.stem), root=project.root
    )
    problems += lexicon_problems
    if problems or engine is None or global_lexicon is None:
        return None, problems
    assert tempo is not None and trim is not None
    assert sentence_pause is not None and paragraph_pause is not None
    return (
        VoiceProfile(
            name=name,
            engine=engine,
            options=dict(options),
            source=path,
            tempo=tempo,
            trim_threshold_db=trim,
            sentence_pause_s=sentence_pause,
            paragraph_pause_s=paragraph_pause,
            fallback_voice=fallback,
            description=description,
            lexicon=global_lexicon.merged(own_lexicon),
        ),
        problems,
    )


def load_voices(project: Project) -> tuple[dict[str, VoiceProfile], list[Problem]]:
    """Every voice profile in voices/ (lexicon files beside them are not voices)."""
    global_lexicon, problems = load_global_lexicon(project)
    voices: dict[str, VoiceProfile] = {}
    for path in sorted(project.voices_dir.glob("*.yaml")):
        if is_lexicon_file(path):
            continue
        voice, found = load_voice(path, project, global_lexicon)
        problems += found
        if voice is not None:
            voices[voice.name] = voice
    for path in sorted(project.voices_dir.glob(f"*{VOICE_SUFFIX}")):
        name = path.name.removesuffix(VOICE_SUFFIX)
        if not (project.voices_dir / f"{name}.yaml").is_file():
            problems.append(
                Problem(
                    project.show(path),
                    "",
                    f"no voice profile voices/{name}.yaml for this lexicon; name it "
                    f"<voice>{VOICE_SUFFIX} after a voice, or lexicon.yaml for every voice",
                )
            )
    return voices, problems


def riff_truncation(path: Path) -> str | None:
    """For a RIFF/WAVE file: whether its data chunk holds fewer bytes than its header says.

    ffmpeg decodes a cut-off WAV without complaint, so an intro that lost its second half
    in a failed copy would pass as a shorter intro. Any other file: None (not judged here).
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        size = path.stat().st_size
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                held = size - offset - 8
                if chunk_size > held and chunk_size != 0xFFFFFFFF:  # 0xFFFFFFFF: streamed
                    return (
                        f"its header announces {chunk_size} bytes of audio, the file holds {held}"
                    )
                return None
            offset += 8 + chunk_size + (chunk_size % 2)
    return None  # no data chunk at all: ffmpeg will say it cannot decode the file


def check_audio_file(
    path: Path,
    label: str,
    sample_rate: int = defaults.SAMPLE_RATE,
    max_seconds: float = MAX_BUMPER_S,
) -> str | None:
    """Decode a bumper, sting or bed fully; None when usable, else what is wrong with it."""
    from . import ffmpeg

    try:
        size = path.stat().st_size
        if size > MAX_AUDIO_BYTES:
            return f"'{label}' is {size / 2**20:.0f} MiB; at most {MAX_AUDIO_BYTES / 2**20:.0f} MiB"
        truncated = riff_truncation(path)
    except OSError as exc:
        return f"cannot read '{label}' ({exc.strerror or exc})"
    if truncated:
        return f"'{label}' is cut off: {truncated}; export the file again"
    try:
        samples = ffmpeg.decode(path, label=label, sample_rate=sample_rate)
    except AudioDecodeError as exc:
        if "matches no streams" in exc.reason:
            return f"'{label}' holds no audio (an image, or a video without sound?)"
        return f"cannot decode '{label}' as audio ({exc.reason}); use WAV, FLAC, MP3 or Ogg"
    seconds = len(samples) / sample_rate
    if seconds > max_seconds:
        return f"'{label}' is {seconds:.0f} s long; at most {max_seconds:.0f} s allowed here"
    if float(abs(samples).max()) < 1e-4:
        return f"'{label}' is silent"
    return None


@dataclass(frozen=True)
class EpisodeInputs:
    """Everything one render needs, validated."""

    project: Project
    episode: Episode
    messages: tuple[Message, ...]
    voice: VoiceProfile
    fallback_voice: VoiceProfile | None
    voices: dict[str, VoiceProfile] = field(default_factory=dict)
    profiles: tuple[DeliveryProfile, ...] = ()  # in delivery order; () = implicit programme
    # which fields may reach the files' metadata (issue 4): input/metadata_policy.yaml or
    # the shipped default
    policy: MetadataPolicy = field(default_factory=default_policy)

    # every message file of the project: the queue a `select:` episode chooses from
    message_index: MessageIndex | None = None

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
        "crossfade_s": r.number("crossfade_s", 0.0, 3.0, 0.0),
        "max_tempo": r.number("max_tempo", 1.0, MAX_TEMPO_LIMIT, 1.0),
    }
    _slot_fields(r, values)
    if values["id"] in RESERVED_EPISODE_IDS:
        r.problem(
            "id",
            f"'{values['id']}' is reserved (output/{values['id']}/ belongs to the "
            f"`audio-pipeline {values['id']}` command); choose another id",
        )
    return values, r


def _slot_fields(r: FieldReader, values: dict[str, object]) -> None:
    """slot, margin and fit: the programme must fit slot - margin (issue 3)."""
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


def _bed(r: FieldReader, project: Project) -> BedSettings | None:
    data = r.mapping("bed")
    if not data:
        return None
    b = SubReader.of(r, "bed", data)
    before = len(r.problems)
    b.reject_unknown(BED_FIELDS)
    file_value = b.text("file", max_chars=500)
    resolved: Path | None = None
    if file_value is not None:
        resolved, error = project.resolve_audio(file_value)
        if error is None and resolved is not None:
            error = check_audio_file(resolved, file_value, max_seconds=MAX_BED_S)
        if error:
            b.problem("file", error)
    under = b.choice("under", UNDER, required=False) or "programme"
    numbers = {
        "level_lu": (-40.0, -6.0, -14.0),
        "duck_db": (0.0, 40.0, 12.0),
        "attack_s": (0.0, 5.0, 0.4),
        "release_s": (0.0, 10.0, 1.0),
        "fade_s": (0.0, 10.0, 2.0),
        "loop_crossfade_s": (0.0, 5.0, 1.0),
    }
    got: dict[str, float] = {}
    for key, (lo, hi, default) in numbers.items():
        value = b.number(key, lo, hi, default)
        got[key] = default if value is None else value
    if len(r.problems) > before or resolved is None:
        return None
    return BedSettings(file=resolved, under=under, **got)


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


def load_episode(path: Path, project: Project) -> EpisodeInputs:
    """Validate an episode and everything it touches. Raises InputError with every problem."""
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
        if not message.is_approved:
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
    voice_files = set().union(*(files_of(v) for v in (voice_name, fallback_name) if v))
    problems += [p for p in voice_problems if p.file in voice_files]
    if fallback is not None and voice is not None and fallback.name == voice.name:
        fallback = None

    profiles = _deliverables(r, project, values["id"])  # type: ignore[arg-type]
    bed = _bed(r, project)

    # bumpers and sting: inside the allowed folders, decodable, not silent
    audio: dict[str, Path | None] = {}
    for key in ("intro", "outro", "sting"):
        value = values[key]
        if value is None:
            audio[key] = None
            continue
        resolved, error = project.resolve_audio(str(value))
        if error is None and resolved is not None:
            error = check_audio_file(resolved, str(value))
        if error:
            r.problem(key, error)
        audio[key] = resolved

    policy, policy_problems = load_policy(project)
    problems += policy_problems

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
        bed=bed,
        select=values["select"],  # type: ignore[arg-type]
    )
    return EpisodeInputs(
        project, episode, tuple(chosen), voice, fallback, voices, profiles, policy, index
    )


def validate_project(project: Project) -> list[Problem]:
    """Every message, voice and episode of the project (what `validate` with no file does)."""
    problems = list(load_messages(project).problems)
    _, voice_problems = load_voices(project)
    problems += voice_problems
    problems += load_policy(project)[1]
    seen = {(p.file, p.field, p.message) for p in problems}
    episodes = sorted(project.episodes_dir.glob("*.yaml")) if project.episodes_dir.is_dir() else []
    for path in episodes:
        try:
            load_episode(path, project)
        except InputError as exc:
            for p in exc.problems:
                if (p.file, p.field, p.message) not in seen:
                    seen.add((p.file, p.field, p.message))
                    problems.append(p)
    return problems


def message_warnings(
    project: Project, messages: Iterable[Message], lexicon: Lexicon = EMPTY
) -> list[Problem]:
    """Listener checks and what the spoken script does, per message text: warnings for the
    editor, never errors (they do not change an exit code)."""
    return [
        Problem(project.show(m.source), "text", describe(w))
        for m in messages
        for w in review_warnings(m.text, lexicon)
    ]
