"""The AM chain's dynamics (dynamics.py): the compressor's static curve worked out by hand
and measured as the RMS of its output, the AGC's lift within its range and its hold through
pauses, the gain smoother against the plain per-frame recursion it unrolls, and the same
output for any block size."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio.dynamics import FRAME_S, GainSmoother, GatedAGC, MultibandCompressor
from audio_pipeline.audio.processing import Chain
from tests.audio.test_processing import speechlike
from tests.conftest import SR, sine


def run(processor: object, x: np.ndarray, block: int | None = None) -> np.ndarray:
    chain = Chain([processor])  # type: ignore[list-item]
    size = block or len(x)
    parts = [chain.process(x[i : i + size]) for i in range(0, len(x), size)]
    return np.concatenate([*parts, chain.flush()])


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2)))


def one_band(threshold_db: float, ratio: float) -> MultibandCompressor:
    """The compressor with a single band that passes everything (a unit kernel)."""
    return MultibandCompressor(
        np.ones((1, 1)), 0, [1000.0], [threshold_db], ratio, [0.005], [50.0], SR
    )


@pytest.mark.parametrize(
    ("level_db", "expected_gain_db"),
    [
        (-40.0, 0.0),  # under the knee: untouched
        (-30.0, -0.75 * 3**2 / 12),  # on the threshold: the knee's quadratic, (1-1/R)(3)^2/(2*6)
        (-18.0, -0.75 * 12),  # 12 dB over a 4:1 threshold: 9 dB of reduction
        (-6.0, -0.75 * 24),
    ],
)
def test_compressor_static_curve(level_db: float, expected_gain_db: float) -> None:
    # a steady tone's RMS level in dBFS; threshold -30 dBFS, 4:1, 6 dB soft knee
    x = sine(1000, 3.0, level_db + 3.0103)  # peak = RMS + 3.01 dB
    y = run(one_band(-30.0, 4.0), x)
    steady = slice(SR, 2 * SR)
    assert rms_db(y[steady]) - rms_db(x[steady]) == pytest.approx(expected_gain_db, abs=0.15)


def test_agc_brings_a_quiet_speaker_up_within_its_range_and_holds_in_pauses() -> None:
    # target -19 dBFS, range 10 dB; a speaker 6 dB quiet is lifted 6 dB, one 20 dB quiet
    # only the 10 dB the range allows; a pause (under the gate) does not pump the gain up
    def agc() -> GatedAGC:
        return GatedAGC(-19.0, 10.0, 0.2, 5.0, 24.0, SR)

    for quiet, lift in ((6.0, 6.0), (20.0, 10.0)):
        x = sine(500, 8.0, -19.0 - quiet + 3.0103)
        y = run(agc(), x)
        assert rms_db(y[6 * SR :]) - rms_db(x[6 * SR :]) == pytest.approx(lift, abs=0.5), quiet
    speech = sine(500, 4.0, -19.0 + 3.0103 + 4.0)  # loud: the gain goes down 4 dB
    pause = sine(500, 4.0, -19.0 - 30.0 + 3.0103)  # under the 24 dB gate
    x = np.concatenate([speech, pause])
    y = run(agc(), x)
    gain_speech = rms_db(y[3 * SR : 4 * SR]) - rms_db(x[3 * SR : 4 * SR])
    gain_pause_end = rms_db(y[7 * SR :]) - rms_db(x[7 * SR :])
    assert gain_speech == pytest.approx(-4.0, abs=0.5)
    assert gain_pause_end == pytest.approx(gain_speech, abs=0.5)  # held through the pause


def smoothed_by_loop(
    demand: np.ndarray, hold: np.ndarray, attack_s: float, release_db_s: float, start: float
) -> np.ndarray:
    """The recursion GainSmoother vectorises, one frame at a time: the reduction falls at the
    release rate unless a frame demands more (and holds in a gated frame), then a one-pole
    attack."""
    a = np.exp(-FRAME_S / attack_s)
    held = smoothed = start
    out = []
    for d, h in zip(demand, hold, strict=True):
        held = max(d, held - (0.0 if h else release_db_s * FRAME_S))
        smoothed = a * smoothed + (1 - a) * held
        out.append(smoothed)
    return np.array(out)


def test_the_gain_smoother_is_the_per_frame_recursion_across_calls() -> None:
    rng = np.random.default_rng(2)
    demand = np.maximum(0.0, rng.normal(2.0, 4.0, 3_000))
    demand[rng.random(3_000) < 0.1] = -np.inf  # gated frames demand nothing
    hold = ~np.isfinite(demand)
    smoother = GainSmoother(0.005, 40.0, initial_db=6.0)
    got = np.concatenate(
        [smoother.run(demand[i : i + 700], hold[i : i + 700]) for i in range(0, 3_000, 700)]
    )
    np.testing.assert_allclose(got, smoothed_by_loop(demand, hold, 0.005, 40.0, 6.0), atol=1e-9)


@pytest.mark.parametrize("block", [480, 4_801])
def test_agc_and_compressor_give_the_same_output_for_any_block_size(block: int) -> None:
    x = speechlike(3.0) * 3
    for make in (lambda: GatedAGC(-19.0, 10.0, 0.2, 5.0, 24.0, SR), lambda: one_band(-30.0, 3.0)):
        whole = run(make(), x)
        assert len(whole) == len(x)
        np.testing.assert_array_equal(run(make(), x, block), whole)
