"""Slot timing: layout, fitting with a bounded tempo-up, and the overrun report."""

from __future__ import annotations

import pytest

from audio_pipeline.core.models import SegmentKind
from audio_pipeline.inputs.fields import parse_clock
from audio_pipeline.programme.timing import Piece, SlotOverrun, layout, plan_slot, programme_order

SR = 1000  # one sample a millisecond keeps the arithmetic readable

INTRO = Piece(SegmentKind.INTRO, 5_000, "intro")
OUTRO = Piece(SegmentKind.OUTRO, 5_000, "outro")


def messages(*seconds: float) -> list[Piece]:
    return [Piece(SegmentKind.MESSAGE, round(s * SR), f"m{i}") for i, s in enumerate(seconds, 1)]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("15:00", 900.0),
        ("1:30", 90.0),
        ("1:02:03", 3723.0),
        (90, 90.0),
        ("90", 90.0),
        ("0:59.5", 59.5),
    ],
)
def test_parse_clock(value: object, seconds: float) -> None:
    assert parse_clock(value) == seconds


@pytest.mark.parametrize("value", ["15 min", "1:75", "-3", True, None, "1:2"])
def test_parse_clock_rejects(value: object) -> None:
    assert parse_clock(value) is None


def test_layout_gaps_and_sting_pads() -> None:
    sting = Piece(SegmentKind.STING, 1_000, "sting")
    order = programme_order(INTRO, messages(10, 10), OUTRO, sting)
    plan = layout(order, gap=1_500, sting_pad=400)
    starts = [p.start for p in plan.placements]
    # intro, gap, m1, pad, sting, pad, m2, gap, outro
    assert starts == [0, 6_500, 16_900, 18_300, 29_800]
    assert plan.length == 34_800


def test_crossfade_overlaps_bumper_and_speech_only() -> None:
    plan = layout(
        programme_order(INTRO, messages(10, 10), OUTRO, None),
        gap=1_500,
        sting_pad=400,
        crossfade=300,
    )
    first, m1, m2, last = plan.placements
    assert m1.start == 5_000 - 300 and first.fade_out == m1.fade_in == 300
    assert m2.start == m1.start + 10_000 + 1_500 and m1.fade_out == 0  # speech to speech: a gap
    assert last.start == m2.start + 10_000 - 300 and m2.fade_out == last.fade_in == 300


def test_filler_goes_before_the_outro() -> None:
    order = programme_order(INTRO, messages(10), OUTRO, None)
    plain = layout(order, gap=1_000, sting_pad=0)
    filled = layout(order, gap=1_000, sting_pad=0, filler_before_outro=7_000)
    assert filled.length == plain.length + 7_000
    assert filled.placements[1].start == plain.placements[1].start
    assert filled.placements[2].start == plain.placements[2].start + 7_000


def test_fits_without_tempo() -> None:
    plan = plan_slot(
        INTRO,
        messages(20, 20),
        OUTRO,
        None,
        target=60_000,
        max_tempo=1.05,
        sample_rate=SR,
        gap=1_000,
        sting_pad=0,
    )
    assert plan.tempo == 1.0 and plan.length <= 60_000


def test_bounded_tempo_up_saves_a_message() -> None:
    # natural length 10 + 3*1 + 20 + 20 = 53 s; the target 52 s needs ~2.5 % faster speech
    plan = plan_slot(
        INTRO,
        messages(20, 20),
        OUTRO,
        None,
        target=52_000,
        max_tempo=1.05,
        sample_rate=SR,
        gap=1_000,
        sting_pad=0,
    )
    assert 1.0 < plan.tempo <= 1.05
    assert plan.length <= 52_000


def test_overrun_reports_amount_what_fits_and_what_to_drop() -> None:
    with pytest.raises(SlotOverrun) as info:
        plan_slot(
            INTRO,
            messages(20, 20, 30),
            OUTRO,
            None,
            target=60_000,
            max_tempo=1.05,
            sample_rate=SR,
            gap=1_000,
            sting_pad=0,
        )
    lines = info.value.lines
    assert lines[0] == "programme overruns its slot by 0:24.0: 1:24.0 for a target of 1:00.0"
    assert lines[1].startswith("tempo-up to 1.05x (max_tempo) saves")
    assert lines[2] == "messages that fit, in order: m1, m2"
    assert lines[3] == "drop to fit: m3 (0:30.0)"
    assert lines[4] == "or drop any one of: m3 (0:30.0)"


def test_no_tempo_allowed_means_no_tempo() -> None:
    with pytest.raises(SlotOverrun) as info:
        plan_slot(
            INTRO,
            messages(20, 20),
            OUTRO,
            None,
            target=52_000,
            max_tempo=1.0,
            sample_rate=SR,
            gap=1_000,
            sting_pad=0,
        )
    assert not any("tempo-up" in line for line in info.value.lines)
