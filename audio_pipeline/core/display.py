"""How times and levels are written for people: in the console, the review page, reports.

One spelling everywhere: 0:42.5, 1:02:03.0 (hours only when there are any); -23.0 LUFS; a
silent level as -inf.
"""

from __future__ import annotations

import math

from audio_pipeline.core.results import Loudness


def clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    # rounded to the tenth shown first, so 59.96 s reads 1:00.0, never 0:60.0
    seconds = round(abs(seconds), 1)
    minutes, secs = divmod(seconds, 60)
    if minutes >= 60:
        hours, minutes = divmod(int(minutes), 60)
        return f"{sign}{hours}:{int(minutes):02d}:{secs:04.1f}"
    return f"{sign}{int(minutes)}:{secs:04.1f}"


def level(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-inf"
    return f"{value:.1f}"


def loudness_line(loudness: Loudness) -> str:
    return (
        f"{level(loudness.integrated_lufs)} LUFS integrated, "
        f"true peak {level(loudness.true_peak_dbtp)} dBTP, LRA {loudness.lra_lu:.1f} LU"
    )
