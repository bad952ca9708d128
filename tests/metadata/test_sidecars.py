"""Sidecars for every deliverable, each at its own sample rate, and the broadcast log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from audio_pipeline.core.results import Deliverable, Loudness
from audio_pipeline.inputs.policy import EMBEDDED, SIDECARS
from audio_pipeline.metadata import sidecars
from audio_pipeline.metadata.policy import rescale
from tests import metadata_helpers as mh

LOUD = Loudness(-23.0, -1.5, 3.0, -18.0, -20.0)
DELIVERABLES = (
    Deliverable(Path("2026-w47.wav"), "wav", 48_000, LOUD),
    Deliverable(Path("2026-w47.mp3"), "mp3", 22_050, LOUD),
    Deliverable(Path("2026-w47.podcast.mp3"), "mp3", 44_100, LOUD),
)


def spans_at(rate: int) -> list[tuple[int, int]]:
    return [(rescale(s, mh.SR, rate), rescale(e, mh.SR, rate)) for *_, s, e in mh.LAYOUT]


@pytest.mark.parametrize("rate", [48_000, 44_100, 22_050])
def test_podcasting_chapters_are_sample_accurate(rate: int) -> None:
    doc = json.loads(sidecars.chapters_json(mh.view(SIDECARS), rate))
    assert doc["version"] == "1.2.0"
    chapters = doc["chapters"]
    assert [set(c) for c in chapters] == [{"startTime", "title", "endTime"}] * len(mh.LAYOUT)
    back = [(round(c["startTime"] * rate), round(c["endTime"] * rate)) for c in chapters]
    assert back == spans_at(rate)
    assert [c["title"] for c in chapters][:2] == ["intro", "당신은 혼자가 아닙니다"]


def test_broadcast_log_lists_each_message_with_its_times() -> None:
    text = sidecars.broadcast_log_csv(mh.view(SIDECARS))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(sidecars.LOG_COLUMNS)
    assert [(r["message_id"], r["title"]) for r in rows] == [
        ("not-alone", "당신은 혼자가 아닙니다"),
        ("church-prays", "전 세계 교회가 기도합니다"),
    ]
    first = rows[0]
    assert (first["episode_id"], first["date"]) == ("2026-w47", "2026-11-22")
    # 120001 / 48 kHz = 2.500021 s; 300007 / 48 kHz = 6.250146 s
    assert (first["start"], first["end"], first["duration"]) == (
        "00:00:02.500",
        "00:00:06.250",
        "00:00:03.750",
    )


def test_sidecar_names_keep_the_issue_2_names_for_the_primary_wav() -> None:
    names = sidecars.sidecar_names(DELIVERABLES, "2026-w47")
    assert names["2026-w47.wav"] == {
        "cue_sheet": "2026-w47.cue",
        "labels": "2026-w47.labels.txt",
        "chapters": "2026-w47.chapters.json",
    }
    assert names["2026-w47.mp3"]["cue_sheet"] == "2026-w47.mp3.cue"
    assert names["2026-w47.podcast.mp3"]["chapters"] == "2026-w47.podcast.mp3.chapters.json"


def test_every_deliverable_gets_its_sidecars_and_cues_json_lists_them(tmp_path: Path) -> None:
    written = sidecars.write_sidecars(tmp_path, mh.view(SIDECARS), DELIVERABLES, LOUD)
    assert {p.name for p in written} == {p.name for p in tmp_path.iterdir()}
    doc = json.loads((tmp_path / "cues.json").read_text("utf-8"))
    for entry, deliverable in zip(doc["deliverables"], DELIVERABLES, strict=True):
        rate = deliverable.sample_rate
        assert entry["file"] == deliverable.path.name and entry["sample_rate"] == rate
        assert entry["duration_samples"] == rescale(mh.LENGTH, mh.SR, rate)
        got = [(c["start_sample"], c["end_sample"]) for c in entry["cues"]]
        assert got == spans_at(rate)
        for name in entry["sidecars"].values():
            assert (tmp_path / name).is_file()
        chapters = json.loads((tmp_path / entry["sidecars"]["chapters"]).read_text("utf-8"))
        assert round(chapters["chapters"][1]["startTime"] * rate) == spans_at(rate)[1][0]
        sheet = (tmp_path / entry["sidecars"]["cue_sheet"]).read_text("utf-8")
        assert f'FILE "{deliverable.path.name}"' in sheet
    assert (tmp_path / "broadcast-log.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_cues_json_keeps_a_stable_schema_when_the_policy_holds_fields_back(
    tmp_path: Path,
) -> None:
    policy = mh.without(SIDECARS, "message_title", "cue_times", "synthesis", "episode_title")
    written = sidecars.write_sidecars(tmp_path, mh.view(SIDECARS, policy), DELIVERABLES, LOUD)
    # without cue times there are no cue sheets, labels or chapters
    assert sorted(p.name for p in written) == ["broadcast-log.csv", "cues.json"]
    doc = json.loads((tmp_path / "cues.json").read_text("utf-8"))
    message = doc["cues"][1]
    assert message["message_id"] == "not-alone"
    assert message["title"] is None and message["start_sample"] is None
    assert message["engine"] is None and message["voice"] is None
    assert doc["programme"]["title"] is None
    assert doc["deliverables"][0]["cues"] is None
    log = (tmp_path / "broadcast-log.csv").read_text("utf-8-sig")
    assert "당신은" not in log and "not-alone,,,," in log


def test_sidecars_refuse_the_embedded_scope(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sidecars"):
        sidecars.write_sidecars(tmp_path, mh.view(EMBEDDED), DELIVERABLES, LOUD)
