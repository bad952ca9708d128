"""The codec's calibration (calibrate.py): LAME's level change and MP2's filterbank delay
measured on an excerpt, and the delay found by cross-correlation where it was put."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.delivery.calibrate import MAX_CODEC_DELAY, calibrate_codec, codec_delay
from audio_pipeline.inputs.profiles import OutputFormat
from tests.conftest import SR


def test_codec_calibration_measures_level_and_delay() -> None:
    # LAME CBR returns speech ~0.4 dB quiet and hides its delay in the LAME header; raw MP2
    # decodes 481 samples late (the layer II filterbank): both must be measured
    t = np.arange(SR * 4) / SR
    carrier = np.sin(2 * np.pi * 200 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    speech = (0.1 * carrier).astype(np.float32)
    mp3 = calibrate_codec(OutputFormat("mp3"), speech, -1.0)
    assert 0.0 < mp3.codec_gain_db < 1.0 and mp3.delay == 0
    mp2 = calibrate_codec(OutputFormat("mp2"), speech, -1.0)
    assert mp2.delay == 481


@pytest.mark.parametrize("delay", [0, 1, 481, MAX_CODEC_DELAY])
def test_a_known_delay_is_found(delay: int) -> None:
    x = np.random.default_rng(5).standard_normal(3 * SR).astype(np.float32)
    late = np.concatenate([np.zeros(delay, dtype=np.float32), x])[: len(x)]
    assert codec_delay(x, late) == delay


def test_too_short_an_excerpt_has_no_delay_and_a_lossless_format_no_calibration() -> None:
    x = np.ones(MAX_CODEC_DELAY, dtype=np.float32)
    assert codec_delay(x, x) == 0
    wav = calibrate_codec(OutputFormat("wav"), x, -1.0)
    assert (wav.codec_gain_db, wav.ceiling_dbtp, wav.delay) == (0.0, -1.0, 0)
