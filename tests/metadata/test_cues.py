"""Cue sidecars as text (cues.py): the canonical cues.json document, CD cue sheets and
Audacity labels, each with times from its own file's sample rate. Documents are read back
with json; cue sheet times are worked out by hand (75 frames a second, rounded down)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from audio_pipeline.core.results import Deliverable, Loudness
from audio_pipeline.inputs.policy import SIDECARS
from audio_pipeline.metadata import cues
from audio_pipeline.metadata.policy import PublicCue, PublicMetadata, Timeline, rescale
from tests import metadata_helpers as mh

LOUD = Loudness(-23.004, -1.236, 3.456, -16.125, -20.004)


def spans_at(rate: int) -> list[tuple[int, int]]:
    return [(rescale(s, mh.SR, rate), rescale(e, mh.SR, rate)) for *_, s, e in mh.LAYOUT]


def small_view(
    spans: tuple[tuple[int, int], ...] | None,
    *,
    title: str | None = "Hope",
    station: str | None = None,
    loudness: bool = True,
) -> PublicMetadata:
    """Two cues at 48 kHz, built by hand."""
    length = 48_000 * 70
    return PublicMetadata(
        scope=SIDECARS,
        episode_id="2026-w47",
        sample_rate=48_000,
        length=length,
        cues=(
            PublicCue(1, "intro"),
            PublicCue(2, "message", "not-alone", "당신은 혼자가 아닙니다", loudness=LOUD),
        ),
        timeline=None if spans is None else Timeline(48_000, length, spans),
        title=title,
        date=dt.date(2026, 11, 22),
        station=station,
        target_lufs=-23.0,
        ceiling_dbtp=-1.0,
        tool_version="0.1.0",
        loudness_allowed=loudness,
    )


SPANS = ((0, 47_999), (47_999 + 61 * 48_000 + 641, 48_000 * 70))


# --- cue sheets and labels ------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [48_000, 22_050])
def test_cue_sheet_and_labels_at_the_files_rate(rate: int) -> None:
    view = mh.view(SIDECARS)
    sheet = cues.cue_sheet(view, "2026-w47.mp3", rate).splitlines()
    assert sheet[:3] == [
        'PERFORMER "새벽빛 방송"',
        'TITLE "소망의 메시지 - 2026년 47주"',
        'FILE "2026-w47.mp3" MP3',
    ]
    indexes = [line.split()[-1] for line in sheet if line.strip().startswith("INDEX 01")]
    for index, (start, _) in zip(indexes, spans_at(rate), strict=True):
        mm, ss, ff = (int(v) for v in index.split(":"))
        assert (mm * 60 + ss) * 75 + ff == start * 75 // rate
    rows = [r.split("\t") for r in cues.audacity_labels(view, rate).splitlines()]
    assert [(round(float(s) * rate), round(float(e) * rate)) for s, e, _ in rows] == spans_at(rate)
    assert [label for *_, label in rows] == [
        "01 intro",
        "02 not-alone",
        "03 sting",
        "04 church-prays",
        "05 outro",
    ]


@pytest.mark.parametrize(
    ("start", "index"),
    [
        (47_999, "00:00:74"),  # 74.998 frames: frame 74, never the frame after the sound
        (48_000, "00:01:00"),
        (2_976_639, "01:02:00"),  # 62 s + 639 samples: 0.998 of a frame (640 samples)
        (2_976_640, "01:02:01"),
    ],
)
def test_a_cue_sheet_index_never_points_after_its_audio(start: int, index: str) -> None:
    sheet = cues.cue_sheet(small_view(((0, start), (start, 48_000 * 70))), "a.wav", 48_000)
    assert sheet == (
        'TITLE "Hope"\n'
        'FILE "a.wav" WAVE\n'
        "  TRACK 01 AUDIO\n"
        '    TITLE "intro"\n'
        "    INDEX 01 00:00:00\n"
        "  TRACK 02 AUDIO\n"
        '    TITLE "당신은 혼자가 아닙니다"\n'
        f"    INDEX 01 {index}\n"
    )


def test_a_codecs_delay_moves_every_time_by_the_same_samples() -> None:
    view = small_view(((0, 48_000), (96_000, 48_000 * 70)))
    sheet = cues.cue_sheet(view, "2026-w47.mp2", 48_000, offset=1_105)
    # 1,105 samples is 1.7 frames: 00:00:01; the message 2 s + 1,105 samples: 00:02:01
    assert [ln.split()[-1] for ln in sheet.splitlines() if "INDEX" in ln] == [
        "00:00:01",
        "00:02:01",
    ]
    assert 'FILE "2026-w47.mp2" MP3' in sheet  # no MP2 type: players take it as MPEG audio
    labels = cues.audacity_labels(view, 48_000, offset=1_105)
    assert labels == ("0.023021\t1.023021\t01 intro\n2.023021\t70.023021\t02 not-alone\n")


def test_quotes_and_line_breaks_cannot_break_a_cue_sheet_line() -> None:
    view = small_view(SPANS, title='He said "hope"\nand left', station='Radio "Dawn"')
    sheet = cues.cue_sheet(view, "a file.wav", 48_000).splitlines()
    assert sheet[:3] == [
        'PERFORMER "Radio ”Dawn”"',
        'TITLE "He said ”hope” and left"',
        'FILE "a file.wav" WAVE',
    ]
    assert sheet.count('    PERFORMER "Radio ”Dawn”"') == 2  # on every track


def test_an_episode_without_a_title_is_named_by_its_id() -> None:
    sheet = cues.cue_sheet(small_view(SPANS, title=None), "x.flac", 48_000)
    assert sheet.splitlines()[:2] == ['TITLE "2026-w47"', 'FILE "x.flac" MP3']


def test_without_cue_times_there_is_no_sheet_and_no_labels() -> None:
    view = small_view(None)
    for make in (
        lambda: cues.cue_sheet(view, "x.wav", 48_000),
        lambda: cues.audacity_labels(view, 48_000),
    ):
        with pytest.raises(ValueError, match=r"^cue times are not allowed by the metadata policy$"):
            make()


# --- cues.json ---------------------------------------------------------------------------------


def document(view: PublicMetadata, *deliverables: Deliverable) -> dict[str, Any]:
    text = cues.cues_json(cues.cues_document(view, loudness=LOUD, deliverables=deliverables))
    assert text.endswith("}\n") and "\\u" not in text  # Korean as UTF-8, not escapes
    return dict(json.loads(text))


def test_the_programme_and_each_cue_at_the_programmes_rate() -> None:
    doc = document(small_view(SPANS))
    assert doc["programme"] == {
        "episode_id": "2026-w47",
        "title": "Hope",
        "date": "2026-11-22",
        "station": None,
        "duration_s": 70.0,
        "duration_samples": 3_360_000,
        "sample_rate": 48_000,
        "target_lufs": -23.0,
        "true_peak_ceiling_dbtp": -1.0,
        "integrated_lufs": -23.0,
        "true_peak_dbtp": -1.24,
        "lra_lu": 3.46,
        "tool_version": "0.1.0",
    }
    intro, message = doc["cues"]
    assert (intro["start_s"], intro["end_s"], intro["end_sample"]) == (0.0, 0.999979, 47_999)
    assert message["start_sample"] == 2_976_640 and message["start_s"] == 62.013333
    assert message["loudness"] == {
        "integrated_lufs": -23.0,
        "true_peak_dbtp": -1.24,
        "lra_lu": 3.46,
        "max_momentary_lufs": -16.12,
        "max_short_term_lufs": -20.0,
    }
    assert intro["loudness"] is None and intro["message_id"] is None


def test_each_deliverable_lists_the_cues_again_at_its_own_rate_and_offset() -> None:
    mp2 = Deliverable(
        Path("2026-w47.mp2"),
        "mp2",
        22_050,
        LOUD,
        profile="shortwave",
        offset_samples=529,
        cue_loudness=((2, Loudness(-22.5, -2.0)),),
    )
    (entry,) = document(small_view(SPANS), mp2)["deliverables"]
    assert (entry["file"], entry["profile"], entry["format"]) == (
        "2026-w47.mp2",
        "shortwave",
        "mp2",
    )
    assert entry["duration_samples"] == 70 * 22_050 and entry["offset_samples"] == 529
    # 47,999 at 48 kHz is 22,049.54 at 22.05 kHz: 22,050, then the codec's 529 samples
    assert [(c["start_sample"], c["end_sample"]) for c in entry["cues"]] == [
        (529, 22_050 + 529),
        (rescale(2_976_640, 48_000, 22_050) + 529, 70 * 22_050 + 529),
    ]
    assert [c["integrated_lufs"] for c in entry["cues"]] == [None, -22.5]


def test_a_silent_measurement_is_null_not_infinity() -> None:
    silent = Loudness(float("-inf"), float("-inf"), 0.0)
    doc = json.loads(
        cues.cues_json(cues.cues_document(small_view(SPANS), loudness=silent, deliverables=()))
    )
    assert doc["programme"]["integrated_lufs"] is None
    assert doc["programme"]["true_peak_dbtp"] is None and doc["programme"]["lra_lu"] == 0.0


def test_what_the_policy_holds_back_is_null_and_every_key_stays() -> None:
    held = document(small_view(None, loudness=False))
    full = document(small_view(SPANS))
    assert [set(c) for c in held["cues"]] == [set(c) for c in full["cues"]]
    assert set(held["programme"]) == set(full["programme"])
    assert held["cues"][1]["start_s"] is None and held["cues"][1]["end_sample"] is None
    assert held["programme"]["integrated_lufs"] is None


def test_a_cue_label_is_its_number_and_its_id_or_kind() -> None:
    intro, message = small_view(SPANS).cues
    assert (cues.cue_label(intro), cues.cue_label(message)) == ("01 intro", "02 not-alone")
