"""Slot timing: layout, fitting with a bounded tempo-up, and the overrun report."""

from __future__ import annotations

import pytest

from audio_pipeline.core.results import SegmentKind
from audio_pipeline.inputs.fields import parse_clock
from audio_pipeline.programme.fill import fill_report, plan_fill
from audio_pipeline.programme.timing import (
    Piece,
    Slot,
    SlotOverrun,
    SlotUnderrun,
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


def test_an_exact_slot_is_laid_out_to_its_plan_and_refuses_an_overrun() -> None:
    exact, _ = filling(40_000, [], max_gap=1_000, max_silence=9_000)
    plan = plan_fill(
        exact, messages(20), []
    )  # 5 + 1 + 20 + 1 + 5 = 32 s: 8 s more before the outro
    placed = exact.layout(exact.order(messages(20)), plan)
    assert placed.length == 40_000 and plan.silence == 8_000
    assert placed.placements[-1].start == 40_000 - 5_000  # the outro ends the slot exactly
    with pytest.raises(SlotOverrun):
        plan_fill(exact, messages(30), [])


def filling(target: int, pool: list[Piece], **kw: int) -> tuple[Slot, list[Piece]]:
    """An exact slot: 5 s bumpers, 1 s gaps growing to 2 s, at most 3 s of silence."""
    values = {"gap": 1_000, "sting_pad": 0, "crossfade": 0, "sting": None, **kw}
    slot = Slot(
        intro=INTRO.length,
        outro=OUTRO.length,
        target=target,
        exact=True,
        max_tempo=1.0,
        sample_rate=SR,
        max_gap=kw.get("max_gap", 2_000),
        max_silence=kw.get("max_silence", 3_000),
        **{k: v for k, v in values.items() if k not in ("max_gap", "max_silence")},  # type: ignore[arg-type]
    )
    return slot, pool


def test_a_small_underrun_only_grows_the_gaps_evenly() -> None:
    # natural: 5 + 1 + 20 + 1 + 20 + 1 + 5 = 53 s; 2 s short; three gaps of 1 s may grow by 1 s
    slot, pool = filling(55_000, [Piece(SegmentKind.FILLER, 10_000, "station-id")])
    plan = plan_fill(slot, messages(20, 20), pool)
    assert plan.fillers == () and plan.silence == 0
    assert sorted(plan.extra, reverse=True)[:3] == [667, 667, 666] and sum(plan.extra) == 2_000
    placed = slot.layout(slot.with_fillers(messages(20, 20), []), plan)
    assert placed.length == 55_000


def test_a_large_underrun_plays_fillers_longest_first_then_grows_the_gaps() -> None:
    # natural 53 s, target 90 s: 37 s short; gaps can give 3 s, so fillers: 20 s and 10 s
    # (each adds itself and a gap), leaving 37 - 21 - 11 = 5 s for 5 gaps (+1 s each at most)
    pool = [
        Piece(SegmentKind.FILLER, 10_000, "station-id"),
        Piece(SegmentKind.FILLER, 20_000, "reading"),
        Piece(SegmentKind.FILLER, 40_000, "too-long"),
    ]
    slot, _ = filling(90_000, pool)
    plan = plan_fill(slot, messages(20, 20), pool)
    assert plan.fillers == (1, 0)  # the reading, then the station id; the long one never fits
    assert sum(plan.extra) == 5_000 and plan.silence == 0
    order = slot.with_fillers(messages(20, 20), [pool[i] for i in plan.fillers])
    assert [p.name for p in order] == ["intro", "m1", "m2", "reading", "station-id", "outro"]
    assert slot.layout(order, plan).length == 90_000
    report = fill_report(slot, order, plan, ["reading", "station-id"])
    assert (report.under, report.gaps, report.longest_gap) == (37_000, 5_000, 2_000)


def test_what_the_gaps_cannot_take_and_nothing_fills_is_refused() -> None:
    slot, pool = filling(70_000, [Piece(SegmentKind.FILLER, 30_000, "too-long")])
    with pytest.raises(SlotUnderrun) as info:
        plan_fill(slot, messages(20, 20), pool)
    lines = info.value.lines
    assert lines[0].startswith("programme is 0:17.0 short of its slot and cannot be filled")
    assert "fill.max_silence_s allows 0:03.0" in lines[0]
    assert lines[2].startswith("fillers played: none; the pool holds 1 item(s)")
    # a little short is a few seconds of bed before the outro, within the limit
    few, _ = filling(57_000, [])
    plan = plan_fill(few, messages(20, 20), [])
    assert plan.silence == 1_000 and sum(plan.extra) == 3_000


def test_share_fills_each_place_up_to_its_room_and_passes_the_rest_on() -> None:
    from audio_pipeline.programme.fill import share

    assert share(10, {1: 2, 2: 100, 3: 100}) == {1: 2, 2: 4, 3: 4}
    assert share(5, {1: 1, 2: 1}) == {1: 1, 2: 1}  # no more room: the caller keeps the rest
    assert share(0, {1: 3}) == {1: 0}


def test_the_pads_around_a_sting_grow_too_where_there_is_no_gap() -> None:
    # intro, m1, sting, m2, outro with crossfades: no gap at all, only the sting's two pads
    # without crossfades: intro, gap, m1, pad, sting, pad, m2, gap, outro = 53.5 s
    slot, _ = filling(56_700, [], sting=700, sting_pad=400, max_gap=1_500)
    plan = plan_fill(slot, messages(20, 20), [])
    # 3.2 s short: both gaps grow by 0.5 s and both pads by 1.1 s (to 1.5 s): all the room
    assert plan.extra == (0, 500, 1_100, 1_100, 500) and plan.silence == 0


def test_where_everything_cross_fades_nothing_grows_and_the_report_says_why() -> None:
    # 5 - 0.3 + 20 - 0.3 + 0.7 - 0.3 + 20 - 0.3 + 5 = 49.5 s; stings cross-fade with speech
    pool = [Piece(SegmentKind.FILLER, 6_800, "station-id")]
    slot, _ = filling(56_000, pool, crossfade=300, sting=700, sting_pad=400, max_gap=1_500)
    with pytest.raises(SlotUnderrun) as info:
        plan_fill(slot, messages(20, 20), pool)
    assert info.value.lines[1] == (
        "gaps: none may grow (the pieces cross-fade, or fill.max_gap_s is gap_s)"
    )
    assert "the shortest left, station-id (0:06.8), is too long" in info.value.lines[2]


def test_a_grown_pad_is_laid_out_as_planned() -> None:
    slot, _ = filling(56_700, [], sting=700, sting_pad=400, max_gap=1_500)
    plan = plan_fill(slot, messages(20, 20), [])
    placed = slot.layout(slot.order(messages(20, 20)), plan)
    starts = [p.start for p in placed.placements]
    # intro 0, m1 at 5 + 1.5, the sting 1.5 s after m1, m2 1.5 s after the sting
    assert starts[:4] == [0, 6_500, 28_000, 30_200] and placed.length == 56_700
