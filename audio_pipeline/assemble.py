"""Stage: place the normalized pieces on the programme timeline and derive the cues.

Pure: positions are whole samples at the working rate, so every cue is sample-accurate by
construction. intro, gap, message, gap (or pad, sting, pad), message, ..., gap, outro.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from . import defaults
from .models import Cue, Programme, Segment, SegmentKind


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
    sample_rate: int = defaults.SAMPLE_RATE,
) -> Programme:
    gap = round(gap_s * sample_rate)
    pad = round(sting_pad_s * sample_rate)
    order: list[tuple[Segment, int]] = [(intro, gap)]  # (piece, silence after it)
    for i, message in enumerate(messages):
        last = i == len(messages) - 1
        if sting is not None and not last:
            order.append((message, pad))
            order.append((sting, pad))
        else:
            order.append((message, gap))
    order.append((outro, 0))

    placed: list[Segment] = []
    position = 0
    for index, (piece, silence_after) in enumerate(order, start=1):
        placed.append(replace(piece, index=index, start=position))
        position += piece.length + silence_after
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
    return Programme(episode_id, title, sample_rate, position, tuple(placed), cues)


def programme_length(
    intro: int,
    outro: int,
    messages: Sequence[int],
    *,
    gap_s: float,
    sting: int | None = None,
    sting_pad_s: float = defaults.STING_PAD_S,
    sample_rate: int = defaults.SAMPLE_RATE,
) -> int:
    """Samples of the programme `assemble` would make from pieces of these lengths (for
    fitting a queue selection into its slot before anything is assembled)."""
    gap = round(gap_s * sample_rate)
    pad = round(sting_pad_s * sample_rate)
    total = intro + gap + outro
    for i, length in enumerate(messages):
        last = i == len(messages) - 1
        total += length + (2 * pad + sting if sting is not None and not last else gap)
    return total


def message_segments(programme: Programme) -> list[Segment]:
    return [s for s in programme.segments if s.kind is SegmentKind.MESSAGE]
