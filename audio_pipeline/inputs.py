"""Loading and validating the input files: messages, voice profiles, episodes, bumpers.

Validation reads every file an episode touches and reports every problem at once (file,
field, what is wrong, what is allowed), so the producer fixes everything before rerunning,
as ffmpeg-normalize does for its batches. Nothing is written while validating.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from . import defaults
from .engines import ENGINES
from .errors import AudioDecodeError, InputError, Problem
from .fields import FieldReader
from .models import Episode, Message, Status, VoiceProfile
from .project import Project
from .yamlio import load_yaml_mapping

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
MAX_BUMPER_S = 120.0
# 120 s of 8-channel 32-bit audio at 96 kHz is under 400 MiB; decoding more is a mistake
MAX_BUMPER_BYTES = 400 * 2**20

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
)


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


def load_voice(path: Path, project: Project) -> tuple[VoiceProfile | None, list[Problem]]:
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
    if problems or engine is None:
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
        ),
        problems,
    )


def load_voices(project: Project) -> tuple[dict[str, VoiceProfile], list[Problem]]:
    voices: dict[str, VoiceProfile] = {}
    problems: list[Problem] = []
    for path in sorted(project.voices_dir.glob("*.yaml")):
        voice, found = load_voice(path, project)
        problems += found
        if voice is not None:
            voices[voice.name] = voice
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


def check_audio_file(path: Path, label: str, sample_rate: int = defaults.SAMPLE_RATE) -> str | None:
    """Decode a bumper or sting fully; None when usable, else what is wrong with it."""
    from . import ffmpeg

    try:
        size = path.stat().st_size
        if size > MAX_BUMPER_BYTES:
            return (
                f"'{label}' is {size / 2**20:.0f} MiB; a bumper or sting is at most "
                f"{MAX_BUMPER_BYTES / 2**20:.0f} MiB"
            )
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
    if seconds > MAX_BUMPER_S:
        return (
            f"'{label}' is {seconds:.0f} s long; a bumper or sting is at most {MAX_BUMPER_S:.0f} s"
        )
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


def _episode_fields(
    path: Path, project: Project, problems: list[Problem]
) -> tuple[dict[str, object], FieldReader] | None:
    data, found = load_yaml_mapping(path, root=project.root)
    problems += found
    if data is None:
        return None
    r = FieldReader(data, project.show(path), problems)
    r.reject_unknown(EPISODE_FIELDS)
    values: dict[str, object] = {
        "id": r.ident("id"),
        "title": r.text("title", max_chars=200),
        "date": r.date("date"),
        "voice": r.ident("voice"),
        "fallback_voice": r.ident("fallback_voice", required=False),
        "messages": r.id_list("messages", max_items=defaults.MAX_MESSAGES_PER_EPISODE),
        "intro": r.text("intro", max_chars=500),
        "outro": r.text("outro", max_chars=500),
        "sting": r.text("sting", required=False, max_chars=500),
        "gap_s": r.number("gap_s", *defaults.GAP_RANGE, defaults.GAP_S),
        "target_lufs": r.number("target_lufs", *defaults.TARGET_LUFS_RANGE, defaults.TARGET_LUFS),
        "true_peak_dbtp": r.number(
            "true_peak_dbtp", *defaults.TRUE_PEAK_RANGE, defaults.TRUE_PEAK_DBTP
        ),
        "station": r.text("station", required=False, max_chars=100),
    }
    return values, r


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
    voice_files = {
        project.show(project.voices_dir / f"{v}.yaml") for v in (voice_name, fallback_name) if v
    }
    problems += [p for p in voice_problems if p.file in voice_files]
    known = ", ".join(sorted(voices)) or "none"
    voice = voices.get(str(voice_name)) if voice_name else None
    if (
        voice_name
        and voice is None
        and project.show(project.voices_dir / f"{voice_name}.yaml")
        not in {p.file for p in voice_problems}
    ):
        r.problem("voice", f"unknown voice '{voice_name}'; voices in voices/: {known}")
    if fallback_name is None and voice is not None:
        fallback_name = voice.fallback_voice  # the profile's own fallback, if the episode has none
    fallback = voices.get(str(fallback_name)) if fallback_name else None
    if fallback_name and fallback is None:
        r.problem("fallback_voice", f"unknown voice '{fallback_name}'; voices in voices/: {known}")
    if fallback is not None and voice is not None and fallback.name == voice.name:
        fallback = None

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

    if problems:
        raise InputError(problems)
    assert voice is not None and audio["intro"] is not None and audio["outro"] is not None
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
    )
    return EpisodeInputs(project, episode, tuple(chosen), voice, fallback, voices)


def validate_project(project: Project) -> list[Problem]:
    """Every message, voice and episode of the project (what `validate` with no file does)."""
    problems = list(load_messages(project).problems)
    _, voice_problems = load_voices(project)
    problems += voice_problems
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
