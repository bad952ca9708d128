"""Stage: place the normalized pieces on the programme timeline and derive the cues.

Pure: positions are whole samples at the working rate, so every cue is sample-accurate by
construction. intro, gap, message, gap (or pad, sting, pad), message, ..., gap, outro; where
a crossfade is configured, bumpers and speech overlap with equal-power fades instead of a gap.
The slot (timing.Slot) says where each piece goes, and fills to the target with fit: exact.
"""

from __future__ import annotations

from dataclasses import replace

from audio_pipeline.core.models import Programme, Segment, SegmentKind
from audio_pipeline.programme.timing import Piece, Slot, programme_order


def assemble(
    episode_id: str,
    title: str,
    intro: Segment,
    messages: list[Segment],
    outro: Segment,
    sting: Segment | None,
    slot: Slot,
) -> Programme:
    """Place the pieces where the slot's layout says; raises SlotOverrun when fit: exact
    cannot be met (the programme came out longer than its target)."""
    order = programme_order(intro, messages, outro, sting)
    pieces = [Piece(s.kind, s.length, s.message_id or s.kind.value) for s in order]
    plan = slot.layout(pieces)
    placed = [
        replace(seg, index=i, start=p.start, fade_in=p.fade_in, fade_out=p.fade_out)
        for i, (seg, p) in enumerate(zip(order, plan.placements, strict=True), start=1)
    ]
    return Programme(episode_id, title, slot.sample_rate, plan.length, tuple(placed))


def message_segments(programme: Programme) -> list[Segment]:
    return [s for s in programme.segments if s.kind is SegmentKind.MESSAGE]
