"""Filling a fit: exact slot's under-run as a broadcaster does, planned in samples: filler
items from the pool while the gaps alone could not take what is left (the longest first,
each once), then every gap (and a sting's pads) grown evenly up to the slot's max_gap, then
the rest before the outro, never more than max_silence without programme audio counting the
gap before it. Pure: lengths in, a FillPlan (or SlotUnderrun with a report) out.
"""

from __future__ import annotations

from collections.abc import Sequence

from audio_pipeline.core.display import clock
from audio_pipeline.core.results import FillReport, SegmentKind
from audio_pipeline.programme.timing import (
    GAP,
    OVERLAP,
    PAD,
    FillPlan,
    Piece,
    Slot,
    SlotOverrun,
    SlotUnderrun,
    layout,
    transition,
)


def share(total: int, rooms: dict[int, int]) -> dict[int, int]:
    """`total` shared out as evenly as it goes among places that can each take up to their
    room (water-filling: what a full place cannot take goes to the others)."""
    given = dict.fromkeys(rooms, 0)
    left, open_ = total, sorted(rooms)
    while left > 0 and open_:
        each, rest = divmod(left, len(open_))
        for n, key in enumerate(list(open_)):
            take = min(each + (1 if n < rest else 0), rooms[key] - given[key])
            given[key] += take
            left -= take
        open_ = [k for k in open_ if given[k] < rooms[k]]
    return given


def plan_fill(slot: Slot, messages: list[Piece], pool: Sequence[Piece]) -> FillPlan:
    """How a fit: exact programme reaches its target: filler items from `pool` while the
    gaps alone could not take the rest without a silence over max_silence (longest
    first, each once), then every gap grown evenly up to max_gap, then the rest as silence
    before the outro. Raises SlotOverrun when too long, SlotUnderrun when it cannot be
    filled without dead air."""
    if not slot.exact or slot.target is None:
        return FillPlan((), (), 0)
    target = slot.target
    chosen: list[int] = []

    def order(picked: list[int]) -> list[Piece]:
        return slot.with_fillers(messages, [pool[i] for i in picked])

    def rooms(pieces: list[Piece]) -> dict[int, int]:
        """How much each silence between pieces may grow (gaps and a sting's pads, up
        to max_gap; never where pieces overlap), by the index of the piece after it."""
        found = {}
        for i in range(1, len(pieces)):
            between = transition(pieces[i - 1], pieces[i], slot.crossfade)
            base = slot.gap if between == GAP else slot.sting_pad
            if between != OVERLAP and slot.max_gap > base:
                found[i] = slot.max_gap - base
        return found

    natural = slot.laid(order([])).length
    if natural > target:
        raise SlotOverrun([f"programme is {natural} samples, longer than {target}"])
    for i in sorted(range(len(pool)), key=lambda i: (-pool[i].length, pool[i].name)):
        pieces = order(chosen)
        short = target - slot.laid(pieces).length - sum(rooms(pieces).values())
        if short <= slot.max_silence:
            break
        if slot.laid(order([*chosen, i])).length <= target:
            chosen.append(i)
    pieces = order(chosen)
    under = target - slot.laid(pieces).length
    room = rooms(pieces)
    extra = [0] * len(pieces)
    for i, grown in share(min(under, sum(room.values())), room).items():
        extra[i] = grown
    silence = under - sum(extra)
    before_outro = stretch(slot, pieces, len(pieces) - 1, extra) + silence
    if before_outro > slot.max_silence:
        raise SlotUnderrun(underrun_report(slot, natural, chosen, pool, before_outro, len(room)))
    return FillPlan(tuple(chosen), tuple(extra), silence)


def stretch(slot: Slot, pieces: list[Piece], i: int, extra: Sequence[int]) -> int:
    """The silence before piece i (its gap, pad, or none where the pieces overlap)."""
    between = transition(pieces[i - 1], pieces[i], slot.crossfade)
    if between == OVERLAP:
        return 0
    return (slot.sting_pad if between == PAD else slot.gap) + extra[i]


def fill_report(
    slot: Slot, pieces: list[Piece], plan: FillPlan, names: Sequence[str]
) -> FillReport:
    """How the slot was filled, for the summary and the cues."""
    natural_pieces = [p for p in pieces if p.kind is not SegmentKind.FILLER]
    natural = layout(
        natural_pieces, gap=slot.gap, sting_pad=slot.sting_pad, crossfade=slot.crossfade
    ).length
    stretches = [stretch(slot, pieces, i, plan.extra) for i in range(1, len(pieces))]
    stretches[-1] += plan.silence
    return FillReport(
        under=(slot.target or natural) - natural,
        gaps=sum(plan.extra),
        longest_gap=max(stretches, default=0),
        fillers=tuple(names),
        silence=plan.silence,
    )


def underrun_report(
    slot: Slot,
    natural: int,
    chosen: list[int],
    pool: Sequence[Piece],
    before_outro: int,
    growing: int,
) -> list[str]:
    target = slot.target or natural

    def secs(samples: int) -> str:
        return clock(samples / slot.sample_rate)

    used = ", ".join(f"{pool[i].name} ({secs(pool[i].length)})" for i in chosen) or "none"
    left = [pool[i] for i in range(len(pool)) if i not in chosen]
    lines = [
        f"programme is {secs(target - natural)} short of its slot and cannot be filled "
        f"without {secs(before_outro)} of silence before the outro "
        f"(fill.max_silence_s allows {secs(slot.max_silence)})",
        (
            f"gaps: {growing} may grow, to {secs(slot.max_gap)} at most (fill.max_gap_s)"
            if growing
            else "gaps: none may grow (the pieces cross-fade, or fill.max_gap_s is gap_s)"
        ),
        f"fillers played: {used}; the pool holds {len(pool)} item(s)"
        + (
            f"; the shortest left, {shortest.name} ({secs(shortest.length)}), is too long"
            if (shortest := min(left, key=lambda p: p.length, default=None))
            else ""
        ),
        "add filler items (audio in voices/fillers/, or approved readings marked "
        "`filler: true`), add a message, or raise fill.max_gap_s",
    ]
    return lines
