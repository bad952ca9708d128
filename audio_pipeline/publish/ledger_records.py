"""What the ledger records and answers, as values: placements, renders, airings, the rows
the `ledger` commands and the studio list, and the times they are written in. Nothing here
touches the database (publish.ledger does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from audio_pipeline.core.errors import PipelineError, UsageError
from audio_pipeline.core.results import Segment
from audio_pipeline.metadata.manifest import DeliveredFile


class LedgerError(PipelineError):
    """The ledger cannot be read or written (exit 1)."""


class LedgerInputError(UsageError):
    """A ledger command was given something it cannot accept: unknown episode, bad time."""


@dataclass(frozen=True)
class Placement:
    message_id: str
    position: int  # 1-based order of the message in the programme
    start_sample: int
    end_sample: int
    sample_rate: int
    text_sha256: str | None = None
    voice: str | None = None  # the voice profile that read it

    @property
    def start_s(self) -> float:
        return seconds(self.start_sample, self.sample_rate)

    @property
    def end_s(self) -> float:
        return seconds(self.end_sample, self.sample_rate)


@dataclass(frozen=True)
class Use:
    """Why a message is not new to the queue: placed elsewhere, or aired (and when last)."""

    reason: str
    aired_at: str | None = None  # UTC, ISO 8601; None: placed, never aired

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Airing:
    added: bool  # False: exactly this airing was recorded before
    render_id: int  # the render that was current when it aired


@dataclass(frozen=True)
class RenderRecord:
    episode_id: str
    title: str
    date: dt.date
    rendered_at: dt.datetime
    tool_version: str
    duration_s: float
    sample_rate: int
    placements: tuple[Placement, ...]
    deliverables: tuple[DeliveredFile, ...]
    manifest_sha256: str | None = None


@dataclass(frozen=True)
class EpisodeRow:
    id: str
    title: str
    date: str
    renders: int
    rendered_at: str
    tool_version: str
    duration_s: float
    messages: int
    aired: tuple[str, ...]


@dataclass(frozen=True)
class MessagePlacement:
    """One place a message has in the ledger: an episode's current render, or one that aired."""

    episode_id: str
    episode_title: str
    episode_date: str
    render_id: int
    rendered_at: str
    current: bool  # the episode's latest render
    position: int
    start_s: float
    end_s: float
    aired: tuple[str, ...]  # when this render went on the air
    voice: str | None = None  # who read it (unknown for renders recorded before voices were)


def seconds(samples: int, rate: int) -> float:
    """A time in the ledger's answers: seconds to the microsecond, from samples."""
    return round(samples / rate, 6)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def parse_datetime(value: str) -> dt.datetime:
    """An airing time as people write it: ISO 8601 with a time, e.g. 2026-11-22T21:00+09:00.
    Without an offset it is local time on this machine. Raises LedgerInputError."""
    text = value.strip()
    if len(text) == 10:
        raise LedgerInputError(
            f"--at: '{value}' has no time of day; write YYYY-MM-DDTHH:MM, "
            "optionally with an offset such as +09:00"
        )
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise LedgerInputError(
            f"--at: '{value}' is not a date and time; write YYYY-MM-DDTHH:MM, "
            "optionally with an offset such as +09:00"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # local time of this machine
    return when.replace(microsecond=0)


def placements_of(segments: Sequence[Segment], sample_rate: int) -> tuple[Placement, ...]:
    """The message segments of a programme, in programme order -> placements."""
    return tuple(
        Placement(s.message_id, n, s.start, s.end, sample_rate, s.text_sha256, s.voice)
        for n, s in enumerate((s for s in segments if s.message_id), start=1)
        if s.message_id
    )
