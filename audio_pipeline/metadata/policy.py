"""The metadata policy: which fields may leave the production machine, and where.

Listeners and believers in North Korea are in danger and supporters' details are private, so
every metadata writer (bext/cue/LIST chunks, ID3 tags, cues.json, cue sheets, labels,
chapters, the broadcast log) works from a `PublicMetadata`: a projection of the episode that
holds only what the policy allows for that scope. The writers never see a Message or an
Episode, so the approver, the notes and the files' paths cannot reach them by mistake.

The shipped default lives in `audio_pipeline/data/metadata_policy.yaml`; a project may replace
it with `input/metadata_policy.yaml`, validated like every other input (file, field, allowed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audio_pipeline.core import defaults
from audio_pipeline.core.models import Episode, Message
from audio_pipeline.core.results import Loudness, Programme, SegmentKind
from audio_pipeline.inputs.policy import MetadataPolicy

# --- the public projection ------------------------------------------------------------------


def rescale(samples: int, from_rate: int, to_rate: int) -> int:
    """A sample position at another rate, rounded to the nearest sample (exact integers)."""
    if from_rate == to_rate:
        return samples
    return (2 * samples * to_rate + from_rate) // (2 * from_rate)


@dataclass(frozen=True)
class Timeline:
    """Cue spans as whole samples at one rate: what a file at that rate plays."""

    sample_rate: int
    length: int
    spans: tuple[tuple[int, int], ...]  # (start, end) per cue, in cue order

    def at(self, rate: int, offset: int = 0) -> Timeline:
        """The same cues at another rate. Start and end are rescaled separately, so a
        segment's length is the difference of two rounded positions: consecutive cues never
        overlap and the last one ends where the programme ends. `offset` (samples at `rate`)
        is where the programme starts in the file: a codec's delay (raw MP2)."""
        if rate == self.sample_rate and not offset:
            return self
        r = self.sample_rate
        spans = tuple(
            (rescale(s, r, rate) + offset, rescale(e, r, rate) + offset) for s, e in self.spans
        )
        return Timeline(rate, rescale(self.length, r, rate) + offset, spans)


@dataclass(frozen=True)
class PublicCue:
    index: int
    kind: str  # intro | message | sting | outro
    message_id: str | None = None
    title: str | None = None
    attribution: str | None = None
    engine: str | None = None
    voice: str | None = None
    fallback: bool | None = None
    text_sha256: str | None = None
    loudness: Loudness | None = None

    @property
    def label(self) -> str:
        """ASCII: the message id where allowed, else the cue's kind."""
        return self.message_id or self.kind

    @property
    def display_title(self) -> str:
        return self.title or self.message_id or self.kind


@dataclass(frozen=True)
class PublicMetadata:
    """Everything one scope may carry about an episode, and nothing else."""

    scope: str
    episode_id: str  # names the files; always present
    sample_rate: int  # the programme's rate
    length: int  # the programme's length in samples
    cues: tuple[PublicCue, ...]
    timeline: Timeline | None  # None when cue times are not allowed
    title: str | None = None
    date: dt.date | None = None
    station: str | None = None
    target_lufs: float | None = None
    ceiling_dbtp: float | None = None
    tool_version: str | None = None
    loudness_allowed: bool = False

    def loudness(self, value: Loudness | None) -> Loudness | None:
        return value if self.loudness_allowed else None


def public_metadata(
    policy: MetadataPolicy,
    scope: str,
    programme: Programme,
    episode: Episode,
    messages: Mapping[str, Message],
    *,
    tool_version: str,
    target_lufs: float | None = None,
    ceiling_dbtp: float | None = None,
) -> PublicMetadata:
    """Project the episode through the policy for one scope (embedded or sidecars).
    `target_lufs`/`ceiling_dbtp`: the primary deliverable's profile (default: the episode's)."""
    allowed = policy.fields(scope)
    by_index = {s.index: s for s in programme.segments}

    def keep(field: str, value: Any) -> Any:
        return value if field in allowed else None

    cues = []
    for cue in programme.cues:
        message = messages.get(cue.message_id) if cue.message_id else None
        attribution = None
        # the attribution line leaves only when the editor marked it approved for broadcast
        if message is not None and message.attribution_approved and message.attribution:
            attribution = keep("attribution", message.attribution)
        segment = by_index.get(cue.index)
        cues.append(
            PublicCue(
                index=cue.index,
                kind=SegmentKind(cue.kind).value,
                message_id=keep("message_id", cue.message_id),
                title=keep("message_title", cue.title),
                attribution=attribution,
                engine=keep("synthesis", cue.engine),
                voice=keep("synthesis", cue.voice),
                fallback=keep("synthesis", cue.fallback if cue.message_id else None),
                text_sha256=keep("text_sha256", cue.text_sha256),
                loudness=keep("loudness", segment.loudness if segment else None),
            )
        )
    timeline = None
    if "cue_times" in allowed:
        spans = tuple((c.start, c.end) for c in programme.cues)
        timeline = Timeline(programme.sample_rate, programme.length, spans)
    return PublicMetadata(
        scope=scope,
        episode_id=episode.id,
        sample_rate=programme.sample_rate,
        length=programme.length,
        cues=tuple(cues),
        timeline=timeline,
        title=keep("episode_title", episode.title),
        date=keep("episode_date", episode.date),
        station=keep("station", episode.station or defaults.STATION),
        target_lufs=keep("loudness", episode.target_lufs if target_lufs is None else target_lufs),
        ceiling_dbtp=keep(
            "loudness", episode.true_peak_dbtp if ceiling_dbtp is None else ceiling_dbtp
        ),
        tool_version=keep("tool_version", tool_version),
        loudness_allowed="loudness" in allowed,
    )
