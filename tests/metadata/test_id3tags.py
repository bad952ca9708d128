"""ID3v2.4 tags and chapters on an MP3, read back by mutagen and by ffmpeg."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, CTOCFlags

from audio_pipeline.audio import ffmpeg
from audio_pipeline.core.results import Deliverable
from audio_pipeline.delivery.sinks import codec_args
from audio_pipeline.inputs.policy import EMBEDDED
from audio_pipeline.inputs.profiles import OutputFormat
from audio_pipeline.metadata.embed import embed_metadata
from audio_pipeline.metadata.id3tags import chapter_id, samples_to_ms, tables_of_contents
from audio_pipeline.metadata.policy import rescale
from tests import metadata_helpers as mh

RATE = 22_050  # the shortwave partner's MP3 rate: chapter times must follow it


@pytest.fixture(scope="module")
def untagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The programme's length as the render encodes it: to a file, so LAME writes the header
    with encoder delay and padding, at 22.05 kHz 32 kbit/s."""
    t = np.arange(mh.LENGTH) / mh.SR
    tone = (0.1 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    inside = np.zeros(mh.LENGTH, dtype=bool)
    for *_, start, end in mh.LAYOUT:
        inside[start:end] = True
    tone[~inside] = 0.0  # sound exactly where the cues are, silence between
    path = tmp_path_factory.mktemp("mp3") / "untagged.mp3"
    args, muxer = codec_args(OutputFormat("mp3", sample_rate=RATE, bitrate_k=32))
    proc = ffmpeg.encoder(path, sample_rate=mh.SR, channels=1, codec_args=args, output_format=muxer)
    assert proc.stdin is not None
    proc.stdin.write(tone.astype("<f4").tobytes())
    ffmpeg.finish_encoder(proc, path.name)
    return path


def tag(untagged: Path, folder: Path, policy: object = None) -> Path:
    path = folder / "p.mp3"
    shutil.copy(untagged, path)
    view = mh.view(EMBEDDED, policy)  # type: ignore[arg-type]
    assert embed_metadata(Deliverable(path, "mp3", RATE), view)
    return path


def expected_ms() -> list[tuple[int, int]]:
    spans = [(rescale(s, mh.SR, RATE), rescale(e, mh.SR, RATE)) for *_, s, e in mh.LAYOUT]
    return [(samples_to_ms(s, RATE), samples_to_ms(e, RATE)) for s, e in spans]


def test_id3v24_frames_read_back_by_mutagen(untagged: Path, tmp_path: Path) -> None:
    path = tag(untagged, tmp_path)
    assert path.read_bytes()[:5] == b"ID3\x04\x00"
    tags = ID3(path)
    assert tags.version == (2, 4, 0)
    assert tags["TIT2"].text == ["소망의 메시지 - 2026년 47주"]
    assert tags["TPE1"].text == ["새벽빛 방송"]  # the default station
    assert str(tags["TDRC"].text[0]) == "2026-11-22"
    assert tags["TLAN"].text == ["kor"]
    chapters = tags.getall("CHAP")
    assert len(chapters) == len(mh.LAYOUT)
    by_id = {c.element_id: c for c in chapters}
    toc = tags.getall("CTOC")
    assert len(toc) == 1
    assert toc[0].flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert [by_id[i].start_time for i in toc[0].child_element_ids] == [s for s, _ in expected_ms()]
    ordered = [by_id[i] for i in toc[0].child_element_ids]
    assert [(c.start_time, c.end_time) for c in ordered] == expected_ms()
    titles = [c.sub_frames["TIT2"].text[0] for c in ordered]
    assert titles == [
        "intro",
        "당신은 혼자가 아닙니다",
        "sting",
        "전 세계 교회가 기도합니다",
        "outro",
    ]
    # the approved attribution travels as the chapter's subtitle; the unapproved one never
    assert ordered[1].sub_frames["TIT3"].text == [mh.APPROVED_ATTRIBUTION]
    assert "TIT3" not in ordered[3].sub_frames


def test_ffmpeg_lists_the_chapters_in_order_at_the_right_times(
    untagged: Path, tmp_path: Path
) -> None:
    path = tag(untagged, tmp_path)
    cmd = [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)]
    stderr = subprocess.run(cmd, capture_output=True, text=True).stderr
    found = re.findall(r"Chapter #0:\d+: start ([0-9.]+), end ([0-9.]+)", stderr)
    listed = [(round(float(s) * 1000), round(float(e) * 1000)) for s, e in found]
    assert listed == expected_ms()
    titles = re.findall(r"^\s+title\s+: (.*)$", stderr, re.MULTILINE)
    assert "당신은 혼자가 아닙니다" in titles and "소망의 메시지 - 2026년 47주" in titles


def test_tagging_leaves_the_audio_as_it_was(untagged: Path, tmp_path: Path) -> None:
    path = tag(untagged, tmp_path)
    before = ffmpeg.decode(untagged, label="untagged", sample_rate=RATE)
    after = ffmpeg.decode(path, label="tagged", sample_rate=RATE)
    np.testing.assert_array_equal(before, after)
    assert abs(len(after) - rescale(mh.LENGTH, mh.SR, RATE)) <= RATE // 1000


def test_tagging_is_deterministic(untagged: Path, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = tag(untagged, tmp_path / "a").read_bytes()
    assert a == tag(untagged, tmp_path / "b").read_bytes()


def test_what_the_policy_holds_back_is_not_tagged(untagged: Path, tmp_path: Path) -> None:
    policy = mh.without(EMBEDDED, "cue_times", "episode_title", "station", "episode_date")
    tags = ID3(tag(untagged, tmp_path, policy))
    assert sorted(tags.keys()) == ["TLAN"]


def test_chapter_titles_fall_back_to_ids_without_titles(untagged: Path, tmp_path: Path) -> None:
    tags = ID3(tag(untagged, tmp_path, mh.without(EMBEDDED, "message_title")))
    titles = [tags[f"CHAP:chp{i:03d}"].sub_frames["TIT2"].text[0] for i in (2, 4)]
    assert titles == ["not-alone", "church-prays"]


def test_chapters_start_where_the_decoded_sound_starts(untagged: Path, tmp_path: Path) -> None:
    # LAME's header carries the encoder delay, so decoded sample 0 is programme sample 0 and a
    # chapter time (from samples at the MP3's rate) lands on its audio
    decoded = ffmpeg.decode(tag(untagged, tmp_path), label="tagged", sample_rate=RATE)
    loud = np.flatnonzero(np.abs(decoded) > 0.05)
    for start_ms, _ in expected_ms()[1:]:
        onset = loud[np.searchsorted(loud, start_ms * RATE // 1000 - RATE // 50)]
        assert abs(onset * 1000 / RATE - start_ms) <= 3, start_ms


def test_more_chapters_than_one_table_holds_are_split_into_ordered_sub_tables(
    untagged: Path, tmp_path: Path
) -> None:
    """A CTOC counts its entries in one byte: a 120-minute programme of 160 messages has 321
    cues with its stings, so its chapters go into sub-tables under one top-level table."""
    ids = [chapter_id(i) for i in range(600)]
    path = tmp_path / "long.mp3"
    shutil.copy(untagged, path)
    tags = ID3()
    for frame in tables_of_contents(ids, "소망의 메시지"):
        tags.add(frame)
    tags.save(path, v1=0, v2_version=4)

    read = {t.element_id: t for t in ID3(path).getall("CTOC")}
    top = [t for t in read.values() if t.flags & CTOCFlags.TOP_LEVEL]
    assert len(top) == 1 and top[0].flags & CTOCFlags.ORDERED
    parts = [read[i] for i in top[0].child_element_ids]
    assert [len(p.child_element_ids) for p in parts] == [255, 255, 90]
    assert all(p.flags == CTOCFlags.ORDERED for p in parts)
    assert [c for p in parts for c in p.child_element_ids] == ids
    assert parts[2].sub_frames["TIT2"].text == ["소망의 메시지 (3/3)"]
    # up to 255 chapters: one table, as before
    assert [len(t.child_element_ids) for t in tables_of_contents(ids[:255], None)] == [255]
