"""Stage: how a rendered episode, or any audio file, is heard on an AM receiver.

A profile's deliverable against the plain master, both sent over the simulated channel
(audio/channel.py) span by span and scored by ESTOI against the plain master's clean speech
(audio/intelligibility.py). What is compared:

- an EPISODE (its id, or its YAML file) that has been rendered into output/<id>/: the
  plain master is its `ebu-r128` WAV (or the WAV of its implicit `programme`), the spans are
  its messages from cues.json, and the processed version is the profile's own deliverable
  as written (decoded as a partner plays it). If that render did not deliver the profile,
  the plain master is mastered with it here, by the same code a render uses.
- a FILE (any audio ffmpeg reads): it is the plain version, mastered with the profile here;
  the spans are its consecutive pieces of up to PIECE_S.

The received audio ("as heard") is written to output/simulate/<name>/ as 16 kHz WAVs, one
per version and condition, the spans one after another; scores.json holds the table.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio_pipeline.audio import ffmpeg, wavfile
from audio_pipeline.audio.channel import CHANNELS, SIM_RATE, ChannelModel
from audio_pipeline.audio.intelligibility import (
    DEFAULT_SNRS,
    Comparison,
    Listener,
    compare,
    conditions,
)
from audio_pipeline.audio.loudness import LoudnessMeter
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import AudioDecodeError, UsageError
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import Deliverable, Programme, Segment, SegmentKind
from audio_pipeline.delivery.master import deliver
from audio_pipeline.inputs.profiles import DeliveryProfile, load_profiles
from audio_pipeline.inputs.yamlio import load_yaml_mapping

SR = defaults.SAMPLE_RATE
PLAIN_PROFILES = ("ebu-r128", "programme")  # masters without processing, in that order
PIECE_S = 30.0  # a FILE is scored in pieces of this length
GAP_S = 0.5  # silence between spans in the as-heard files
SNR_RANGE = (-10.0, 40.0)
SIMULATE_DIR = "simulate"


class SimulateError(UsageError):
    """The simulation cannot start: a bad argument, a missing render or file (exit 2)."""


@dataclass(frozen=True)
class Simulation:
    comparison: Comparison
    profile: str
    plain: str  # what was compared, for people
    processed: str
    heard_dir: Path | None
    note: str | None = None


@dataclass(frozen=True)
class _Source:
    """One version: a file, decoded at 48 kHz, starting `skip` samples in (a codec's delay)."""

    path: Path
    skip: int = 0

    def blocks(self) -> Iterator[np.ndarray]:
        skip = self.skip
        for block in ffmpeg.decode_stream(self.path, label=self.path.name, sample_rate=SR):
            if skip:
                drop = min(skip, len(block))
                block, skip = block[drop:], skip - drop
            if len(block):
                yield block


def simulate(
    project: Project,
    target: str,
    *,
    profile: str = "shortwave",
    channel: str | None = None,
    snrs: Sequence[float] = DEFAULT_SNRS,
    fading: bool = True,
    codec: str | None = None,
    seed: int = 0,
    write_audio: bool = True,
) -> Simulation:
    """The comparison for an episode id / episode file / audio file (see the module notes)."""
    profiles, _ = load_profiles(project)
    chosen = profiles.get(profile)
    if chosen is None:
        known = ", ".join(sorted(profiles))
        raise SimulateError(f"--profile: unknown profile '{profile}'; profiles: {known}")
    model = _channel(channel, chosen)
    bad = [s for s in snrs if not (math.isfinite(s) and SNR_RANGE[0] <= s <= SNR_RANGE[1])]
    if bad:
        lo, hi = SNR_RANGE
        raise SimulateError(f"--snr: {bad[0]:g} is out of range; allowed: {lo:g} to {hi:g} dB")
    grid = conditions(sorted(set(snrs)), fading=fading and model.fading is not None)
    with tempfile.TemporaryDirectory(prefix="ap-simulate-") as tmp:
        name, plain, processed, spans, labels, note = _resolve(
            project, target, chosen, codec, Path(tmp)
        )
        heard = project.output_dir / SIMULATE_DIR / name if write_audio else None
        with _Writers(heard, grid) as writers:
            result = compare(
                plain.blocks,
                processed.blocks,
                spans,
                labels,
                model,
                grid,
                seed=seed,
                listen_plain=writers.listener("plain"),
                listen_processed=writers.listener(chosen.name),
            )
        if heard is not None:
            doc = {
                "plain": plain.path.name,
                "processed": processed.path.name,
                "profile": chosen.name,
                "seed": seed,
                **result.as_dict(),
            }
            (heard / "scores.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False))
        return Simulation(result, chosen.name, plain.path.name, processed.path.name, heard, note)


def channel_for(profile: DeliveryProfile) -> ChannelModel:
    """The band a profile is made for: its own name's channel (mediumwave), else shortwave
    (the harder one: it fades)."""
    return CHANNELS.get(profile.name, CHANNELS["shortwave"])


def _channel(name: str | None, profile: DeliveryProfile) -> ChannelModel:
    if name is None:
        return channel_for(profile)
    if name not in CHANNELS:
        raise SimulateError(f"--channel: unknown channel '{name}'; allowed: {', '.join(CHANNELS)}")
    return CHANNELS[name]


AUDIO_SUFFIXES = (".wav", ".mp3", ".mp2", ".flac", ".ogg", ".m4a", ".aac", ".opus")


def _resolve(
    project: Project, target: str, profile: DeliveryProfile, codec: str | None, tmp: Path
) -> tuple[str, _Source, _Source, list[tuple[int, int]], list[str], str | None]:
    """(name, plain, processed, spans at 48 kHz, labels, note) for EPISODE_OR_FILE."""
    path = Path(target)
    if not path.is_absolute() and not path.exists():
        path = project.root / target
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        return _episode(project, _episode_id(project, path), profile, codec, tmp)
    if path.is_file():
        return _file(path, profile, codec, tmp)
    if (project.output_dir / target / "cues.json").is_file():
        return _episode(project, target, profile, codec, tmp)
    if path.suffix or "/" in target:
        raise SimulateError(f"{target}: no such file")
    source = project.episodes_dir / f"{target}.yaml"
    hint = f"render it first: audio-pipeline render {project.show(source)}"
    raise SimulateError(
        f"episode '{target}' has not been rendered (no {project.show(project.output_dir)}/"
        f"{target}/cues.json); {hint if source.is_file() else 'give an episode id or a file'}"
    )


def _episode_id(project: Project, path: Path) -> str:
    data, problems = load_yaml_mapping(path, root=project.root)
    value = (data or {}).get("id")
    if problems or not isinstance(value, str):
        raise SimulateError(f"{project.show(path)}: not an episode file (no id)")
    return value


def _episode(
    project: Project, episode_id: str, profile: DeliveryProfile, codec: str | None, tmp: Path
) -> tuple[str, _Source, _Source, list[tuple[int, int]], list[str], str | None]:
    out = project.output_dir / episode_id
    cues_path = out / "cues.json"
    if not cues_path.is_file():
        source = project.episodes_dir / f"{episode_id}.yaml"
        raise SimulateError(
            f"episode '{episode_id}' has not been rendered (no {project.show(cues_path)}); "
            f"render it first: audio-pipeline render {project.show(source)}"
        )
    doc = json.loads(cues_path.read_text("utf-8"))
    deliverables: list[dict[str, Any]] = doc.get("deliverables", [])
    plains = [
        d
        for p in PLAIN_PROFILES
        for d in deliverables
        if d["profile"] == p and d["format"] == "wav"
    ]
    if not plains:
        raise SimulateError(
            f"episode '{episode_id}' has no plain master to compare with (an ebu-r128 or "
            "programme WAV); add ebu-r128 to its deliverables and render it again"
        )
    plain = _Source(out / plains[0]["file"])
    spans = [
        (int(c["start_sample"]), int(c["end_sample"]))
        for c in doc.get("cues", [])
        if c.get("kind") == SegmentKind.MESSAGE
    ]
    labels = [str(c.get("message_id")) for c in doc.get("cues", []) if c.get("kind") == "message"]
    own = [d for d in deliverables if d["profile"] == profile.name]
    if codec is not None:
        own = [d for d in own if d["format"] == codec]
    if own:
        d = own[0]
        skip = round(int(d.get("offset_samples", 0)) * SR / int(d["sample_rate"]))
        return episode_id, plain, _Source(out / d["file"], skip), spans, labels, None
    mastered = _master(plain.path, profile, codec, tmp, episode_id)
    note = f"{profile.name} was not delivered by this render: mastered here from {plain.path.name}"
    return episode_id, plain, mastered, spans, labels, note


def _file(
    path: Path, profile: DeliveryProfile, codec: str | None, tmp: Path
) -> tuple[str, _Source, _Source, list[tuple[int, int]], list[str], str | None]:
    try:
        length = sum(len(b) for b in _Source(path).blocks())
    except AudioDecodeError as exc:
        raise SimulateError(str(exc)) from None
    if length < SR:
        raise SimulateError(f"{path.name}: shorter than a second; nothing to score")
    piece = round(PIECE_S * SR)
    spans = [(s, min(s + piece, length)) for s in range(0, length, piece)]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < SR:
        spans[-2:] = [(spans[-2][0], length)]
    labels = [f"{_clock(s)}-{_clock(e)}" for s, e in spans]
    mastered = _master(path, profile, codec, tmp, path.stem)
    return path.stem, _Source(path), mastered, spans, labels, None


def _clock(sample: int) -> str:
    minutes, seconds = divmod(sample / SR, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


def _master(
    plain: Path, profile: DeliveryProfile, codec: str | None, tmp: Path, name: str
) -> _Source:
    """`plain` mastered with `profile` by the render's own mastering (delivery/master.py):
    one segment, the whole file, normalized as it is."""
    segment_path = tmp / "plain.wav"
    writer = wavfile.WavWriter(segment_path, SR, 1, "float32")
    meter = LoudnessMeter(SR, 1, maxima=False)
    for block in _Source(plain).blocks():  # streamed: a long programme is never held whole
        meter.add(writer.write(block))
    writer.close()
    loudness, length = meter.result(), writer.frames
    if not math.isfinite(loudness.integrated_lufs):
        raise SimulateError(f"{plain.name}: the audio is silent; nothing to score")
    segment = Segment(1, SegmentKind.MESSAGE, segment_path, 0, length, loudness, name)
    programme = Programme(name, name, SR, length, (segment,))
    out = tmp / "mastered"
    out.mkdir()
    delivery = deliver(programme, out, name, [profile], reference_db=loudness.integrated_lufs)
    made = [d for d in delivery.deliverables if codec is None or d.format == codec]
    if not made:
        formats = ", ".join(d.format for d in delivery.deliverables)
        raise SimulateError(f"--format: profile '{profile.name}' delivers {formats}, not {codec}")
    d = made[0]
    return _Source(d.path, round(d.offset_samples * SR / d.sample_rate))


class _Writers:
    """The as-heard WAVs: one per version and condition, spans in programme order."""

    def __init__(self, folder: Path | None, grid: Sequence[Any]) -> None:
        self.folder = folder
        self.grid = grid
        self.stack = ExitStack()
        self.files: dict[tuple[str, int], wavfile.WavWriter] = {}

    def __enter__(self) -> _Writers:
        if self.folder is not None:
            if self.folder.exists():
                shutil.rmtree(self.folder)
            self.folder.mkdir(parents=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for writer in self.files.values():
            writer.close()

    def listener(self, version: str) -> Listener | None:
        if self.folder is None:
            return None
        folder = self.folder

        def listen(span: int, condition: int, audio: np.ndarray) -> None:
            key = (version, condition)
            if key not in self.files:
                label = self.grid[condition].label.replace(" ", "-")
                self.files[key] = wavfile.WavWriter(
                    folder / f"{version}-{label}.wav", SIM_RATE, 1, "pcm16"
                )
            writer = self.files[key]
            writer.write(np.clip(0.5 * audio, -1.0, 1.0).astype(np.float32))
            writer.write(np.zeros(round(GAP_S * SIM_RATE), dtype=np.float32))

        return listen


RENDER_SNRS = (5.0, 10.0)  # a render scores clean, 5 and 10 dB, with and without fading


def score_deliverables(
    programme: Programme,
    deliverables: Sequence[Deliverable],
    profiles: Sequence[DeliveryProfile],
    *,
    snrs: Sequence[float] = RENDER_SNRS,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """For a render: each AM profile's first deliverable (as written, decoded back) against
    the plain programme (the mix the masters are made from, before any profile), message
    by message over the profile's channel (shortwave for any but mediumwave). By profile
    name, the dict Comparison.as_dict gives, with the file's name: for cues.json and the
    summary. The programme's segment files must still exist (call it before publishing)."""
    from audio_pipeline.audio.mixdown import Mixdown

    spans = [(c.start, c.end) for c in programme.cues if c.kind is SegmentKind.MESSAGE]
    labels = [c.message_id or str(c.index) for c in programme.cues if c.kind is SegmentKind.MESSAGE]
    scores: dict[str, dict[str, Any]] = {}
    if not spans:
        return scores
    mix = Mixdown(programme)
    try:

        def plain() -> Iterator[np.ndarray]:
            for start, stop in mix.blocks(defaults.BLOCK_SAMPLES):
                yield mix.render(start, stop)

        for profile in profiles:
            if profile.am_processing is None:
                continue
            d = next((d for d in deliverables if d.profile == profile.name), None)
            if d is None:
                continue
            model = _channel(None, profile)
            source = _Source(d.path, round(d.offset_samples * SR / d.sample_rate))
            grid = conditions(snrs, fading=model.fading is not None)
            result = compare(plain, source.blocks, spans, labels, model, grid, seed=seed)
            scores[profile.name] = {"file": d.path.name, **result.as_dict()}
    finally:
        mix.close()
    return scores


def table_rows(result: Comparison) -> Iterable[tuple[str, list[tuple[float, float]]]]:
    """(label, [(plain, processed) per condition]) per span, then the programme mean."""
    grid = result.conditions
    for i, label in enumerate(result.labels):
        yield (
            label,
            [(result.plain.scores[j][i], result.processed.scores[j][i]) for j in range(len(grid))],
        )
    yield "mean", [(result.plain.mean(c), result.processed.mean(c)) for c in grid]
