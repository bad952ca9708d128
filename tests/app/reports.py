"""What a render leaves behind, made by hand for the tests that read it without rendering:
a run report, sample-exact (the summary, app/summary.py; the CLI's tables and JSON documents,
cli/report.py), and a render as the broadcast ledger records it (the ledger's look-ups of
app/ledger.py, the queue, the `ledger` commands, the studio's ledger page).

The report:
Every number is chosen so that what people read can be written out in full in the tests:
48 kHz, the intro 8.8 s from 0, not-alone 20.2 s from 10.3 s (synthesized), church-prays
15.0 s from 32.0 s (cached, spoken by the fallback voice), a station id filler and a reading
as filler, the outro; 100.0 s in all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audio_pipeline.core.results import (
    Clip,
    Deliverable,
    EngineUsage,
    FillReport,
    Loudness,
    Programme,
    RunReport,
    Segment,
    SegmentKind,
)
from audio_pipeline.metadata.manifest import DeliveredFile
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.ledger_records import Placement, RenderRecord

RATE = 48_000
TITLE = "소망의 메시지 [/b] - 2026년 47주"  # markup-like text is a title like any other


def s(seconds: float) -> int:
    return round(seconds * RATE)


def made_report(
    root: Path,
    *,
    fill: FillReport | None = None,
    silent_mp3: bool = False,
    tempo: float = 1.0,
) -> RunReport:
    out = root / "output" / "2026-w47"
    here = Path("piece.wav")
    segments = (
        Segment(1, SegmentKind.INTRO, here, 0, s(8.8), Loudness(-23.0, -7.04, 5.6)),
        Segment(
            2,
            SegmentKind.MESSAGE,
            here,
            s(10.3),
            s(20.2),
            Loudness(-22.96, -3.0, 1.94),
            message_id="not-alone",
            title="당신은 혼자가 아닙니다",
            engine="espeak",
            voice="ko-offline",
            cached=False,
        ),
        Segment(
            3,
            SegmentKind.MESSAGE,
            here,
            s(32.0),
            s(15.0),
            Loudness(-23.0, -3.6, 2.3),
            message_id="church-prays",
            engine="espeak",
            voice="ko-offline",
            fallback=True,
            cached=True,
        ),
        Segment(
            4, SegmentKind.FILLER, here, s(48.0), s(5.0), Loudness(-23.0, -9.0), title="station-id"
        ),
        Segment(
            5,
            SegmentKind.FILLER,
            here,
            s(54.0),
            s(30.0),
            Loudness(-23.0, -4.0, 2.0),
            message_id="a-reading",
            engine="espeak",
            voice="ko-offline",
            cached=True,
        ),
        Segment(6, SegmentKind.OUTRO, here, s(89.9), s(10.1), Loudness(-23.0, -6.6, 5.7)),
    )
    programme = Programme("2026-w47", TITLE, RATE, s(100.0), segments, fill=fill)
    clips = (
        Clip("not-alone", here, "k1", "espeak", "ko-offline", False, False, "t", 20.2),
        Clip(
            "church-prays",
            here,
            "k2",
            "espeak",
            "ko-offline",
            True,
            True,
            "t",
            15.0,
            fallback_reason="voice 'ko-google' failed: cannot reach the service",
        ),
    )
    mp3_loudness = (
        Loudness(float("-inf"), float("-inf"), 0.0) if silent_mp3 else Loudness(-23.14, -2.46, 3.12)
    )
    deliverables = (
        Deliverable(
            out / "2026-w47.wav",
            "wav",
            48_000,
            Loudness(-23.08, -2.51, 3.04),
            description="WAV 48000 Hz 24-bit",
        ),
        Deliverable(
            out / "2026-w47.mp3",
            "mp3",
            48_000,
            mp3_loudness,
            description="MP3 48000 Hz 128 kbit/s",
        ),
    )
    return RunReport(
        episode_id="2026-w47",
        output_dir=out,
        clips=clips,
        programme=programme,
        deliverables=deliverables,
        elapsed_s=6.04,
        tempo=tempo,
        ledger_render_id=7,
        usage=(EngineUsage("azure", "2026-11", 12_345, 31, 500_000),),
    )


def ledger_record(
    episode: str,
    messages: list[str],
    rendered_at: dt.datetime,
    *,
    title: str = "소망의 메시지",
    date: dt.date = dt.date(2026, 11, 22),
) -> RenderRecord:
    """A render of `episode` placing `messages` in order, 25 s each from 10 s, 30 s apart, read
    by ko-offline; 200 s in all."""
    placements = tuple(
        Placement(m, i + 1, s(10 + 30 * i), s(35 + 30 * i), RATE, "0" * 64, "ko-offline")
        for i, m in enumerate(messages)
    )
    return RenderRecord(
        episode_id=episode,
        title=title,
        date=date,
        rendered_at=rendered_at,
        tool_version="0.1.0",
        duration_s=200.0,
        sample_rate=RATE,
        placements=placements,
        deliverables=(DeliveredFile(f"{episode}.wav", "wav", 5678, "b" * 64),),
        manifest_sha256="c" * 64,
    )


def add_render(path: Path, record: RenderRecord) -> int:
    """The render recorded in the ledger at `path` (made if need be); its id."""
    with Ledger(path) as ledger, ledger.transaction():
        return ledger.add_render(record)
