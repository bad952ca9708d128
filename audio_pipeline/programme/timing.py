"""Slot timing: where every piece goes, whether the programme fits its slot, and what to do
when it does not. Pure: lengths in samples in, positions and reports out.

The target length is the slot minus the partner's margin. `fit: exact` fills the programme
to the target to the sample the way a broadcaster does: filler items from the pool first
where the gaps cannot take the rest, then the gaps lengthened within their bound, and only
what is left (a few seconds at most) as silence, or the bed, before the outro; `fit: max`
only refuses an overrun. A bounded tempo-up of the messages (at most 1.05x, pitch kept) may
save a message before one has to be dropped; if even that is not enough the render fails with
a report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from audio_pipeline.core import defaults
from audio_pipeline.core.display import clock
from audio_pipeline.core.models import Episode
from audio_pipeline.core.results import SegmentKind

TEMPO_SAFETY = 1.002  # atempo rounds lengths; aim a hair faster than the bare minimum


@dataclass(frozen=True)
class Piece:
    kind: SegmentKind
    length: int
    name: str = ""


@dataclass(frozen=True)
class Placement:
    start: int
    fade_in: int  # equal-power fade-in over the overlap with the piece before
    fade_out: int  # equal-power fade-out over the overlap with the piece after


@dataclass(frozen=True)
class Layout:
    placements: tuple[Placement, ...]
    length: int


GAP, PAD, OVERLAP = "gap", "pad", "overlap"
BUMPERS = (SegmentKind.INTRO, SegmentKind.STING, SegmentKind.OUTRO)


def transition(before: Piece, piece: Piece, crossfade: int) -> str:
    """What stands between two pieces: an overlap (a bumper crossfades with speech), a pad
    (either side of a sting), or a gap (anything else: the one that may grow)."""
    if crossfade and (before.kind in BUMPERS) != (piece.kind in BUMPERS):
        return OVERLAP
    if SegmentKind.STING in (before.kind, piece.kind):
        return PAD
    return GAP


def layout(
    pieces: list[Piece],
    *,
    gap: int,
    sting_pad: int,
    crossfade: int = 0,
    filler_before_outro: int = 0,
    extra: Sequence[int] = (),
) -> Layout:
    """Positions of `pieces` (already in programme order, stings included).

    Between two pieces: a sting gets `sting_pad` of silence either side; anything else gets
    `gap`; either grows by `extra[i]` before piece i, where a slot is filled. Where one side is a
    bumper (intro, sting, outro) and the other speech, and a crossfade is configured, the two
    overlap by `crossfade` samples with equal-power fades instead. `filler_before_outro`
    adds silence before the outro (fit: exact).
    """
    starts: list[int] = []
    fades_in = [0] * len(pieces)
    fades_out = [0] * len(pieces)
    position = 0
    for i, piece in enumerate(pieces):
        if i > 0:
            before = pieces[i - 1]
            between = transition(before, piece, crossfade)
            if between == OVERLAP:
                overlap = min(crossfade, before.length // 2, piece.length // 2)
                position -= overlap
                fades_out[i - 1] = fades_in[i] = overlap
            else:
                grown = extra[i] if i < len(extra) else 0
                position += (sting_pad if between == PAD else gap) + grown
            if piece.kind is SegmentKind.OUTRO:
                position += filler_before_outro
        starts.append(position)
        position += piece.length
    placements = tuple(
        Placement(s, fi, fo) for s, fi, fo in zip(starts, fades_in, fades_out, strict=True)
    )
    return Layout(placements, position)


T = TypeVar("T")


def programme_order(intro: T, messages: list[T], outro: T, sting: T | None) -> list[T]:
    """intro, message, (sting, message)..., outro: the one place the running order is made."""
    order = [intro]
    for i, message in enumerate(messages):
        order.append(message)
        if sting is not None and i < len(messages) - 1:
            order.append(sting)
    order.append(outro)
    return order


@dataclass(frozen=True)
class SlotPlan:
    target: int  # samples
    tempo: float  # applied to every message (1.0 = none)
    length: int  # programme length with that tempo, before any filler


@dataclass(frozen=True)
class FillPlan:
    """How a fit: exact slot is filled: which pool items play (in order), what each gap grows
    by (per piece of the filled running order), and the silence left before the outro."""

    fillers: tuple[int, ...]
    extra: tuple[int, ...]
    silence: int


class SlotUnderrun(Exception):
    """The programme is too short for its slot and nothing can fill it but dead air."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


class SlotOverrun(Exception):
    """The programme does not fit its slot, even with the allowed tempo-up."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


def max_gap_s(episode: Episode) -> float:
    """How long a gap may grow when the slot is filled: the episode's fill.max_gap_s, else
    its gap a second longer, and never longer than the longest silence it allows."""
    fill = episode.fill
    if fill.max_gap_s is not None:
        return fill.max_gap_s
    return max(episode.gap_s, min(episode.gap_s + defaults.FILL_GAP_GROWTH_S, fill.max_silence_s))


@dataclass(frozen=True)
class Slot:
    """The programme's frame, in samples at the working rate, computed once per render: the
    spacing between pieces, the bumpers (known before any message is made) and the slot the
    programme must fit. Layout, slot planning, queue fitting and assembly all ask it, so the
    arithmetic of a programme's length lives in one place."""

    gap: int
    sting_pad: int
    crossfade: int
    intro: int
    outro: int
    sting: int | None
    target: int | None  # slot minus margin; None: no slot
    exact: bool  # fit: exact (fill the programme to the target)
    max_tempo: float
    sample_rate: int = defaults.SAMPLE_RATE
    max_gap: int = 0  # a gap may grow to this when the slot is filled (0: never grows)
    max_silence: int = 0  # the longest stretch without speech or programme audio allowed

    @classmethod
    def of(
        cls,
        episode: Episode,
        intro: int,
        outro: int,
        sting: int | None,
        sample_rate: int = defaults.SAMPLE_RATE,
    ) -> Slot:
        target = episode.target_length_s
        return cls(
            gap=round(episode.gap_s * sample_rate),
            sting_pad=round(defaults.STING_PAD_S * sample_rate),
            crossfade=round(episode.crossfade_s * sample_rate),
            intro=intro,
            outro=outro,
            sting=sting,
            target=None if target is None else round(target * sample_rate),
            exact=target is not None and episode.fit == "exact",
            max_tempo=episode.max_tempo,
            sample_rate=sample_rate,
            max_gap=round(max_gap_s(episode) * sample_rate),
            max_silence=round(episode.fill.max_silence_s * sample_rate),
        )

    def order(self, messages: list[Piece]) -> list[Piece]:
        """The running order of the programme with these messages, bumpers included."""
        return programme_order(
            Piece(SegmentKind.INTRO, self.intro, "intro"),
            messages,
            Piece(SegmentKind.OUTRO, self.outro, "outro"),
            Piece(SegmentKind.STING, self.sting, "sting") if self.sting is not None else None,
        )

    def layout(self, order: list[Piece], plan: FillPlan | None = None) -> Layout:
        """Where every piece goes; with fit: exact, the gaps grown and the silence before the
        outro that `plan` says (the plan the same order was filled with)."""
        extra = plan.extra if plan is not None else ()
        silence = plan.silence if plan is not None else 0
        placed = self.laid(order, extra, silence)
        if self.exact and self.target is not None and placed.length != self.target:
            raise SlotOverrun(
                [f"programme is {placed.length} samples, not its target {self.target}"]
            )
        return placed

    def laid(self, pieces: list[Piece], extra: Sequence[int] = (), silence: int = 0) -> Layout:
        return layout(
            pieces,
            gap=self.gap,
            sting_pad=self.sting_pad,
            crossfade=self.crossfade,
            extra=extra,
            filler_before_outro=silence,
        )

    def with_fillers(self, messages: list[Piece], fillers: Sequence[Piece]) -> list[Piece]:
        """The running order with filler items between the last message and the outro."""
        order = self.order(messages)
        return [*order[:-1], *fillers, order[-1]]

    def length(self, messages: Sequence[int], tempo: float = 1.0) -> int:
        """Samples of a programme with messages of these lengths (before any filler)."""
        pieces = [Piece(SegmentKind.MESSAGE, math.ceil(n / tempo)) for n in messages]
        return self.laid(self.order(pieces)).length

    def plan(self, messages: list[Piece]) -> SlotPlan:
        """The tempo that makes the programme fit its target, or SlotOverrun with a report."""
        lengths = [m.length for m in messages]
        natural = self.length(lengths)
        if self.target is None or natural <= self.target:
            return SlotPlan(self.target or natural, 1.0, natural)
        target = self.target
        if self.max_tempo > 1.0 and self.length(lengths, self.max_tempo) <= target:
            lo, hi = 1.0, self.max_tempo
            for _ in range(40):  # bisection: the smallest tempo-up that fits
                mid = (lo + hi) / 2
                if self.length(lengths, mid) <= target:
                    hi = mid
                else:
                    lo = mid
            tempo = min(self.max_tempo, hi * TEMPO_SAFETY)
            return SlotPlan(target, tempo, self.length(lengths, tempo))
        raise SlotOverrun(self.overrun_report(messages, natural))

    def overrun_report(self, messages: list[Piece], natural: int) -> list[str]:
        target = self.target or natural

        def secs(samples: int) -> str:
            return clock(samples / self.sample_rate)

        def fits(subset: list[Piece]) -> bool:
            return self.length([m.length for m in subset], self.max_tempo) <= target

        lines = [
            f"programme overruns its slot by {secs(natural - target)}: "
            f"{secs(natural)} for a target of {secs(target)}"
        ]
        if self.max_tempo > 1.0:
            fastest = self.length([m.length for m in messages], self.max_tempo)
            lines.append(
                f"tempo-up to {self.max_tempo:.2f}x (max_tempo) saves "
                f"{secs(natural - fastest)}, not enough"
            )
        prefix = 0
        while prefix < len(messages) and fits(messages[: prefix + 1]):
            prefix += 1
        kept = ", ".join(m.name for m in messages[:prefix]) or "none"
        lines.append(f"messages that fit, in order: {kept}")
        rest = messages[prefix:]
        if rest:
            lines.append("drop to fit: " + ", ".join(f"{m.name} ({secs(m.length)})" for m in rest))
        singles = [m for i, m in enumerate(messages) if fits(messages[:i] + messages[i + 1 :])]
        if singles:
            lines.append(
                "or drop any one of: " + ", ".join(f"{m.name} ({secs(m.length)})" for m in singles)
            )
        return lines
