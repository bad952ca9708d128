"""Slot timing: where every piece goes, whether the programme fits its slot, and what to do
when it does not. Pure: lengths in samples in, positions and reports out.

The target length is the slot minus the partner's margin. `fit: exact` fills the programme
to the target to the sample (silence, or the bed, before the outro); `fit: max` only refuses
an overrun. A bounded tempo-up of the messages (at most 1.05x, pitch kept) may save a message
before one has to be dropped; if even that is not enough the render fails with a report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from audio_pipeline.core import defaults
from audio_pipeline.core.display import clock
from audio_pipeline.core.models import Episode, SegmentKind

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


def layout(
    pieces: list[Piece],
    *,
    gap: int,
    sting_pad: int,
    crossfade: int = 0,
    filler_before_outro: int = 0,
) -> Layout:
    """Positions of `pieces` (already in programme order, stings included).

    Between two pieces: a sting gets `sting_pad` of silence either side; anything else gets
    `gap`. Where one side is a bumper (intro, sting, outro) and the other a message, and a
    crossfade is configured, the two overlap by `crossfade` samples with equal-power fades
    instead. `filler_before_outro` adds silence before the outro (fit: exact).
    """
    bumpers = (SegmentKind.INTRO, SegmentKind.STING, SegmentKind.OUTRO)
    starts: list[int] = []
    fades_in = [0] * len(pieces)
    fades_out = [0] * len(pieces)
    position = 0
    for i, piece in enumerate(pieces):
        if i > 0:
            before = pieces[i - 1]
            mixed = (before.kind in bumpers) != (piece.kind in bumpers)
            if crossfade and mixed:
                overlap = min(crossfade, before.length // 2, piece.length // 2)
                position -= overlap
                fades_out[i - 1] = fades_in[i] = overlap
            elif SegmentKind.STING in (before.kind, piece.kind):
                position += sting_pad
            else:
                position += gap
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


class SlotOverrun(Exception):
    """The programme does not fit its slot, even with the allowed tempo-up."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


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
        )

    def order(self, messages: list[Piece]) -> list[Piece]:
        """The running order of the programme with these messages, bumpers included."""
        return programme_order(
            Piece(SegmentKind.INTRO, self.intro, "intro"),
            messages,
            Piece(SegmentKind.OUTRO, self.outro, "outro"),
            Piece(SegmentKind.STING, self.sting, "sting") if self.sting is not None else None,
        )

    def layout(self, order: list[Piece]) -> Layout:
        """Where every piece goes; with fit: exact, filled before the outro to the target."""
        spacing = {"gap": self.gap, "sting_pad": self.sting_pad, "crossfade": self.crossfade}
        natural = layout(order, **spacing)
        if not self.exact or self.target is None:
            return natural
        if natural.length > self.target:
            raise SlotOverrun(
                [f"programme is {natural.length} samples, longer than its target {self.target}"]
            )
        filler = self.target - natural.length
        return layout(order, **spacing, filler_before_outro=filler) if filler else natural

    def length(self, messages: Sequence[int], tempo: float = 1.0) -> int:
        """Samples of a programme with messages of these lengths (before any filler)."""
        pieces = [Piece(SegmentKind.MESSAGE, math.ceil(n / tempo)) for n in messages]
        spacing = {"gap": self.gap, "sting_pad": self.sting_pad, "crossfade": self.crossfade}
        return layout(self.order(pieces), **spacing).length

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
