"""ffmpeg at the edges (ffmpeg.py): files written by scipy decoded and
resampled, encoders whose output mutagen reads, failures named in one line (a full disk as
the OSError it is), the streamed decode sample for sample what scipy reads."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile
from mutagen.mp3 import MP3

from audio_pipeline.audio import ffmpeg
from audio_pipeline.core.errors import AudioDecodeError, PipelineError
from tests.conftest import SR, sine


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def test_version_is_ffmpegs_first_line() -> None:
    assert ffmpeg.version().startswith("ffmpeg version ")


def test_a_16_bit_wav_is_decoded_and_resampled_keeping_pitch_and_level(tmp_path: Path) -> None:
    rate = 44_100
    x = sine(1000, 2.0, -6.0, rate)
    path = tmp_path / "tone.wav"
    scipy.io.wavfile.write(path, rate, (x * 32767).astype(np.int16))
    y = ffmpeg.decode(path, label="tone", sample_rate=SR)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 2 * SR) <= 2
    assert peak_hz(y, SR) == pytest.approx(1000, abs=1)
    assert float(np.max(np.abs(y[SR // 2 : SR]))) == pytest.approx(10 ** (-6 / 20), abs=0.01)


def test_bytes_with_a_format_and_two_channels(tmp_path: Path) -> None:
    left = sine(500, 1.0, -6.0)
    path = tmp_path / "stereo.wav"
    scipy.io.wavfile.write(path, SR, np.stack([left, np.zeros_like(left)], axis=1))
    y = ffmpeg.decode(
        path.read_bytes(), label="stereo", sample_rate=SR, channels=2, input_format="wav"
    )
    assert y.shape == (SR, 2)
    np.testing.assert_array_equal(y[:, 0], left)
    assert not y[:, 1].any()


def test_what_cannot_be_decoded_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "not-audio.wav"
    path.write_bytes(b"this is not audio at all")
    with pytest.raises(AudioDecodeError) as failure:
        ffmpeg.decode(path, label="intro.wav", sample_rate=SR)
    assert "intro.wav" in str(failure.value)


def test_change_tempo_keeps_pitch_and_scales_duration() -> None:
    x = (0.3 * np.sin(2 * np.pi * 440 * np.arange(SR * 4) / SR)).astype(np.float32)
    y = ffmpeg.change_tempo(x, SR, 1.05)
    assert len(y) == pytest.approx(len(x) / 1.05, rel=0.01)
    spectrum = np.abs(np.fft.rfft(y[SR // 2 : -SR // 2]))
    peak_hz = np.argmax(spectrum) * SR / (len(y) - SR)
    assert peak_hz == pytest.approx(440, abs=3)
    assert ffmpeg.change_tempo(x, SR, 1.0) is x  # no tempo change: the samples untouched


def encode(path: Path, codec_args: list[str], fmt: str, x: np.ndarray, rate: int = SR) -> None:
    proc = ffmpeg.encoder(
        path, sample_rate=rate, channels=1, codec_args=codec_args, output_format=fmt
    )
    assert proc.stdin is not None
    proc.stdin.write(x.astype("<f4").tobytes())
    ffmpeg.finish_encoder(proc, path.name, path)


def test_an_encoded_mp3_has_the_asked_format_and_no_tags(tmp_path: Path) -> None:
    path = tmp_path / "out.mp3"
    args = ["-ar", "22050", "-c:a", "libmp3lame", "-b:a", "32k"]
    encode(path, args, "mp3", sine(440, 3.0, -10.0))
    info = MP3(path)
    assert (info.info.sample_rate, info.info.channels, info.info.layer) == (22050, 1, 3)
    assert info.info.bitrate == pytest.approx(32_000, abs=50)  # as mutagen estimates it
    assert info.info.length == pytest.approx(3.0, abs=0.1)
    assert not info.tags  # no tag, no encoder name: nothing we did not put there ourselves


def test_an_encoder_that_fails_says_why_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"^encoding bad.mp3 failed: ") as failure:
        encode(tmp_path / "bad.mp3", ["-c:a", "no-such-codec"], "mp3", sine(440, 0.1, -10))
    assert "\n" not in str(failure.value)


def test_a_full_disk_is_the_oserror_it_is() -> None:
    with pytest.raises(OSError) as failure:
        encode(Path("/dev/full"), ["-c:a", "pcm_s16le"], "wav", sine(440, 1.0, -10))
    assert failure.value.errno == errno.ENOSPC


@pytest.mark.parametrize("block", [1_000, 1 << 16])
def test_the_streamed_decode_is_the_file_in_blocks(tmp_path: Path, block: int) -> None:
    x = (0.1 * np.random.default_rng(3).standard_normal(100_000)).astype(np.float32)
    path = tmp_path / "noise.wav"
    scipy.io.wavfile.write(path, SR, x)
    parts = list(ffmpeg.decode_stream(path, label="noise", sample_rate=SR, block=block))
    assert all(len(p) == block for p in parts[:-1])
    np.testing.assert_array_equal(np.concatenate(parts), scipy.io.wavfile.read(path)[1])


def test_a_streamed_decode_that_fails_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match=r"missing\.mp3"):
        list(ffmpeg.decode_stream(tmp_path / "missing.mp3", label="missing.mp3", sample_rate=SR))
