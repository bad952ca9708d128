"""What goes into a render: messages, voice profiles, episodes and their slot, selection,
fill and bed settings. Small frozen dataclasses, no I/O.

The flow is one direction: these inputs -> Clip -> Segment -> Programme -> deliverables,
summarised in a RunReport (core.results holds what a render makes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from audio_pipeline.core import defaults
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.text.lexicon import EMPTY as EMPTY_LEXICON
from audio_pipeline.text.lexicon import Lexicon


class Status(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Approval(StrEnum):
    """Where a message's approval stands against its text."""

    CURRENT = "current"  # approved, and the text is the one approved (its digest matches)
    STALE = "stale"  # approved, but the text changed since: not approved any more
    UNBOUND = "unbound"  # approved before approvals recorded a digest: run the migration
    NONE = "none"  # draft, pending or rejected


@dataclass(frozen=True)
class Clearance:
    """An editor's judgement that one identifying finding is harmless (`cleared:` in the
    message file): the exact words, who cleared them and when. Never written to any output."""

    words: str
    by: str
    at: dt.date | dt.datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class Message:
    id: str
    status: Status
    text: str
    approved_by: str | None
    approved_at: dt.date | dt.datetime | None
    source: Path
    title: str | None = None
    attribution: str | None = None
    # The attribution line may reach the air only when the editor marks it so.
    attribution_approved: bool = False
    notes: str | None = None
    # the digest (core.digest.text_sha256) of the text the editor approved
    approved_sha256: str | None = None
    cleared: tuple[Clearance, ...] = ()
    rejected_by: str | None = None
    rejected_at: dt.date | dt.datetime | None = None
    rejection_reason: str | None = None
    # a short reading (scripture, a prayer) that fills slots: never chosen as a message
    filler: bool = False

    @property
    def text_sha256(self) -> str:
        return text_sha256(self.text)

    @property
    def approval(self) -> Approval:
        if self.status is not Status.APPROVED:
            return Approval.NONE
        if self.approved_sha256 is None:
            return Approval.UNBOUND
        if self.approved_sha256 != self.text_sha256:
            return Approval.STALE
        return Approval.CURRENT

    @property
    def is_approved(self) -> bool:
        """Approved, and the text is exactly the one approved: an approval binds to the text."""
        return self.approval is Approval.CURRENT


@dataclass(frozen=True)
class VoiceProfile:
    name: str
    engine: str
    options: Mapping[str, Any]
    source: Path
    tempo: float = 1.0
    trim_threshold_db: float = defaults.TRIM_THRESHOLD_DB
    sentence_pause_s: float = defaults.SENTENCE_PAUSE_S
    paragraph_pause_s: float = defaults.PARAGRAPH_PAUSE_S
    fallback_voice: str | None = None
    description: str | None = None
    # voices/lexicon.yaml merged with voices/<name>.lexicon.yaml
    lexicon: Lexicon = EMPTY_LEXICON


class SelectOrder(StrEnum):
    OLDEST_APPROVAL = "oldest_approval"
    NEWEST_APPROVAL = "newest_approval"


@dataclass(frozen=True)
class SelectRule:
    """An episode's `select:`: which approved messages the queue gives it."""

    max_messages: int
    order: SelectOrder = SelectOrder.OLDEST_APPROVAL
    max_duration_s: float | None = None  # the whole programme, intro to outro
    allow_repeats: bool = False  # messages already placed elsewhere or aired may be chosen

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "approved",
            "order": self.order.value,
            "max_messages": self.max_messages,
            "max_duration_s": self.max_duration_s,
            "allow_repeats": self.allow_repeats,
        }


@dataclass(frozen=True)
class FillSettings:
    """How a fit: exact episode fills an under-run, the way a broadcaster does: lengthen the
    gaps up to max_gap_s, then play filler items from the pool, and leave at most
    max_silence_s (the bed, if any) before the outro."""

    max_gap_s: float | None = None  # None: gap_s + FILL_GAP_GROWTH_S (within max_silence_s)
    max_silence_s: float = defaults.FILL_MAX_SILENCE_S
    pool: tuple[str, ...] | None = None  # None: the project's pool (voices/fillers/, filler: true)


@dataclass(frozen=True)
class Episode:
    id: str
    title: str
    date: dt.date
    voice: str
    messages: tuple[str, ...]
    intro: Path
    outro: Path
    source: Path
    gap_s: float = defaults.GAP_S
    fallback_voice: str | None = None
    sting: Path | None = None
    target_lufs: float = defaults.TARGET_LUFS
    true_peak_dbtp: float = defaults.TRUE_PEAK_DBTP
    station: str | None = None
    deliverables: tuple[str, ...] = ()  # delivery profile names; () = the implicit programme
    slot_s: float | None = None
    margin_s: float = 0.0
    fit: str = "max"  # max | exact
    max_tempo: float = 1.0
    crossfade_s: float = 0.0
    bed: BedSettings | None = None
    select: SelectRule | None = None  # messages chosen from the approved queue at render time
    fill: FillSettings = FillSettings()

    @property
    def target_length_s(self) -> float | None:
        return None if self.slot_s is None else self.slot_s - self.margin_s


UNDER = ("programme", "bumpers")


@dataclass(frozen=True)
class BedSettings:
    file: Path
    under: str = "programme"  # programme | bumpers (only under intro and outro)
    level_lu: float = defaults.BED_LEVEL_LU  # relative to the speech target, not ducked
    duck_db: float = defaults.BED_DUCK_DB  # further attenuation while speech plays
    attack_s: float = defaults.BED_ATTACK_S
    release_s: float = defaults.BED_RELEASE_S
    fade_s: float = defaults.BED_FADE_S
    loop_crossfade_s: float = defaults.BED_LOOP_CROSSFADE_S
