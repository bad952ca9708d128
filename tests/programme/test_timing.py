"""Slot timing: layout, fitting with a bounded tempo-up, and the overrun report."""

from __future__ import annotations

import pytest

from audio_pipeline.core.results import SegmentKind
from audio_pipeline.inputs.fields import parse_clock
from audio_pipeline.programme.timing import (
    Piece,
    Slot,
    SlotOverrun,
    layout,
    programme_order,
)

SR = 1000  # one sample a millisecond keeps the arithmetic readable

INTRO = Piece(SegmentKind.INTRO, 5_000, "intro")
OUTRO = Piece(SegmentKind.OUTRO, 5_000, "outro")


def slot(target: int | None, max_tempo: float = 1.05, **spacing: int) -> Slot:
    """Intro and outro of 5 s, a 1 s gap (at SR = 1000 a sample is a millisecond)."""
    values = {"gap": 1_000, "sting_pad": 0, "crossfade": 0, "sting": None, **spacing}
    return Slot(
        intro=INTRO.length,
        outro=OUTRO.length,
        target=target,
        exact=False,
        max_tempo=max_tempo,
        sample_rate=SR,
        **values,  # type: ignore[arg-type]
    )


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
    plan = slot(60_000, 1.05).plan(messages(20, 20))
    assert plan.tempo == 1.0 and plan.length <= 60_000


def test_bounded_tempo_up_saves_a_message() -> None:
    # natural length 10 + 3*1 + 20 + 20 = 53 s; the target 52 s needs ~2.5 % faster speech
    plan = slot(52_000, 1.05).plan(messages(20, 20))
    assert 1.0 < plan.tempo <= 1.05
    assert plan.length <= 52_000


def test_overrun_reports_amount_what_fits_and_what_to_drop() -> None:
    with pytest.raises(SlotOverrun) as info:
        slot(60_000, 1.05).plan(messages(20, 20, 30))
    lines = info.value.lines
    assert lines[0] == "programme overruns its slot by 0:24.0: 1:24.0 for a target of 1:00.0"
    assert lines[1].startswith("tempo-up to 1.05x (max_tempo) saves")
    assert lines[2] == "messages that fit, in order: m1, m2"
    assert lines[3] == "drop to fit: m3 (0:30.0)"
    assert lines[4] == "or drop any one of: m3 (0:30.0)"


def test_no_tempo_allowed_means_no_tempo() -> None:
    with pytest.raises(SlotOverrun) as info:
        slot(52_000, 1.0).plan(messages(20, 20))
    assert not any("tempo-up" in line for line in info.value.lines)


def test_lengths_are_known_answers() -> None:
    """The programme lengths the slot gives, worked out by hand (SR = 1000: milliseconds)."""
    plain = slot(None)
    # 5 s intro + 1 s + 20 s + 1 s + 10 s + 1 s + 5 s outro
    assert plain.length([20_000, 10_000]) == 43_000
    assert plain.length([]) == 5_000 + 1_000 + 5_000
    # a sting between messages, padded 0.4 s either side, instead of the gap
    stung = slot(None, sting=700, sting_pad=400)
    assert (
        stung.length([20_000, 10_000])
        == 5_000 + 1_000 + 20_000 + 400 + 700 + 400 + 10_000 + 1_000 + 5_000
    )
    # crossfades: bumpers and speech overlap by 300 ms instead of a gap
    faded = slot(None, crossfade=300)
    assert faded.length([20_000]) == 5_000 - 300 + 20_000 - 300 + 5_000
    # a tempo-up shortens each message, rounded up to a whole sample
    assert plain.length([20_000], tempo=1.05) == 5_000 + 1_000 + 19_048 + 1_000 + 5_000
