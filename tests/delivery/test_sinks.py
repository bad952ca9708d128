"""Where the master's samples go (sinks.py): a WAV written block by block read back by scipy
and its own measurement held to ffmpeg's meter and libebur128, a decoded file measured as
libebur128 measures it, an encoder's gain heard by ffmpeg's meter, a clip cut to its span."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile
from mutagen.mp3 import MP3

from audio_pipeline.audio import wavfile
from audio_pipeline.core.results import Loudness, Segment, SegmentKind
from audio_pipeline.delivery.sinks import (
    _EncoderFeed,
    _SliceWriter,
    _WavSink,
    codec_args,
    measure_file,
)
from audio_pipeline.inputs.profiles import OutputFormat
from tests.audio.test_processing import speechlike
from tests.conftest import SR, ffmpeg_ebur128

SPEECH = speechlike(5.0) * 2


def libebur128_lufs(x: np.ndarray) -> float:
    import pyebur128

    state = pyebur128.R128State(1, SR, int(pyebur128.MeasurementMode.MODE_I))
    state.add_frames(np.ascontiguousarray(x, dtype=np.float32), len(x))
    return float(pyebur128.get_loudness_global(state))


def test_a_wav_sink_writes_24_bit_pcm_and_measures_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    spans = ((2, SR, 3 * SR),)
    sink = _WavSink(path, OutputFormat("wav"), spans, len(SPEECH))
    for start in range(0, len(SPEECH), 12_345):
        sink(start, SPEECH[start : start + 12_345])
    sink.close()
    measured = sink.measured()
    rate, data = scipy.io.wavfile.read(path)
    assert rate == SR and len(data) == len(SPEECH) == measured.frames
    held = data.astype(np.float64) / 2**31  # scipy reads 24-bit PCM as int32
    np.testing.assert_allclose(held, SPEECH, atol=2**-23)
    assert measured.loudness.integrated_lufs == pytest.approx(libebur128_lufs(held), abs=1e-6)
    assert measured.loudness.true_peak_dbtp == pytest.approx(ffmpeg_ebur128(path)["TP"], abs=0.1)
    ((index, cue),) = measured.cues
    assert index == 2
    assert cue.integrated_lufs == pytest.approx(libebur128_lufs(held[SR : 3 * SR]), abs=1e-6)


def test_a_decoded_file_is_measured_as_libebur128_measures_it(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    wavfile.write(path, SPEECH, SR, "float32")
    measured = measure_file(path, OutputFormat("wav"), ((7, 0, SR // 2),))
    assert measured.frames == len(SPEECH)
    assert measured.loudness.integrated_lufs == pytest.approx(libebur128_lufs(SPEECH), abs=1e-6)
    assert measured.cues[0][0] == 7


def test_an_encoder_feed_applies_its_gain_in_the_asked_format(tmp_path: Path) -> None:
    reference = tmp_path / "reference.wav"
    wavfile.write(reference, SPEECH, SR, "float32")
    path = tmp_path / "out.mp2"
    feed = _EncoderFeed(path, OutputFormat("mp2"), gain_db=-6.0)
    for start in range(0, len(SPEECH), SR):
        feed(start, SPEECH[start : start + SR])
    feed.close()
    info = MP3(path).info
    assert (info.layer, info.sample_rate, info.channels) == (2, SR, 1)
    change = ffmpeg_ebur128(path)["I"] - ffmpeg_ebur128(reference)["I"]
    assert change == pytest.approx(-6.0, abs=0.3)


def test_a_slice_writer_keeps_only_its_segments_samples(tmp_path: Path) -> None:
    loud = Loudness(-23.0, -3.0, 2.0, -20.0, -21.0)
    segment = Segment(1, SegmentKind.MESSAGE, Path("unused"), 30_000, 50_000, loud)
    writer = _SliceWriter(tmp_path / "clip.wav", segment)
    for start in range(0, len(SPEECH), 7_000):
        writer(start, SPEECH[start : start + 7_000])
    writer.close()
    _, data = scipy.io.wavfile.read(tmp_path / "clip.wav")
    np.testing.assert_allclose(data / 2**31, SPEECH[30_000:80_000], atol=2**-23)
    assert writer.facts().frames == 50_000


def test_a_format_without_an_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^no encoder for codec 'wav'$"):
        codec_args(OutputFormat("wav"))
