"""Broadcast Wave chunks, read back by an independent reader (wavinfo) and by ffmpeg."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
from wavinfo import WavInfoReader

from audio_pipeline.audio import ffmpeg, wavfile
from audio_pipeline.core.results import Deliverable, Loudness
from audio_pipeline.inputs.policy import EMBEDDED, SIDECARS
from audio_pipeline.metadata import bwf
from audio_pipeline.metadata.embed import embed_metadata
from audio_pipeline.metadata.policy import rescale
from tests import metadata_helpers as mh

MEASURED = Loudness(-23.014, -1.236, 3.456, -16.125, -20.004)


def write_wav(path: Path, rate: int, bits: int = 24, seconds: float = 0.0) -> np.ndarray:
    frames = round(seconds * rate) or mh.LENGTH * rate // mh.SR + 1
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(frames) * 0.1).astype(np.float32)
    w = wavfile.WavWriter(path, rate, 1, f"pcm{bits}", reserve=wavfile.BEXT_RESERVE_BYTES)
    w.write(x)
    w.close()
    return x


def tagged(tmp_path: Path, rate: int, **view_args: object) -> Path:
    path = tmp_path / f"p{rate}.wav"
    write_wav(path, rate)
    view = mh.view(EMBEDDED, **view_args)  # type: ignore[arg-type]
    embed_metadata(Deliverable(path, "wav", rate, MEASURED), view)
    return path


def test_bext_v2_fields_as_wavinfo_reads_them(tmp_path: Path) -> None:
    bext = WavInfoReader(str(tagged(tmp_path, 48_000))).bext
    assert bext is not None
    assert bext.version == 2
    assert bext.description == "2026-w47"  # the Korean title is not ASCII: the episode id
    assert bext.originator == "audio_pipeline"
    assert bext.originator_ref == "2026-w47"
    assert (bext.originator_date, bext.originator_time) == ("2026-11-22", "00:00:00")
    assert bext.time_reference == 0
    assert bext.umid == bytes(64)
    assert bext.coding_history == "A=PCM,F=48000,W=24,M=mono,T=audio_pipeline 0.1.0\r\n"
    # round(100 x value), read back as value / 100
    assert bext.loudness_value == -23.01
    assert bext.max_true_peak == -1.24
    assert bext.loudness_range == 3.46
    assert bext.max_momentary_loudness == -16.12  # round(-1612.5) is -1612 (half to even)
    assert bext.max_shortterm_loudness == -20.0


def test_bext_byte_layout_matches_tech_3285(tmp_path: Path) -> None:
    path = tagged(tmp_path, 48_000)
    info = wavfile.read_info(path)
    ids = [c[0] for c in info.chunks]
    assert ids == [b"bext", b"JUNK", b"fmt ", b"data", b"cue ", b"LIST"]
    _, offset, size = info.chunks[0]
    raw = path.read_bytes()[offset : offset + size]
    history = b"A=PCM,F=48000,W=24,M=mono,T=audio_pipeline 0.1.0\r\n"
    assert size == 602 + len(history) and raw[602:] == history
    assert raw[256 + 32 + 32 : 256 + 32 + 32 + 10] == b"2026-11-22"
    (version,) = struct.unpack("<H", raw[346:348])
    loudness = struct.unpack("<5h", raw[412:422])
    assert version == 2 and loudness == (-2301, 346, -124, -1612, -2000)
    assert raw[422:602] == bytes(180)
    assert all(c[2] % 2 == 0 or c[0] == b"data" for c in info.chunks)
    assert len(path.read_bytes()) % 2 == 0


def test_unmeasurable_loudness_is_marked_not_set() -> None:
    silent = Loudness(float("-inf"), float("-inf"), 0.0)
    chunk = bwf.bext_chunk(bwf.Bext(loudness=silent))
    fields = struct.unpack("<5h", chunk[8 + 412 : 8 + 422])
    assert fields == (0x7FFF, 0, 0x7FFF, 0x7FFF, 0x7FFF)
    assert struct.unpack("<5h", bwf.bext_chunk(bwf.Bext())[420:430]) == (0x7FFF,) * 5


@pytest.mark.parametrize("rate", [48_000, 44_100, 22_050])
def test_cue_points_labels_and_lengths_at_the_files_own_rate(tmp_path: Path, rate: int) -> None:
    cues = WavInfoReader(str(tagged(tmp_path, rate))).cues
    assert cues is not None
    expected = []
    for i, (kind, message_id, _, start, end) in enumerate(mh.LAYOUT, start=1):
        s, e = rescale(start, mh.SR, rate), rescale(end, mh.SR, rate)
        expected.append((i, s, e - s, message_id or kind.value))
    got = [
        (name, offset, cues.range(name), cues.label_and_note(name)[0])
        for name, offset in cues.each_cue()
    ]
    assert got == expected
    assert all(c.chunk_id == b"data" and c.position == c.sample_offset for c in cues.cues)
    assert all(r.purpose == "rgn " for r in cues.ranges)


def test_the_tagged_wav_decodes_sample_identically(tmp_path: Path) -> None:
    plain = tmp_path / "plain.wav"
    write_wav(plain, 44_100)
    path = tagged(tmp_path, 44_100)
    ours, _ = wavfile.read(plain)
    theirs = ffmpeg.decode(path, label="tagged", sample_rate=44_100)
    np.testing.assert_array_equal(ours, theirs)
    assert WavInfoReader(str(path)).data.frame_count == len(ours)


def test_ascii_title_and_station_fill_description_and_originator(tmp_path: Path) -> None:
    path = tagged(tmp_path, 48_000, title="Hope - week 47", station="Dawn Light Radio")
    bext = WavInfoReader(str(path)).bext
    assert bext is not None
    assert (bext.description, bext.originator) == ("Hope - week 47", "Dawn Light Radio")


def test_what_the_policy_holds_back_stays_out(tmp_path: Path) -> None:
    path = tmp_path / "p.wav"
    write_wav(path, 48_000)
    policy = mh.without(EMBEDDED, "cue_times", "loudness", "episode_date", "tool_version")
    embed_metadata(Deliverable(path, "wav", 48_000, MEASURED), mh.view(EMBEDDED, policy))
    ids = [c[0] for c in wavfile.read_info(path).chunks]
    assert ids == [b"bext", b"JUNK", b"fmt ", b"data"]
    bext = WavInfoReader(str(path)).bext
    assert bext is not None
    assert (bext.originator_date, bext.originator_time) == ("", "")
    assert bext.loudness_value == bext.max_true_peak == 327.67  # 0x7FFF: not set
    assert bext.coding_history.endswith("T=audio_pipeline\r\n")


def test_embedding_is_deterministic_and_refuses_the_wrong_scope(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert tagged(a, 48_000).read_bytes() == tagged(b, 48_000).read_bytes()
    with pytest.raises(ValueError, match="embedded"):
        embed_metadata(Deliverable(a / "p48000.wav", "wav", 48_000, MEASURED), mh.view(SIDECARS))


def test_labels_are_ascii_and_padded() -> None:
    points = [bwf.CuePoint(1, 0, 10, "intro"), bwf.CuePoint(2, 10, 5, "not-alone")]
    chunk = bwf.adtl_chunk(points)
    assert chunk[:4] == b"LIST" and chunk[8:12] == b"adtl" and len(chunk) % 2 == 0
    assert b"intro\x00" in chunk and b"not-alone\x00" in chunk
    with pytest.raises(UnicodeEncodeError):
        bwf.adtl_chunk([bwf.CuePoint(1, 0, 1, "당신")])
    view = mh.view(EMBEDDED)
    assert all(p.label.isascii() for p in bwf.cue_points(view, 48_000))


def test_coding_history_and_centi() -> None:
    assert bwf.coding_history(22_050, 16, 2, "x") == "A=PCM,F=22050,W=16,M=stereo,T=x\r\n"
    assert bwf.centi(-23.0) == -2300 and bwf.centi(math.nan) == 0x7FFF
    assert bwf.centi(-400.0) == -32767  # clamped: 0x8000 is not a value
