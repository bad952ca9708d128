"""Embedding the metadata in each measured deliverable (embed.py): Broadcast Wave chunks in a
WAV, ID3v2.4 in an MP3, nothing inside an MP2; only the policy's embedded scope. The rendered
sample episode's files are read back by independent readers (wavinfo, mutagen, ffmpeg)."""

from __future__ import annotations

import itertools
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
from audio_pipeline.core.results import Deliverable, Loudness
from audio_pipeline.inputs.policy import EMBEDDED, SIDECARS
from audio_pipeline.metadata.embed import embed_metadata
from tests import metadata_helpers as mh
from tests.conftest import SR, ffmpeg_ebur128, mp3_bytes

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


def test_the_cue_points_bound_every_sound_in_the_decoded_file(
    rendered: tuple[Project, Path],
) -> None:
    """The cue points, as wavinfo reads them, against the audio itself (decoded by ffmpeg):
    the sample episode has no bed and no crossfades, so outside its cues there is digital
    silence, and every cue holds sound."""
    path = rendered[1] / f"{EPISODE_ID}.wav"
    cues = WavInfoReader(str(path)).cues
    assert cues is not None
    spans = sorted((offset, offset + cues.range(name)) for name, offset in cues.each_cue())
    audio = ffmpeg.decode(path, label="wav", sample_rate=SR)
    assert spans[0][0] == 0 and spans[-1][1] == len(audio)
    inside = np.zeros(len(audio), dtype=bool)
    for start, end in spans:
        inside[start:end] = True
        assert float(np.max(np.abs(audio[start:end]))) > 0.01, (start, end)
    assert not audio[~inside].any()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # no overlap


# --- embed_metadata on files of the tests' own -------------------------------------------------

MEASURED = Loudness(-23.014, -1.236, 3.456, -16.125, -20.004)


def write_wav(path: Path, rate: int) -> None:
    frames = mh.LENGTH * rate // mh.SR + 1
    x = (np.random.default_rng(1).standard_normal(frames) * 0.1).astype(np.float32)
    writer = wavfile.WavWriter(path, rate, 1, "pcm24", reserve=wavfile.BEXT_RESERVE_BYTES)
    writer.write(x)
    writer.close()


def tagged(folder: Path, rate: int) -> Path:
    path = folder / f"p{rate}.wav"
    write_wav(path, rate)
    assert embed_metadata(Deliverable(path, "wav", rate, MEASURED), mh.view(EMBEDDED)) is True
    return path


def test_embedding_is_deterministic_and_refuses_the_wrong_scope(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert tagged(a, 48_000).read_bytes() == tagged(b, 48_000).read_bytes()
    with pytest.raises(ValueError, match="embedded"):
        embed_metadata(Deliverable(a / "p48000.wav", "wav", 48_000, MEASURED), mh.view(SIDECARS))


def test_a_wav_whose_rate_is_not_the_deliverables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.wav"
    write_wav(path, 44_100)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"^p.wav: rate differs from the deliverable's$"):
        embed_metadata(Deliverable(path, "wav", 48_000, MEASURED), mh.view(EMBEDDED))
    assert path.read_bytes() == before


def test_an_mp3_gets_id3_tags(tmp_path: Path) -> None:
    path = tmp_path / "p.mp3"
    tone = (0.1 * np.sin(2 * np.pi * 330 * np.arange(SR) / SR)).astype(np.float32)
    path.write_bytes(mp3_bytes(tone, rate=24_000))
    assert embed_metadata(Deliverable(path, "mp3", 24_000), mh.view(EMBEDDED)) is True
    tags = ID3(path)
    assert tags["TIT2"].text == ["소망의 메시지 - 2026년 47주"]
    assert len(tags.getall("CHAP")) == len(mh.LAYOUT)


def test_an_mp2_carries_nothing_inside_and_is_left_as_it_was(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "p.mp2"
    path.write_bytes(b"\xff\xfd" + bytes(2000))  # never parsed: MP2 has no tag container
    caplog.set_level("INFO")
    assert embed_metadata(Deliverable(path, "mp2", 48_000), mh.view(EMBEDDED)) is False
    assert path.read_bytes() == b"\xff\xfd" + bytes(2000)
    assert "p.mp2: no embedded metadata for format mp2" in caplog.text


@pytest.mark.parametrize("fmt", ["wav", "mp3", "mp2"])
def test_only_the_embedded_scope_goes_into_a_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"p.{fmt}"
    path.write_bytes(b"untouched")
    with pytest.raises(ValueError, match="embedded"):
        embed_metadata(Deliverable(path, fmt, 48_000), mh.view(SIDECARS))
    assert path.read_bytes() == b"untouched"
