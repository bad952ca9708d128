"""How times and levels are written for people: known answers."""

from __future__ import annotations

import pytest

from audio_pipeline.core.display import clock, level, loudness_line
from audio_pipeline.core.results import Loudness


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0:00.0"),
        (42.54, "0:42.5"),
        (59.96, "1:00.0"),  # rounded before it is split into minutes
        (3599.97, "1:00:00.0"),
        (61.0, "1:01.0"),
        (3723.0, "1:02:03.0"),
        (7200.0, "2:00:00.0"),
        (-24.0, "-0:24.0"),
    ],
)
def test_clock(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def test_levels_and_loudness_lines() -> None:
    assert level(-23.04) == "-23.0"
    assert level(float("-inf")) == "-inf" and level(None) == "-inf"
    line = loudness_line(Loudness(-23.04, -2.51, 3.04))
    assert line == "-23.0 LUFS integrated, true peak -2.5 dBTP, LRA 3.0 LU"
