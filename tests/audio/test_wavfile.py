"""Our WAV writer, read back by independent readers (the stdlib wave module, ffmpeg, wavinfo)."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from wavinfo import WavInfoReader

from audio_pipeline.audio import ffmpeg, wavfile
from tests.conftest import SR, sine


def test_pcm16_is_read_by_the_standard_library(tmp_path: Path) -> None:
    x = sine(440, 0.5, -6)
    wavfile.write(tmp_path / "a.wav", x, SR, "pcm16")
    with wave.open(str(tmp_path / "a.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SR)
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0
    assert np.max(np.abs(data - x)) < 3 / 32768  # quantization plus TPDF dither


def test_pcm24_decodes_sample_identically_in_ffmpeg(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(SR) * 0.2).astype(np.float32)
    wavfile.write(tmp_path / "a.wav", x, SR, "pcm24")
    ours, rate = wavfile.read(tmp_path / "a.wav")
    theirs = ffmpeg.decode(tmp_path / "a.wav", label="a", sample_rate=SR)
    assert rate == SR
    np.testing.assert_array_equal(ours, theirs)
    assert np.max(np.abs(ours - x)) <= 0.5 / 2**23 + 1e-9


@pytest.mark.parametrize("fmt", ["pcm16", "pcm24", "float32"])
def test_writer_returns_the_samples_a_reader_decodes(tmp_path: Path, fmt: str) -> None:
    # what the deliverables are measured from while they are written: the file's own samples
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(SR) * 0.3).clip(-1, 0.99).astype(np.float32)
    writer = wavfile.WavWriter(tmp_path / "a.wav", SR, 1, fmt)
    stored = np.concatenate([writer.write(x[:1000]), writer.write(x[1000:])])
    writer.close()
    read, _ = wavfile.read(tmp_path / "a.wav")
    assert stored.dtype == np.float32
    np.testing.assert_array_equal(stored, read)
    np.testing.assert_array_equal(
        stored, ffmpeg.decode(tmp_path / "a.wav", label="a", sample_rate=SR)
    )


def test_float32_round_trip_is_exact(tmp_path: Path) -> None:
    x = sine(440, 0.3, -3)
    wavfile.write(tmp_path / "f.wav", x, SR, "float32")
    y, rate = wavfile.read(tmp_path / "f.wav")
    assert rate == SR
    np.testing.assert_array_equal(y, x)


def test_trailing_and_reserved_chunks_are_padded_and_parsed(tmp_path: Path) -> None:
    path = tmp_path / "c.wav"
    w = wavfile.WavWriter(path, SR, 1, "pcm24", reserve=64)
    w.write(sine(440, 0.2, -6)[:4801])  # odd data size: 4801 * 3 bytes
    w.close(
        trailing=[wavfile.chunk(b"abcd", b"xyz")],
        reserved=wavfile.chunk(b"test", b"hello"),
    )
    info = wavfile.read_info(path)
    ids = [c[0] for c in info.chunks]
    assert ids == [b"test", b"JUNK", b"fmt ", b"data", b"abcd"]
    raw = path.read_bytes()
    assert len(raw) % 2 == 0
    assert struct.unpack("<I", raw[4:8])[0] == len(raw) - 8
    reader = WavInfoReader(str(path))
    assert reader.fmt.sample_rate == SR and reader.fmt.bits_per_sample == 24
    assert reader.data.frame_count == 4801


def test_reader_rejects_garbage(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"not a wave file at all")
    with pytest.raises(wavfile.WavError):
        wavfile.read_info(tmp_path / "x.wav")


def _finished(path: Path, frames: int = 4801, reserve: int = 64) -> np.ndarray:
    x = sine(440, 0.2, -6)[:frames]
    w = wavfile.WavWriter(path, SR, 1, "pcm24", reserve=reserve)
    w.write(x)
    w.close()
    return x


def test_amend_fills_the_reserve_and_appends_chunks_keeping_the_audio(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    _finished(path)  # odd data size: the pad byte stays where it is
    before = ffmpeg.decode(path, label="a", sample_rate=SR)
    wavfile.amend(
        path,
        reserved=wavfile.chunk(b"test", b"hello"),
        trailing=[wavfile.chunk(b"abcd", b"xyz"), wavfile.chunk(b"efgh", b"")],
    )
    info = wavfile.read_info(path)
    assert [c[0] for c in info.chunks] == [b"test", b"JUNK", b"fmt ", b"data", b"abcd", b"efgh"]
    raw = path.read_bytes()
    assert len(raw) % 2 == 0 and struct.unpack("<I", raw[4:8])[0] == len(raw) - 8
    after = ffmpeg.decode(path, label="a", sample_rate=SR)
    np.testing.assert_array_equal(before, after)
    assert WavInfoReader(str(path)).data.frame_count == 4801


def test_amend_with_trailing_chunks_only(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    _finished(path, reserve=0)
    wavfile.amend(path, trailing=[wavfile.chunk(b"abcd", b"xy")])
    assert [c[0] for c in wavfile.read_info(path).chunks] == [b"fmt ", b"data", b"abcd"]


def test_amend_refuses_what_does_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    _finished(path, reserve=16)
    original = path.read_bytes()
    with pytest.raises(ValueError, match="does not fit"):
        wavfile.amend(path, reserved=wavfile.chunk(b"test", bytes(20)))
    with pytest.raises(ValueError, match="does not fit"):  # 4 bytes left: too few for a JUNK
        wavfile.amend(path, reserved=wavfile.chunk(b"test", bytes(12)))
    assert path.read_bytes() == original
    wavfile.amend(path, reserved=wavfile.chunk(b"test", bytes(16)))  # exactly the reserve
    with pytest.raises(wavfile.WavError, match="no JUNK reserve"):  # already amended
        wavfile.amend(path, reserved=wavfile.chunk(b"test", bytes(16)))


def test_amend_refuses_an_unfinished_file(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    _finished(path)
    with open(path, "ab") as f:
        f.write(b"\x00\x00")  # bytes past the RIFF size: not a file this writer finished
    with pytest.raises(wavfile.WavError, match="RIFF size"):
        wavfile.amend(path, trailing=[wavfile.chunk(b"abcd", b"xy")])
