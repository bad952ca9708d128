"""Assembly (assemble.py): the normalized pieces placed on the programme timeline where the
slot says, numbered as cues, fillers before the outro, and the fill reported. Positions are
worked out by hand (SR = 1000: a sample is a millisecond)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from audio_pipeline.core.results import FillReport, Loudness, Segment, SegmentKind
from audio_pipeline.programme.assemble import assemble, message_segments
from audio_pipeline.programme.fill import plan_fill
from audio_pipeline.programme.timing import Piece, Slot, SlotOverrun

SR = 1000
LOUD = Loudness(-23.0, -3.0)


def piece(
    kind: SegmentKind, seconds: float, message_id: str | None = None, **kw: object
) -> Segment:
    """A normalized piece as the segment maker hands it over: not yet placed."""
    return Segment(
        index=0,
        kind=kind,
        path=Path(f"{message_id or kind.value}.wav"),
        start=0,
        length=round(seconds * SR),
        loudness=LOUD,
        message_id=message_id,
        **kw,  # type: ignore[arg-type]
    )


INTRO = piece(SegmentKind.INTRO, 5)
OUTRO = piece(SegmentKind.OUTRO, 5)
STING = piece(SegmentKind.STING, 1)
M1 = piece(SegmentKind.MESSAGE, 10, "not-alone", title="당신은 혼자가 아닙니다", voice="ko-offline")
M2 = piece(SegmentKind.MESSAGE, 10, "church-prays")


def slot(**kw: object) -> Slot:
    values: dict[str, object] = {
        "gap": 1_500,
        "sting_pad": 400,
        "crossfade": 0,
        "intro": 5_000,
        "outro": 5_000,
        "sting": None,
        "target": None,
        "exact": False,
        "max_tempo": 1.0,
        "sample_rate": SR,
    }
    values.update(kw)
    return Slot(**values)  # type: ignore[arg-type]


def test_the_pieces_are_placed_in_running_order_and_numbered_as_cues() -> None:
    programme = assemble("2026-w47", "소망", INTRO, [M1, M2], OUTRO, STING, slot(sting=1_000))
    # intro 0-5, gap 1.5, m1 6.5-16.5, pad 0.4, sting 16.9-17.9, pad 0.4, m2 18.3-28.3,
    # gap 1.5, outro 29.8-34.8
    assert [(s.index, s.kind, s.start, s.end) for s in programme.segments] == [
        (1, SegmentKind.INTRO, 0, 5_000),
        (2, SegmentKind.MESSAGE, 6_500, 16_500),
        (3, SegmentKind.STING, 16_900, 17_900),
        (4, SegmentKind.MESSAGE, 18_300, 28_300),
        (5, SegmentKind.OUTRO, 29_800, 34_800),
    ]
    assert (programme.episode_id, programme.title) == ("2026-w47", "소망")
    assert (programme.sample_rate, programme.length, programme.fill) == (SR, 34_800, None)
    # what each piece was stays with it: only its place is new
    placed = programme.segments[1]
    assert placed == replace(M1, index=2, start=6_500)
    assert programme.cues == programme.segments


def test_crossfaded_bumpers_overlap_speech_with_fades_on_both_sides() -> None:
    programme = assemble("e", "t", INTRO, [M1, M2], OUTRO, None, slot(crossfade=300))
    intro, m1, m2, outro = programme.segments
    assert (intro.fade_out, m1.fade_in, m1.start) == (300, 300, 4_700)
    assert (m1.fade_out, m2.fade_in, m2.start) == (0, 0, 4_700 + 10_000 + 1_500)
    assert (m2.fade_out, outro.fade_in, outro.start) == (300, 300, m2.end - 300)
    assert programme.length == outro.end == 5_000 - 300 + 10_000 + 1_500 + 10_000 - 300 + 5_000


def test_an_exact_slot_plays_its_fillers_before_the_outro_and_reports_the_fill() -> None:
    station_id = piece(SegmentKind.FILLER, 8, title="station-id")
    reading = piece(SegmentKind.FILLER, 12, "psalm-23", title="시편 23편")
    exact = slot(
        gap=1_000, sting_pad=0, target=60_000, exact=True, max_gap=2_000, max_silence=3_000
    )
    pool = [
        Piece(SegmentKind.FILLER, station_id.length, "station-id"),
        Piece(SegmentKind.FILLER, reading.length, "psalm-23"),
    ]
    messages = [Piece(SegmentKind.MESSAGE, 10_000, m) for m in ("not-alone", "church-prays")]
    # 5 + 1 + 10 + 1 + 10 + 1 + 5 = 33 s, 27 s short: the reading (12 s and a gap), then the
    # station id (8 s and a gap) make 55 s; the five gaps grow by 1 s each
    plan = plan_fill(exact, messages, pool)
    assert plan.fillers == (1, 0)
    programme = assemble("e", "t", INTRO, [M1, M2], OUTRO, None, exact, [reading, station_id], plan)
    assert [s.kind for s in programme.segments] == [
        SegmentKind.INTRO,
        SegmentKind.MESSAGE,
        SegmentKind.MESSAGE,
        SegmentKind.FILLER,
        SegmentKind.FILLER,
        SegmentKind.OUTRO,
    ]
    assert [s.start for s in programme.segments] == [0, 7_000, 19_000, 31_000, 45_000, 55_000]
    assert programme.length == 60_000
    assert programme.fill == FillReport(
        under=27_000, gaps=5_000, longest_gap=2_000, fillers=("psalm-23", "station-id"), silence=0
    )
    # a reading that filled the slot aired as a message does; a station id is no message
    assert [s.message_id for s in message_segments(programme)] == [
        "not-alone",
        "church-prays",
        "psalm-23",
    ]


def test_an_exact_slot_not_filled_to_its_target_is_refused() -> None:
    exact = slot(gap=1_000, sting_pad=0, target=40_000, exact=True)
    # 5 + 1 + 10 + 1 + 10 + 1 + 5 = 33 s, and no plan to fill the rest
    with pytest.raises(SlotOverrun) as failure:
        assemble("e", "t", INTRO, [M1, M2], OUTRO, None, exact)
    assert failure.value.lines == ["programme is 33000 samples, not its target 40000"]
