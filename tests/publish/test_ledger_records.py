"""What the ledger records and answers, as values (ledger_records.py): placements from a
programme's message segments, times in seconds from samples, airing times as people write
them, and the errors a command reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from audio_pipeline.core.errors import PipelineError, UsageError
from audio_pipeline.core.results import Loudness, Segment, SegmentKind
from audio_pipeline.publish.ledger_records import (
    LedgerError,
    LedgerInputError,
    Placement,
    Use,
    now_utc,
    parse_datetime,
    placements_of,
    seconds,
)


def test_parse_datetime() -> None:
    aware = parse_datetime("2026-11-22T21:00+09:00")
    assert aware.utcoffset() == dt.timedelta(hours=9)
    local = parse_datetime("2026-11-22 21:00")
    assert local.tzinfo is not None  # the machine's local time, made explicit
    for bad, why in (("2026-11-22", "no time of day"), ("tomorrow", "not a date and time")):
        with pytest.raises(LedgerInputError, match=why):
            parse_datetime(bad)


def test_an_airing_time_is_kept_to_the_second_in_its_own_offset() -> None:
    when = parse_datetime("  2026-11-22T21:00:30.987654+09:00 ")
    assert when == dt.datetime(2026, 11, 22, 12, 0, 30, tzinfo=dt.UTC)
    assert when.microsecond == 0 and when.utcoffset() == dt.timedelta(hours=9)
    assert parse_datetime("2026-11-22T12:00Z") == dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def test_a_local_time_is_this_machines() -> None:
    import os
    import time

    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Seoul"
    time.tzset()
    try:
        when = parse_datetime("2026-11-22T21:00")
        assert when.utcoffset() == dt.timedelta(hours=9)
        assert when.astimezone(dt.UTC) == dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (
            "2026-11-22",
            "--at: '2026-11-22' has no time of day; write YYYY-MM-DDTHH:MM, optionally with an "
            "offset such as +09:00",
        ),
        (
            "Sunday 21:00",
            "--at: 'Sunday 21:00' is not a date and time; write YYYY-MM-DDTHH:MM, optionally "
            "with an offset such as +09:00",
        ),
        (
            "2026-13-01T10:00",
            "--at: '2026-13-01T10:00' is not a date and time; write YYYY-MM-DDTHH:MM, "
            "optionally with an offset such as +09:00",
        ),
    ],
)
def test_a_time_that_cannot_be_read_is_one_line_and_a_usage_error(value: str, line: str) -> None:
    with pytest.raises(LedgerInputError) as failure:
        parse_datetime(value)
    assert str(failure.value) == line
    assert isinstance(failure.value, UsageError)  # exit 2: nothing was done
    assert failure.value.__cause__ is None


def test_a_ledger_that_cannot_be_used_is_a_pipeline_error_not_a_usage_error() -> None:
    assert issubclass(LedgerError, PipelineError) and not issubclass(LedgerError, UsageError)


@pytest.mark.parametrize(
    ("samples", "rate", "expected"),
    [(504_000, 48_000, 10.5), (22_050, 44_100, 0.5), (1, 44_100, 0.000023), (1, 48_000, 0.000021)],
)
def test_times_are_seconds_to_the_microsecond_from_samples(
    samples: int, rate: int, expected: float
) -> None:
    assert seconds(samples, rate) == expected
    placed = Placement("m", 1, samples, 2 * samples, rate)
    assert (placed.start_s, placed.end_s) == (expected, seconds(2 * samples, rate))


def segment(index: int, kind: SegmentKind, start: int, length: int, **kw: object) -> Segment:
    return Segment(index, kind, Path("x.wav"), start, length, Loudness(-23.0, -3.0), **kw)  # type: ignore[arg-type]


def test_placements_are_the_programmes_messages_numbered_in_order() -> None:
    programme = [
        segment(1, SegmentKind.INTRO, 0, 100),
        segment(2, SegmentKind.MESSAGE, 150, 1_000, message_id="not-alone", voice="ko-a"),
        segment(3, SegmentKind.STING, 1_200, 50),
        segment(4, SegmentKind.MESSAGE, 1_300, 700, message_id="church-prays", text_sha256="cd"),
        segment(5, SegmentKind.FILLER, 2_100, 300, title="station-id"),
        segment(6, SegmentKind.FILLER, 2_500, 400, message_id="psalm-23", voice="ko-b"),
        segment(7, SegmentKind.OUTRO, 3_000, 100),
    ]
    assert placements_of(programme, 1_000) == (
        Placement("not-alone", 1, 150, 1_150, 1_000, None, "ko-a"),
        Placement("church-prays", 2, 1_300, 2_000, 1_000, "cd", None),
        Placement("psalm-23", 3, 2_500, 2_900, 1_000, None, "ko-b"),  # a reading that filled
    )
    assert placements_of(programme[:1], 1_000) == ()


def test_a_use_reads_as_its_reason() -> None:
    use = Use("aired in '2026-w47' at 2026-11-22T12:00:00+00:00", "2026-11-22T12:00:00+00:00")
    assert str(use) == "aired in '2026-w47' at 2026-11-22T12:00:00+00:00"
    assert Use("placed in episode '2026-w48'").aired_at is None


def test_now_is_utc_to_the_second() -> None:
    before = dt.datetime.now(dt.UTC)
    now = now_utc()
    assert now.tzinfo == dt.UTC and now.microsecond == 0
    assert before - dt.timedelta(seconds=1) <= now <= dt.datetime.now(dt.UTC)
