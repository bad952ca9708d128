"""Filling a fit: exact slot (fill.py): filler items longest first while the gaps cannot
take the rest, then the gaps (and a sting's pads) grown evenly up to max_gap, then at most
max_silence before the outro; else the under-run is refused with a report. Every expected
length is worked out by hand (SR = 1000: a sample is a millisecond)."""

from __future__ import annotations

import pytest

from audio_pipeline.core.results import SegmentKind
from audio_pipeline.programme.fill import fill_report, plan_fill, share
from audio_pipeline.programme.timing import Piece, Slot, SlotOverrun, SlotUnderrun

SR = 1000

INTRO = Piece(SegmentKind.INTRO, 5_000, "intro")
OUTRO = Piece(SegmentKind.OUTRO, 5_000, "outro")


def messages(*seconds: float) -> list[Piece]:
    return [Piece(SegmentKind.MESSAGE, round(s * SR), f"m{i}") for i, s in enumerate(seconds, 1)]


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


def test_a_slot_that_is_not_filled_gets_an_empty_plan() -> None:
    from audio_pipeline.programme.timing import FillPlan

    fit_max = Slot(
        gap=1_000, sting_pad=0, crossfade=0, intro=5_000, outro=5_000, sting=None,
        target=90_000, exact=False, max_tempo=1.0, sample_rate=SR, max_gap=2_000,
        max_silence=3_000,
    )  # fmt: skip
    pool = [Piece(SegmentKind.FILLER, 10_000, "station-id")]
    assert plan_fill(fit_max, messages(20, 20), pool) == FillPlan((), (), 0)


def test_a_programme_that_meets_its_target_exactly_grows_nothing() -> None:
    # 5 + 1 + 20 + 1 + 20 + 1 + 5 = 53 s
    slot, pool = filling(53_000, [Piece(SegmentKind.FILLER, 1_000, "station-id")])
    plan = plan_fill(slot, messages(20, 20), pool)
    assert plan.fillers == () and plan.silence == 0 and set(plan.extra) == {0}


def test_equal_fillers_play_in_name_order_each_once() -> None:
    # 53 s to 78 s: 25 s short; the gaps can give 3 s, so a-id (10 s and a gap), then b-id
    # (the same); 3 s left for the five gaps, 0.6 s each
    pool = [Piece(SegmentKind.FILLER, 10_000, "b-id"), Piece(SegmentKind.FILLER, 10_000, "a-id")]
    slot, _ = filling(78_000, pool)
    plan = plan_fill(slot, messages(20, 20), pool)
    assert plan.fillers == (1, 0)
    assert plan.extra == (0, 600, 600, 600, 600, 600) and plan.silence == 0


def test_the_report_counts_the_silence_left_before_the_outro_in_the_longest_gap() -> None:
    # 53 s to 57 s: three gaps grow to 2 s (3 s in all), the last 1 s is silence before the
    # outro: the gap before it is then 1 + 1 + 1 = 3 s, max_silence exactly
    slot, _ = filling(57_000, [])
    order = slot.with_fillers(messages(20, 20), [])
    plan = plan_fill(slot, messages(20, 20), [])
    placed = slot.layout(order, plan)
    assert placed.length == 57_000 and placed.placements[-1].start == 52_000
    report = fill_report(slot, order, plan, [])
    assert (report.under, report.gaps, report.longest_gap, report.silence) == (
        4_000,
        3_000,
        3_000,
        1_000,
    )
    assert report.fillers == ()
