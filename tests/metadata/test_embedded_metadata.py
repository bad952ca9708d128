"""The rendered sample episode's embedded metadata, read back by independent readers."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from wavinfo import WavInfoReader

from audio_pipeline.audio import ffmpeg, wavfile
from audio_pipeline.core.project import Project
from tests.conftest import SR, ffmpeg_ebur128

EPISODE_ID = "2026-w47"


def cues_of(out: Path) -> dict:
    return json.loads((out / "cues.json").read_text("utf-8"))


def deliverable(doc: dict, name: str) -> dict:
    return next(d for d in doc["deliverables"] if d["file"] == name)


def test_wav_bext_carries_the_measured_loudness(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    path = out / f"{EPISODE_ID}.wav"
    bext = WavInfoReader(str(path)).bext
    assert bext is not None and bext.version == 2
    assert (bext.originator_ref, bext.originator_date) == (EPISODE_ID, "2026-11-22")
    assert bext.coding_history == "A=PCM,F=48000,W=24,M=mono,T=audio_pipeline 0.1.0\r\n"
    measured = deliverable(cues_of(out), path.name)["loudness"]  # the WAV decoded back
    assert bext.loudness_value == pytest.approx(measured["integrated_lufs"], abs=0.01)
    assert bext.loudness_range == pytest.approx(measured["lra_lu"], abs=0.01)
    assert bext.max_true_peak == pytest.approx(measured["true_peak_dbtp"], abs=0.01)
    assert bext.max_momentary_loudness == pytest.approx(measured["max_momentary_lufs"], abs=0.01)
    assert bext.max_shortterm_loudness == pytest.approx(measured["max_short_term_lufs"], abs=0.01)
    # momentary peaks above short-term, short-term above integrated: real maxima, not 0x7FFF
    assert bext.loudness_value < bext.max_shortterm_loudness < bext.max_momentary_loudness < 0
    independent = ffmpeg_ebur128(path)
    assert bext.loudness_value == pytest.approx(independent["I"], abs=0.15)
    assert bext.max_true_peak == pytest.approx(independent["TP"], abs=0.3)


def test_wav_cue_points_match_cues_json(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    reader = WavInfoReader(str(out / f"{EPISODE_ID}.wav"))
    assert reader.cues is not None
    points = reader.cues.to_dict()
    doc = cues_of(out)
    assert len(points) == len(doc["cues"])
    for cue in doc["cues"]:
        point = points[cue["index"]]
        assert point["frame"] == cue["start_sample"]
        assert point["length"] == cue["end_sample"] - cue["start_sample"]
        assert point["label"] == (cue["message_id"] or cue["kind"])


def test_tagged_wav_decodes_sample_identically(rendered: tuple[Project, Path]) -> None:
    path = rendered[1] / f"{EPISODE_ID}.wav"
    ours, _ = wavfile.read(path)
    theirs = ffmpeg.decode(path, label="wav", sample_rate=SR)
    np.testing.assert_array_equal(ours, theirs)
    ids = [c[0] for c in wavfile.read_info(path).chunks]
    assert ids == [b"bext", b"JUNK", b"fmt ", b"data", b"cue ", b"LIST"]


def test_mp3_tags_and_chapters(rendered: tuple[Project, Path]) -> None:
    out = rendered[1]
    path = out / f"{EPISODE_ID}.mp3"
    tags = ID3(path)
    assert tags.version == (2, 4, 0)
    assert tags["TIT2"].text == ["소망의 메시지 - 2026년 47주"]
    assert tags["TLAN"].text == ["kor"]
    doc = cues_of(out)
    rate = deliverable(doc, path.name)["sample_rate"]
    cmd = [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)]
    stderr = subprocess.run(cmd, capture_output=True, text=True).stderr
    found = re.findall(r"Chapter #0:\d+: start ([0-9.]+), end ([0-9.]+)", stderr)
    listed = [(round(float(s) * 1000), round(float(e) * 1000)) for s, e in found]
    expected = [
        (c["start_sample"] * 1000 / rate, c["end_sample"] * 1000 / rate)
        for c in deliverable(doc, path.name)["cues"]
    ]
    assert len(listed) == len(expected) == len(doc["cues"])
    for (start, end), (want_start, want_end) in zip(listed, expected, strict=True):
        assert abs(start - want_start) <= 0.5 and abs(end - want_end) <= 0.5
