"""Slot timing: where every piece goes, whether the programme fits its slot, and what to do
when it does not. Pure: lengths in samples in, positions and reports out.

The target length is the slot minus the partner's margin. `fit: exact` fills the programme
to the target to the sample (silence, or the bed, before the outro); `fit: max` only refuses
an overrun. A bounded tempo-up of the messages (at most 1.05x, pitch kept) may save a message
before one has to be dropped; if even that is not enough the render fails with a report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

from audio_pipeline.core.models import SegmentKind

TEMPO_SAFETY = 1.002  # atempo rounds lengths; aim a hair faster than the bare minimum


def clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    minutes, secs = divmod(seconds, 60)
    if minutes >= 60:
        hours, minutes = divmod(int(minutes), 60)
        return f"{sign}{hours}:{int(minutes):02d}:{secs:04.1f}"
    return f"{sign}{int(minutes)}:{secs:04.1f}"


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


def _length(
    intro: Piece,
    messages: list[Piece],
    outro: Piece,
    sting: Piece | None,
    tempo: float,
    **spacing: int,
) -> int:
    scaled = [Piece(m.kind, math.ceil(m.length / tempo), m.name) for m in messages]
    return layout(programme_order(intro, scaled, outro, sting), **spacing).length


def plan_slot(
    intro: Piece,
    messages: list[Piece],
    outro: Piece,
    sting: Piece | None,
    *,
    target: int,
    max_tempo: float,
    sample_rate: int,
    gap: int,
    sting_pad: int,
    crossfade: int = 0,
) -> SlotPlan:
    """The tempo that makes the programme fit `target`, or SlotOverrun with a report."""
    spacing = {"gap": gap, "sting_pad": sting_pad, "crossfade": crossfade}
    natural = _length(intro, messages, outro, sting, 1.0, **spacing)
    if natural <= target:
        return SlotPlan(target, 1.0, natural)
    if max_tempo > 1.0 and _length(intro, messages, outro, sting, max_tempo, **spacing) <= target:
        lo, hi = 1.0, max_tempo
        for _ in range(40):  # bisection: the smallest tempo-up that fits
            mid = (lo + hi) / 2
            if _length(intro, messages, outro, sting, mid, **spacing) <= target:
                hi = mid
            else:
                lo = mid
        tempo = min(max_tempo, hi * TEMPO_SAFETY)
        return SlotPlan(target, tempo, _length(intro, messages, outro, sting, tempo, **spacing))
    raise SlotOverrun(
        overrun_report(
            intro, messages, outro, sting, natural, target, max_tempo, sample_rate, spacing
        )
    )


def overrun_report(
    intro: Piece,
    messages: list[Piece],
    outro: Piece,
    sting: Piece | None,
    natural: int,
    target: int,
    max_tempo: float,
    sample_rate: int,
    spacing: dict[str, int],
) -> list[str]:
    def secs(samples: int) -> str:
        return clock(samples / sample_rate)

    def fits(subset: list[Piece]) -> bool:
        return _length(intro, subset, outro, sting, max_tempo, **spacing) <= target

    lines = [
        f"programme overruns its slot by {secs(natural - target)}: "
        f"{secs(natural)} for a target of {secs(target)}"
    ]
    if max_tempo > 1.0:
        fastest = _length(intro, messages, outro, sting, max_tempo, **spacing)
        lines.append(
            f"tempo-up to {max_tempo:.2f}x (max_tempo) saves {secs(natural - fastest)}, not enough"
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
