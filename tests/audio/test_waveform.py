"""Waveform peaks for drawing: from a signal, block by block, and from a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.audio.waveform import Waveform, peaks, peaks_of_wav
from tests.conftest import SR


def test_waveforms_follow_the_signal() -> None:
    t = np.arange(SR) / SR
    ramp = (t * np.sin(2 * np.pi * 100 * t)).astype(np.float32)  # grows from 0 to 1
    lo, hi = peaks(ramp, 10)
    assert len(lo) == len(hi) == 10
    assert np.all(np.diff(hi) > 0) and np.all(lo <= 0) and hi[-1] == pytest.approx(1, abs=0.01)
    assert peaks(np.zeros(0, np.float32), 4)[1].tolist() == [0, 0, 0, 0]


def test_waveform_of_a_file_matches_the_waveform_of_its_samples(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = (0.5 * rng.standard_normal(SR * 3 + 123)).clip(-1, 0.99).astype(np.float32)
    wavfile.write(tmp_path / "x.wav", x, SR, "float32")
    for columns in (7, 480):
        lo, hi = peaks_of_wav(tmp_path / "x.wav", columns)
        want_lo, want_hi = peaks(x, columns)
        np.testing.assert_allclose(lo, want_lo)
        np.testing.assert_allclose(hi, want_hi)


@pytest.mark.parametrize("frames", [0, 1, 479, 480, 481, 3 * SR + 123])
def test_waveform_drawn_block_by_block_is_the_waveform_of_the_whole(frames: int) -> None:
    rng = np.random.default_rng(frames)
    x = (0.5 * rng.standard_normal(frames)).astype(np.float32)
    for block in (1, 7, 1000, SR):
        waveform = Waveform(frames)
        for start in range(0, frames, block):
            waveform.add(x[start : start + block])
        lo, hi = waveform.result()
        want_lo, want_hi = peaks(x)
        np.testing.assert_array_equal(lo, want_lo)
        np.testing.assert_array_equal(hi, want_hi)
