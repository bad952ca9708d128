"""Stage: place the normalized pieces on the programme timeline and derive the cues.

Pure: positions are whole samples at the working rate, so every cue is sample-accurate by
construction. intro, gap, message, gap (or pad, sting, pad), message, ..., gap, outro; where
a crossfade is configured, bumpers and speech overlap with equal-power fades instead of a gap
(timing.layout). `fill_to` pads silence before the outro so the programme lasts exactly that
many samples (fit: exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from audio_pipeline.core import defaults
from audio_pipeline.core.models import Cue, Programme, Segment, SegmentKind
from audio_pipeline.programme.timing import Piece, layout, programme_order


def assemble(
    episode_id: str,
    title: str,
    intro: Segment,
    messages: list[Segment],
    outro: Segment,
    *,
    gap_s: float,
    sting: Segment | None = None,
    sting_pad_s: float = defaults.STING_PAD_S,
    crossfade_s: float = 0.0,
    fill_to: int | None = None,
    sample_rate: int = defaults.SAMPLE_RATE,
) -> Programme:
    order = programme_order(intro, messages, outro, sting)
    spacing = {
        "gap": round(gap_s * sample_rate),
        "sting_pad": round(sting_pad_s * sample_rate),
        "crossfade": round(crossfade_s * sample_rate),
    }
    pieces = [Piece(s.kind, s.length, s.message_id or s.kind.value) for s in order]
    natural = layout(pieces, **spacing)
    filler = 0
    if fill_to is not None:
        if natural.length > fill_to:
            raise ValueError(f"programme is {natural.length} samples, longer than {fill_to}")
        filler = fill_to - natural.length
    plan = layout(pieces, **spacing, filler_before_outro=filler) if filler else natural
    placed = [
        replace(seg, index=i, start=p.start, fade_in=p.fade_in, fade_out=p.fade_out)
        for i, (seg, p) in enumerate(zip(order, plan.placements, strict=True), start=1)
    ]
    cues = tuple(
        Cue(
            index=s.index,
            kind=s.kind,
            start=s.start,
            end=s.end,
            message_id=s.message_id,
            title=s.title,
            engine=s.engine,
            voice=s.voice,
            fallback=s.fallback,
            text_sha256=s.text_sha256,
        )
        for s in placed
    )
    return Programme(episode_id, title, sample_rate, plan.length, tuple(placed), cues)


def programme_length(
    intro: int,
    outro: int,
    messages: Sequence[int],
    *,
    gap_s: float,
    sting: int | None = None,
    sting_pad_s: float = defaults.STING_PAD_S,
    crossfade_s: float = 0.0,
    sample_rate: int = defaults.SAMPLE_RATE,
) -> int:
    """Samples of the programme `assemble` would make from pieces of these lengths (for
    fitting a queue selection into its slot before anything is assembled)."""
    order = programme_order(
        Piece(SegmentKind.INTRO, intro),
        [Piece(SegmentKind.MESSAGE, n) for n in messages],
        Piece(SegmentKind.OUTRO, outro),
        Piece(SegmentKind.STING, sting) if sting is not None else None,
    )
    spacing = {
        "gap": round(gap_s * sample_rate),
        "sting_pad": round(sting_pad_s * sample_rate),
        "crossfade": round(crossfade_s * sample_rate),
    }
    return layout(order, **spacing).length


def message_segments(programme: Programme) -> list[Segment]:
    return [s for s in programme.segments if s.kind is SegmentKind.MESSAGE]
