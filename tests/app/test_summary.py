"""The summary of a render (app/summary.py): the rows and lines the CLI prints after
`render` and the studio shows after a render, from a report made by hand."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.app.summary import COLUMNS, fill_line, summarize
from audio_pipeline.core.results import FillReport
from tests.app.reports import RATE, TITLE, made_report
from tests.conftest import REPO

PROGRAMME = "programme: 1:40.0, -23.1 LUFS integrated, true peak -2.5 dBTP, LRA 3.0 LU"


def test_one_row_per_segment_as_people_read_it(tmp_path: Path) -> None:
    made = summarize(made_report(tmp_path))
    assert made.title == f"2026-w47: {TITLE}"
    assert made.rows == (
        ("1", "intro", "", "bumper", "0:00.0", "0:08.8", "-23.0", "5.6", "-7.0"),
        ("2", "not-alone", "ko-offline", "new", "0:10.3", "0:20.2", "-23.0", "1.9", "-3.0"),
        ("3", "church-prays", "ko-offline", "cached FALLBACK", "0:32.0", "0:15.0", "-23.0",
         "2.3", "-3.6"),
        ("4", "station-id", "", "filler", "0:48.0", "0:05.0", "-23.0", "0.0", "-9.0"),
        ("5", "a-reading", "ko-offline", "filler cached", "0:54.0", "0:30.0", "-23.0", "2.0",
         "-4.0"),
        ("6", "outro", "", "bumper", "1:29.9", "0:10.1", "-23.0", "5.7", "-6.6"),
    )  # fmt: skip


def test_the_lines_under_the_table_name_every_fallback_usage_and_file(tmp_path: Path) -> None:
    made = summarize(made_report(tmp_path))
    assert made.lines == (
        PROGRAMME,
        "clips: 2 (1 synthesized, 1 cached); fallbacks: 1",
        "  FALLBACK: message 'church-prays' spoken by voice 'ko-offline' (espeak): "
        "voice 'ko-google' failed: cannot reach the service",
        "usage 2026-11: azure: 12,345 of 500,000 free characters (2%), 31 request(s)",
        "  2026-w47.wav (programme: WAV 48000 Hz 24-bit): "
        "-23.1 LUFS integrated, true peak -2.5 dBTP, LRA 3.0 LU",
        "  2026-w47.mp3 (programme: MP3 48000 Hz 128 kbit/s): "
        "-23.1 LUFS integrated, true peak -2.5 dBTP, LRA 3.1 LU",
    )


def test_a_silent_file_reads_minus_inf_not_a_number(tmp_path: Path) -> None:
    made = summarize(made_report(tmp_path, silent_mp3=True))
    assert made.lines[-1] == (
        "  2026-w47.mp3 (programme: MP3 48000 Hz 128 kbit/s): "
        "-inf LUFS integrated, true peak -inf dBTP, LRA 0.0 LU"
    )


def test_an_exact_slot_says_how_it_was_filled(tmp_path: Path) -> None:
    fill = FillReport(
        under=12 * RATE,
        gaps=2 * RATE,
        longest_gap=round(2.5 * RATE),
        fillers=("station-id", "a-reading"),
        silence=3 * RATE,
    )
    made = summarize(made_report(tmp_path, fill=fill))
    assert made.lines[:2] == (
        PROGRAMME,
        "slot: 0:12.0 short before filling; fillers: station-id, a-reading; gaps +2.0 s in "
        "all; 3.0 s of bed or silence before the outro; longest without programme audio 2.5 s",
    )


def test_fill_line_leaves_out_what_was_not_used() -> None:
    assert fill_line(FillReport(0, 0, RATE, (), 0), RATE) == "filled exactly by the messages"
    only_silence = FillReport(RATE, 0, round(1.5 * RATE), (), RATE)
    assert fill_line(only_silence, RATE) == (
        "0:01.0 short before filling; 1.0 s of bed or silence before the outro; "
        "longest without programme audio 1.5 s"
    )


def test_the_columns_are_the_ones_the_readme_shows() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    header = next(line for line in readme.splitlines() if line.startswith("┃  # ┃ segment"))
    assert tuple(cell.strip() for cell in header.strip("┃").split("┃")) == COLUMNS
