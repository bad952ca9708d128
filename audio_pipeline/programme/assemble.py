"""Stage: place the normalized pieces on the programme timeline and derive the cues.

Pure: positions are whole samples at the working rate, so every cue is sample-accurate by
construction. intro, gap, message, gap (or pad, sting, pad), message, ..., gap, outro; where
a crossfade is configured, bumpers and speech overlap with equal-power fades instead of a gap.
The slot (timing.Slot) says where each piece goes, and fills to the target with fit: exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from audio_pipeline.core.results import Programme, Segment
from audio_pipeline.programme.fill import fill_report
from audio_pipeline.programme.timing import FillPlan, Piece, Slot, programme_order


def assemble(
    episode_id: str,
    title: str,
    intro: Segment,
    messages: list[Segment],
    outro: Segment,
    sting: Segment | None,
    slot: Slot,
    fillers: Sequence[Segment] = (),
    plan: FillPlan | None = None,
) -> Programme:
    """Place the pieces where the slot's layout says (the filler items between the last
    message and the outro, the gaps grown as `plan` says); raises SlotOverrun when fit: exact
    cannot be met."""
    order_segments: list[Segment] = programme_order(intro, messages, outro, sting)
    # the filler items between the last message and the outro (Slot.with_fillers' order)
    order_segments = [*order_segments[:-1], *fillers, order_segments[-1]]
    pieces = [
        Piece(s.kind, s.length, s.message_id or s.title or s.kind.value) for s in order_segments
    ]
    placed_layout = slot.layout(pieces, plan)
    placed = [
        replace(seg, index=i, start=p.start, fade_in=p.fade_in, fade_out=p.fade_out)
        for i, (seg, p) in enumerate(
            zip(order_segments, placed_layout.placements, strict=True), start=1
        )
    ]
    report = None
    if slot.exact and plan is not None:
        report = fill_report(slot, pieces, plan, [s.message_id or s.title or "" for s in fillers])
    return Programme(
        episode_id, title, slot.sample_rate, placed_layout.length, tuple(placed), fill=report
    )


def message_segments(programme: Programme) -> list[Segment]:
    """Every placed message, readings that filled the slot too (they aired as messages do)."""
    return [s for s in programme.segments if s.message_id is not None]
