"""What a render makes, stage by stage: clips, normalized segments, the programme, its
deliverables and the run report. Small frozen dataclasses, no I/O (core.models holds what
goes in: messages, voices, episodes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from audio_pipeline.core import defaults
from audio_pipeline.core.codecs import CODECS, Codec


class SegmentKind(StrEnum):
    INTRO = "intro"
    MESSAGE = "message"
    STING = "sting"
    OUTRO = "outro"
    FILLER = "filler"  # fills a slot's under-run: station id, instrumental, a short reading


@dataclass(frozen=True)
class Clip:
    """A synthesized, trimmed (not yet normalized) speech clip, as the cache holds it."""

    message_id: str
    path: Path  # cache file, 48 kHz mono float32 WAV
    cache_key: str
    engine: str
    voice: str
    fallback: bool
    cached: bool  # True when reused from the cache, False when synthesized in this run
    spoken_text: str
    duration_s: float
    engine_requests: int = 0
    fallback_reason: str | None = None  # why the fallback voice was used


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float = 0.0
    max_momentary_lufs: float = float("-inf")
    max_short_term_lufs: float = float("-inf")


@dataclass(frozen=True)
class Segment:
    """One placed piece of the programme: a normalized audio file and where it sits."""

    index: int
    kind: SegmentKind
    path: Path  # normalized audio, 48 kHz float32 WAV in the render's staging folder
    start: int  # first sample in the programme
    length: int  # samples
    loudness: Loudness
    message_id: str | None = None
    title: str | None = None
    engine: str | None = None
    voice: str | None = None
    fallback: bool = False
    cached: bool | None = None
    text_sha256: str | None = None
    spoken_text: str | None = None
    fade_in: int = 0  # equal-power fade-in over its overlap with the piece before
    fade_out: int = 0  # equal-power fade-out over its overlap with the piece after
    tempo: float = 1.0  # tempo-up applied to fit the slot (messages only)

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True)
class FillReport:
    """How an under-run was filled, in samples, for the summary and the cues."""

    under: int  # the programme was this much short of its target before filling
    gaps: int  # added to the gaps in all
    longest_gap: int  # the longest gap after filling
    fillers: tuple[str, ...]  # the filler items played, in order
    silence: int  # left before the outro (the bed plays there, if there is one)


@dataclass(frozen=True)
class Programme:
    episode_id: str
    title: str
    sample_rate: int
    length: int  # samples
    segments: tuple[Segment, ...]  # placed, in programme order: each is a cue
    bed: BedTrack | None = None
    fill: FillReport | None = None  # how a fit: exact slot was filled

    @property
    def cues(self) -> tuple[Segment, ...]:
        """The cues of the programme: its placed segments (one cue per piece)."""
        return self.segments

    @property
    def duration_s(self) -> float:
        return self.length / self.sample_rate


@dataclass(frozen=True)
class Deliverable:
    path: Path
    format: str  # a codec name (core.codecs.CODECS)
    sample_rate: int
    loudness: Loudness | None = None
    profile: str = "programme"
    target_lufs: float = defaults.TARGET_LUFS
    true_peak_ceiling_dbtp: float = defaults.TRUE_PEAK_DBTP
    # (cue index, loudness of that cue in this file), for every message cue
    cue_loudness: tuple[tuple[int, Loudness], ...] = ()
    description: str = ""
    # the programme starts this many samples into the file (a codec's delay, e.g. raw MP2):
    # every cue of this file is at its programme position plus this
    offset_samples: int = 0

    @property
    def codec(self) -> Codec:
        return CODECS[self.format]


@dataclass(frozen=True)
class EngineUsage:
    engine: str
    month: str
    characters: int
    requests: int
    limit: int | None  # free characters a month; None when the engine has no free tier

    @property
    def fraction(self) -> float | None:
        return None if not self.limit else self.characters / self.limit

    def describe(self) -> str:
        """'12,345 of 500,000 free characters (2 %), 31 requests'."""
        text = f"{self.characters:,} characters"
        if self.limit:
            text = f"{self.characters:,} of {self.limit:,} free characters ({self.fraction:.0%})"
        return f"{text}, {self.requests:,} request(s)"

    def warning(self) -> str | None:
        fraction = self.fraction
        if fraction is None or fraction < defaults.USAGE_WARN_FRACTION:
            return None
        if fraction >= 1.0:
            return (
                f"{self.engine}: {self.month} usage is past the free tier ({self.describe()}); "
                "further characters this month are billed, or refused on a free resource"
            )
        return f"{self.engine}: {self.month} usage is near the free tier ({self.describe()})"


def fallback_warning(clip: Clip) -> str:
    """A fallback as a warning while the run goes on: the reason, whole, without the message
    (every clip the same failure hit reads the same, so it can be told once with a count)."""
    return f"FALLBACK to voice '{clip.voice}' ({clip.engine}): {clip.fallback_reason}"


def fallback_note(clip: Clip) -> str:
    """How a fallback is told, the same way in the console, the summary and the batch."""
    return (
        f"FALLBACK: message '{clip.message_id}' spoken by voice '{clip.voice}' "
        f"({clip.engine}): {clip.fallback_reason}"
    )


@dataclass(frozen=True)
class RunReport:
    """What a render did, assembled once from its stages' results when it has published."""

    episode_id: str
    output_dir: Path
    clips: tuple[Clip, ...]  # in programme order
    programme: Programme
    deliverables: tuple[Deliverable, ...]  # at their published paths; the first is primary
    elapsed_s: float
    tempo: float = 1.0  # the slot's tempo-up of every message (1.0: none)
    selection: dict[str, Any] | None = None  # what the queue gave a `select:` episode
    ledger_render_id: int | None = None
    usage: tuple[EngineUsage, ...] = ()  # this month's use of each paid service the run used
    # each AM profile's file heard over its simulated channel (ESTOI, as in cues.json)
    on_air: dict[str, Any] = field(default_factory=dict)

    @property
    def programme_loudness(self) -> Loudness:
        loudness = self.deliverables[0].loudness
        assert loudness is not None, "a published deliverable is always measured"
        return loudness

    @property
    def messages(self) -> list[str]:
        return [c.message_id for c in self.clips]

    @property
    def clips_total(self) -> int:
        return len(self.clips)

    @property
    def clips_cached(self) -> int:
        return sum(c.cached for c in self.clips)

    @property
    def clips_synthesized(self) -> int:
        return self.clips_total - self.clips_cached

    @property
    def fallbacks(self) -> list[str]:
        return [fallback_note(c) for c in self.clips if c.fallback]

    @property
    def warnings(self) -> list[str]:
        return [f"tempo-up {self.tempo:.3f}x to fit the slot"] if self.tempo != 1.0 else []


@dataclass(frozen=True, eq=False)
class BedTrack:
    """A bed ready to render: its loop and where it plays and ducks (all in samples)."""

    head: np.ndarray  # the first loop_crossfade samples as recorded (the very first pass)
    loop: np.ndarray  # one period, its start already cross-faded with the previous tail
    spans: tuple[tuple[int, int], ...]  # where the bed plays (faded in and out)
    ducks: tuple[tuple[int, int], ...]  # speech intervals to duck under
    duck_db: float
    attack: int
    release: int
    fade: int
