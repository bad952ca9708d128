"""What a render makes: segments and where they end, the programme's length in seconds, a
deliverable's codec, a paid service's usage against its free tier, how a fallback is told, and
the run report's counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audio_pipeline.core.results import (
    Clip,
    Deliverable,
    EngineUsage,
    Loudness,
    Programme,
    RunReport,
    Segment,
    SegmentKind,
    fallback_note,
    fallback_warning,
)

LOUD = Loudness(-23.0, -2.0, 3.0)


def segment(index: int, start: int, length: int, **fields: Any) -> Segment:
    return Segment(index, SegmentKind.MESSAGE, Path(f"{index}.wav"), start, length, LOUD, **fields)


def test_a_segment_ends_where_its_length_takes_it() -> None:
    assert segment(1, 48_000, 24_000).end == 72_000
    assert segment(0, 0, 0).end == 0


def test_the_programme_s_duration_is_its_length_in_seconds_at_its_rate() -> None:
    pieces = (segment(0, 0, 96_000), segment(1, 96_000, 48_000))
    programme = Programme("2026-w47", "제목", 48_000, 144_000, pieces)
    assert programme.duration_s == 3.0
    assert programme.cues == pieces  # one cue per placed piece
    assert Programme("x", "t", 44_100, 88_200, ()).duration_s == 2.0
    assert Programme("x", "t", 48_000, 12_000, ()).duration_s == 0.25


def test_the_segment_kinds_are_the_pieces_of_a_programme() -> None:
    assert [k.value for k in SegmentKind] == ["intro", "message", "sting", "outro", "filler"]


def test_a_deliverable_s_codec_is_its_row_of_the_table() -> None:
    mp2 = Deliverable(Path("x-shortwave.mp2"), "mp2", 48_000)
    assert (mp2.codec.name, mp2.codec.extension, mp2.codec.lossy) == ("mp2", "mp2", True)
    assert Deliverable(Path("x.wav"), "wav", 48_000).codec.label == "WAV"
    # the implicit profile at the EBU R128 targets, unless a profile says otherwise
    assert (mp2.profile, mp2.target_lufs, mp2.true_peak_ceiling_dbtp) == ("programme", -23.0, -1.0)
    with pytest.raises(KeyError):
        _ = Deliverable(Path("x.ogg"), "ogg", 48_000).codec


def test_usage_within_a_free_tier_is_told_as_a_share_of_it() -> None:
    usage = EngineUsage("azure", "2026-11", 12_345, 31, 500_000)
    assert usage.fraction == pytest.approx(12_345 / 500_000)
    assert usage.describe() == "12,345 of 500,000 free characters (2%), 31 request(s)"
    assert usage.warning() is None


def test_usage_without_a_free_tier_is_a_plain_count() -> None:
    usage = EngineUsage("gtts", "2026-11", 1_234_567, 1_002, None)
    assert usage.fraction is None and usage.warning() is None
    assert usage.describe() == "1,234,567 characters, 1,002 request(s)"
    # a limit of 0 is no free tier either, not a division by zero
    assert EngineUsage("azure", "2026-11", 10, 1, 0).fraction is None


def test_usage_warns_from_80_percent_of_the_free_tier() -> None:
    assert EngineUsage("azure", "2026-11", 399_999, 9, 500_000).warning() is None
    assert EngineUsage("azure", "2026-11", 400_000, 9, 500_000).warning() == (
        "azure: 2026-11 usage is near the free tier "
        "(400,000 of 500,000 free characters (80%), 9 request(s))"
    )


def test_usage_past_the_free_tier_says_what_happens_next() -> None:
    for characters, share in ((1_000_000, "100%"), (1_500_000, "150%")):
        usage = EngineUsage("google-cloud", "2026-12", characters, 40, 1_000_000)
        assert usage.warning() == (
            f"google-cloud: 2026-12 usage is past the free tier ({characters:,} of 1,000,000 "
            f"free characters ({share}), 40 request(s)); further characters this month are "
            "billed, or refused on a free resource"
        )


def clip(message_id: str, *, cached: bool = False, fallback: bool = False) -> Clip:
    return Clip(
        message_id=message_id,
        path=Path(f"cache/{message_id}.wav"),
        cache_key="k" + message_id,
        engine="espeak" if fallback else "azure",
        voice="ko-offline" if fallback else "ko-azure-female",
        fallback=fallback,
        cached=cached,
        spoken_text="말씀",
        duration_s=10.0,
        fallback_reason="AZURE: no key (SPEECH_KEY is not set)" if fallback else None,
    )


def test_a_fallback_is_told_with_its_voice_engine_and_reason() -> None:
    fell = clip("church-prays", fallback=True)
    assert fallback_warning(fell) == (
        "FALLBACK to voice 'ko-offline' (espeak): AZURE: no key (SPEECH_KEY is not set)"
    )
    assert fallback_note(fell) == (
        "FALLBACK: message 'church-prays' spoken by voice 'ko-offline' (espeak): "
        "AZURE: no key (SPEECH_KEY is not set)"
    )


def report(clips: tuple[Clip, ...], deliverables: tuple[Deliverable, ...], **fields: Any) -> Any:
    programme = Programme("2026-w47", "제목", 48_000, 48_000, ())
    output = Path("output/2026-w47")
    return RunReport("2026-w47", output, clips, programme, deliverables, 6.0, **fields)


def test_the_run_report_counts_what_the_clips_say() -> None:
    clips = (
        clip("not-alone", cached=True),
        clip("church-prays", fallback=True),
        clip("hope-in-waiting", cached=True),
        clip("not-forgotten"),
    )
    wav = Deliverable(Path("2026-w47.wav"), "wav", 48_000, Loudness(-23.1, -2.5, 3.0))
    run = report(clips, (wav,))
    assert run.messages == ["not-alone", "church-prays", "hope-in-waiting", "not-forgotten"]
    assert (run.clips_total, run.clips_cached, run.clips_synthesized) == (4, 2, 2)
    assert run.fallbacks == [
        "FALLBACK: message 'church-prays' spoken by voice 'ko-offline' (espeak): "
        "AZURE: no key (SPEECH_KEY is not set)"
    ]
    assert run.programme_loudness == Loudness(-23.1, -2.5, 3.0)
    assert run.warnings == []


def test_a_tempo_up_is_a_warning_of_the_run() -> None:
    wav = Deliverable(Path("x.wav"), "wav", 48_000, LOUD)
    assert report((), (wav,), tempo=1.0341).warnings == ["tempo-up 1.034x to fit the slot"]
    assert report((), (wav,), tempo=1.05).warnings == ["tempo-up 1.050x to fit the slot"]


def test_the_programme_loudness_is_that_of_the_first_deliverable_as_measured() -> None:
    first = Deliverable(Path("x-ebu-r128.wav"), "wav", 48_000, Loudness(-23.0, -1.2, 4.0))
    second = Deliverable(Path("x-podcast.mp3"), "mp3", 44_100, Loudness(-16.0, -1.1, 4.1))
    assert report((), (first, second)).programme_loudness.integrated_lufs == -23.0
    unmeasured = Deliverable(Path("x.wav"), "wav", 48_000)
    with pytest.raises(AssertionError, match="always measured"):
        _ = report((), (unmeasured,)).programme_loudness
