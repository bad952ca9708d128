"""The codec table: what each row promises, checked against files ffmpeg makes from it and
independent readers (mutagen for MPEG audio, the RIFF header for WAV)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest

from audio_pipeline.audio import ffmpeg, wavfile
from audio_pipeline.core.codecs import CODECS, Embedded, codec_of_file
from audio_pipeline.core.defaults import SAMPLE_RATE
from tests.conftest import sine


@pytest.mark.parametrize("name", [c for c in CODECS if CODECS[c].lossy])
def test_each_lossy_row_encodes_what_it_says(name: str, tmp_path: Path) -> None:
    codec = CODECS[name]
    rate, bitrate = codec.sample_rates[0], codec.bitrates_k[2]
    path = tmp_path / f"x.{codec.extension}"
    command = [ffmpeg.ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "f32le"]
    command += ["-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0"]
    command += [*codec.encoder_args(rate, bitrate), "-f", str(codec.muxer), str(path)]
    signal = sine(440, 2.0, -12.0).astype("<f4").tobytes()
    subprocess.run(command, input=signal, check=True)
    info = mutagen.mp3.MP3(path).info  # reads MPEG layer II frames too
    assert (info.sample_rate, info.bitrate // 1000) == (rate, bitrate)
    assert info.layer == (3 if name == "mp3" else 2)
    with open(path, "rb") as f:
        head = f.read(3)
    assert head != b"ID3"  # no tags of ffmpeg's own: ours are written after measuring


def test_wav_is_written_by_our_own_writer_at_the_working_rate(tmp_path: Path) -> None:
    codec = CODECS["wav"]
    assert not codec.lossy and codec.ffmpeg_codec is None
    assert codec.sample_rates == (SAMPLE_RATE,) and set(codec.bit_depths) == {16, 24}
    with pytest.raises(ValueError, match="without an encoder"):
        codec.encoder_args(SAMPLE_RATE, 128)
    wavfile.write(tmp_path / "x.wav", np.zeros(10, np.float32), SAMPLE_RATE, "pcm24")
    assert (tmp_path / "x.wav").read_bytes()[:4] == b"RIFF"


def test_what_each_file_carries_inside() -> None:
    assert CODECS["wav"].embedded is Embedded.BWF
    assert CODECS["mp3"].embedded is Embedded.ID3
    assert CODECS["mp2"].embedded is Embedded.NONE  # raw MPEG audio has no tag container


@pytest.mark.parametrize(
    ("name", "codec"),
    [("a.wav", "wav"), ("A.MP3", "mp3"), ("b.mp2", "mp2"), ("cues.json", None), ("wav", None)],
)
def test_codec_of_file(name: str, codec: str | None) -> None:
    found = codec_of_file(name)
    assert (found.name if found else None) == codec
