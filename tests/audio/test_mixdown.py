"""The programme mixed on demand (mixdown.py): segments written as float32 WAVs by scipy,
any range of samples read back as numpy places them, the same whatever the blocks,
silence outside the programme, equal-power crossfades, and only mono float32 accepted."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile

from audio_pipeline.audio import wavfile
from audio_pipeline.audio.mixdown import Mixdown, fade_gain
from audio_pipeline.core.results import Loudness, Programme, Segment, SegmentKind
from tests.conftest import SR

LOUD = Loudness(-23.0, -3.0, 2.0, -20.0, -21.0)


def segment(
    folder: Path, index: int, start: int, data: np.ndarray, fade_in: int = 0, fade_out: int = 0
) -> Segment:
    path = folder / f"{index}.wav"
    scipy.io.wavfile.write(path, SR, data.astype(np.float32))
    return Segment(
        index, SegmentKind.MESSAGE, path, start, len(data), LOUD, fade_in=fade_in, fade_out=fade_out
    )


def test_any_range_is_the_segments_where_they_are_placed(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    a, b = rng.uniform(-0.5, 0.5, 1_000), rng.uniform(-0.5, 0.5, 700)
    programme = Programme(
        "e", "t", SR, 2_500, (segment(tmp_path, 1, 100, a), segment(tmp_path, 2, 1_500, b))
    )
    want = np.zeros(2_500, dtype=np.float32)
    want[100:1_100] = a
    want[1_500:2_200] = b
    mix = Mixdown(programme)
    try:
        for block in (1, 333, 2_500):
            got = np.concatenate([mix.render(s, e) for s, e in mix.blocks(block)])
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(mix.render(-50, 150)[:50], np.zeros(50))  # before 0
        np.testing.assert_array_equal(mix.render(-50, 150)[150:], want[100:150])
        assert not mix.render(2_400, 2_600)[100:].any()  # after the end: silence
        assert len(mix.render(10, 5)) == 0
        assert not mix.render_bed(0, 100).any()  # no bed: silence
    finally:
        mix.close()


def test_a_crossfade_keeps_the_power_and_ends_at_full_level(tmp_path: Path) -> None:
    fade = 480
    first = segment(tmp_path, 1, 0, np.ones(2_000), fade_out=fade)
    second = segment(tmp_path, 2, 2_000 - fade, np.ones(2_000), fade_in=fade)
    out_gain = fade_gain(first, 2_000 - fade, 2_000)
    in_gain = fade_gain(second, 0, fade)
    assert out_gain is not None and in_gain is not None
    np.testing.assert_allclose(out_gain**2 + in_gain**2, 1.0, atol=1e-12)  # sin^2 + cos^2
    assert in_gain[0] == pytest.approx(math.sin(0.5 * math.pi * 0.5 / fade))
    assert fade_gain(first, 0, 1_000) is not None
    np.testing.assert_array_equal(fade_gain(first, 0, 1_000), np.ones(1_000))
    programme = Programme("e", "t", SR, 3_520, (first, second))
    mix = Mixdown(programme)
    try:
        y = mix.render(0, 3_520)
    finally:
        mix.close()
    want = np.ones(3_520)
    want[2_000 - fade : 2_000] = out_gain + in_gain  # two unit signals, equal-power faded
    np.testing.assert_allclose(y, want, atol=1e-6)


def test_a_segment_that_is_not_mono_float32_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pcm.wav"
    scipy.io.wavfile.write(path, SR, np.zeros(100, dtype=np.int16))
    seg = Segment(1, SegmentKind.INTRO, path, 0, 100, LOUD)
    mix = Mixdown(Programme("e", "t", SR, 100, (seg,)))
    with pytest.raises(wavfile.WavError, match=r"^pcm\.wav: expected a mono float32 WAV$"):
        mix.render(0, 100)
    mix.close()
