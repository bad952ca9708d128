"""A profile's plan and verdicts (plan.py): message spans carried to a file's own rate and
delay, the length a decoded file may have, and a file off its target made again with the
level it lacked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.results import Loudness
from audio_pipeline.delivery.plan import Plan, check_length, judge, scaled_spans
from audio_pipeline.delivery.sinks import FileMeasure
from audio_pipeline.delivery.streams import Trims
from audio_pipeline.inputs.profiles import OutputFormat, shipped_profiles
from tests import metadata_helpers as mh
from tests.conftest import mp3_bytes, sine


def test_message_spans_are_carried_to_the_files_rate_and_delay() -> None:
    # the helper's programme at 48 kHz: messages at [120001, 300007) and [362407, 500003)
    spans = scaled_spans(mh.programme(), 22_050, offset=481)
    assert spans == (
        (2, round(120_001 * 22_050 / 48_000) + 481, round(300_007 * 22_050 / 48_000) + 481),
        (4, round(362_407 * 22_050 / 48_000) + 481, round(500_003 * 22_050 / 48_000) + 481),
    )


@pytest.mark.parametrize(
    ("codec", "frames", "delay", "ok"),
    [
        ("wav", 48_000, 0, True),
        ("wav", 48_049, 0, False),  # more than a millisecond added
        ("wav", 47_951, 0, False),  # lost audio
        ("mp2", 48_000 + 481 + 2 * 1152, 481, True),  # an MPEG stream ends on whole frames
        ("mp2", 48_000 + 481 + 2 * 1152 + 1, 481, False),
    ],
)
def test_a_decoded_length_off_the_programme_is_refused(
    codec: str, frames: int, delay: int, ok: bool
) -> None:
    fmt = OutputFormat(codec)
    expected = 48_000 + delay
    if ok:
        check_length(Path("ep.wav"), fmt, frames, expected, delay)
    else:
        with pytest.raises(RenderError, match="the encoder lost or added audio"):
            check_length(Path("ep.wav"), fmt, frames, expected, delay)


def plan_for_wav(tmp_path: Path) -> tuple[Plan, OutputFormat]:
    profile = shipped_profiles()[0]["ebu-r128"]
    fmt = profile.formats[0]
    plan = Plan(
        profile, -23.0, 0.0, Trims(()), {fmt: tmp_path / "ep.wav"}, {fmt: 0.0}, {fmt: 0},
        {fmt: -1.0}, {fmt: 0.0},
    )  # fmt: skip
    return plan, fmt


def measure(lufs: float, peak: float) -> FileMeasure:
    return FileMeasure(Loudness(lufs, peak, 3.0, lufs + 3, lufs + 1), 48_000, ())


def test_a_file_on_target_is_kept_and_one_off_it_made_again_with_what_it_lacked(
    tmp_path: Path,
) -> None:
    plan, fmt = plan_for_wav(tmp_path)
    assert judge(plan, fmt, measure(-23.1, -1.5), 1) is False  # within 0.15 LU, under -1
    assert plan.level_fix[fmt] == 0.0
    assert judge(plan, fmt, measure(-23.4, -1.5), 1) is True
    assert plan.level_fix[fmt] == pytest.approx(0.4)
    assert judge(plan, fmt, measure(-23.0, -0.8), 2) is True  # over the ceiling
    assert plan.ceilings[fmt] == pytest.approx(-1.0 - 0.2 - 0.1)  # the overshoot and 0.1


def test_a_peak_fix_that_does_not_lower_the_peak_brings_the_ceiling_down_too(
    tmp_path: Path,
) -> None:
    """At 32 kbit/s the codec spreads its noise over a whole frame, wider than a dip: when
    the dips taken out where the file went over leave its decoded peak where it was, the next
    encode goes under a lower limiter ceiling as well (a half-hour dense programme otherwise
    ran out of rounds 0.01 dB short)."""
    profile = shipped_profiles()[0]["shortwave"]
    fmt = next(f for f in profile.formats if f.codec == "mp3")
    path = tmp_path / "ep-shortwave.mp3"
    # a real MP3 that decodes over the ceiling: a square-ish wave at full scale
    path.write_bytes(mp3_bytes(np.sign(sine(400, 2.0, 0.0)) * 0.99, rate=fmt.sample_rate))
    plan = Plan(
        profile, -23.0, 0.0, Trims(()), {fmt: path}, {fmt: 0.0}, {fmt: 0},
        {fmt: -2.3}, {fmt: 0.0},
    )  # fmt: skip
    assert judge(plan, fmt, measure(-14.0, -1.0), 1) is True
    assert plan.peak_fix[fmt].dips  # taken down where it went over ...
    assert plan.ceilings[fmt] == -2.3  # ... and only there
    assert judge(plan, fmt, measure(-14.0, -1.05), 2) is True  # the fix barely helped
    over = -1.05 - (-2.0 - 0.1)  # the margin a peak-fixed file must keep
    assert plan.ceilings[fmt] == pytest.approx(-2.3 - over - 0.1)
    assert judge(plan, fmt, measure(-14.0, -2.15), 3) is False  # under -2.1: kept
