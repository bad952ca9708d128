"""Codec overshoot taken down where it is: the dips' shape, and finding them in a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.delivery.peakfix import MARGIN_DB, RAMP_S, PeakFix, find_overshoots
from audio_pipeline.inputs.profiles import OutputFormat
from tests.conftest import SR, sine


def test_dips_hold_inside_ramp_linearly_and_add_where_they_overlap() -> None:
    ramp = round(RAMP_S * SR)
    fix = PeakFix(((1000, 2000, -6.0), (1500, 1600, -2.0)))
    curve = fix.curve(0, 4000)
    assert curve is not None
    db = 20 * np.log10(curve)
    assert db[: 1000 - ramp] == pytest.approx(0.0)
    assert db[1000 - ramp // 2] == pytest.approx(-3.0, abs=0.1)  # half way down the ramp
    assert db[1200] == pytest.approx(-6.0)
    assert db[1550] == pytest.approx(-8.0)  # both dips
    assert db[2000 + ramp :] == pytest.approx(0.0)
    assert fix.curve(10_000, 11_000) is None  # nothing near: no work


def test_overshoots_are_found_where_they_are(tmp_path: Path) -> None:
    # -6 dBFS programme with two bursts at -1 dBTP, against a -2 dBTP ceiling
    x = sine(1000, 4.0, -6.0)
    for at in (1.0, 3.0):
        x[int(at * SR) : int(at * SR) + 2400] *= 10 ** (5 / 20)
    path = tmp_path / "file.wav"
    wavfile.write(path, x, SR, "pcm24")
    fmt = OutputFormat("wav")
    fix = find_overshoots(path, fmt, 0, -2.0)
    assert len(fix.dips) == 2
    for (start, end, gain), at in zip(fix.dips, (1.0, 3.0), strict=True):
        assert abs(start - at * SR) < 50 and abs(end - (at * SR + 2400)) < 50
        assert gain == pytest.approx(-(1.0 + MARGIN_DB), abs=0.05)
    # a codec that decodes 481 samples late at 48 kHz: the dips are in programme time
    late = find_overshoots(path, fmt, 481, -2.0)
    assert [d[0] for d in late.dips] == [d[0] - 481 for d in fix.dips]
