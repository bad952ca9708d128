"""BS.1770 loudness from K-weighted hop energies (bs1770.py), held to independent references:
the filter to the coefficients BS.1770-4 publishes for 48 kHz, the gates, the loudness range
and the short-clip window to libebur128 (pyebur128), for any block size and for a span
measured in the middle of a stream."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio.bs1770 import (
    KFilter,
    Track,
    hop_frames,
    integrated,
    k_weighting,
    loudness_range,
    max_level,
)
from tests.conftest import SR, sine


def signal(seconds: float, seed: int = 8, rate: int = SR) -> np.ndarray:
    """Noise with a level that changes every quarter second, and two seconds of silence."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    envelope = np.repeat(rng.uniform(0.01, 0.5, int(seconds * 4) + 4), rate // 4 + 1)[:n]
    x = (rng.standard_normal(n) * envelope).astype(np.float32)
    x[rate * 3 : rate * 5] = 0
    return x


def libebur128(x: np.ndarray, rate: int = SR) -> tuple[float, float]:
    import pyebur128

    mode = pyebur128.MeasurementMode
    state = pyebur128.R128State(1, rate, int(mode.MODE_I | mode.MODE_LRA))
    state.add_frames(np.ascontiguousarray(x, dtype=np.float32), len(x))
    return pyebur128.get_loudness_global(state), pyebur128.get_loudness_range(state)


def track_of(x: np.ndarray, start: int, end: int | None, block: int, rate: int = SR) -> Track:
    """One stream filtered once, fed block by block to a track of [start, end)."""
    hop = hop_frames(rate)
    settle = KFilter(rate) if start else None
    track = Track(start, end, hop, settle, round(0.2 * rate) if start else 0)
    k = KFilter(rate)
    for pos in range(0, len(x), block):
        frames = x[pos : pos + block, None].astype(np.float64)
        track.take(pos, frames, k.energy(frames))
    return track


def test_the_k_weighting_is_bs1770s_filter_at_48_khz() -> None:
    # BS.1770-4 Tables 1 and 2: the two stages' coefficients for 48 kHz
    shelf = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf_a = [1.0, -1.69065929318241, 0.73248077421585]
    highpass_a = [1.0, -1.99004745483398, 0.99007225036621]
    sos = k_weighting(48_000)
    np.testing.assert_allclose(sos[0], [*shelf, *shelf_a], atol=1e-6)
    np.testing.assert_allclose(sos[1], [1.0, -2.0, 1.0, *highpass_a], atol=1e-6)


@pytest.mark.parametrize("block", [1_000, 4_801, 48_000 * 30])
def test_gated_loudness_and_range_are_libebur128s_for_any_block_size(block: int) -> None:
    x = signal(30.0)
    hops = track_of(x, 0, None, block).hop_energies()
    assert len(hops) == len(x) // hop_frames(SR)
    want_i, want_lra = libebur128(x)
    assert integrated(hops) == pytest.approx(want_i, abs=1e-7)
    assert loudness_range(hops) == pytest.approx(want_lra, abs=1e-7)


def test_a_span_in_the_middle_of_a_stream_reads_as_the_span_alone() -> None:
    # the stream's filter has run through what came before; the span's own filter from rest
    # over its first 200 ms makes the figure that of the span cut out and measured alone
    x = signal(20.0, seed=3)
    start, end = 6 * SR + 123, 17 * SR + 4_567
    track = track_of(x, start, end, 7_777)
    assert track.done
    want_i, _ = libebur128(x[start:end])
    assert integrated(track.hop_energies()) == pytest.approx(want_i, abs=1e-7)


@pytest.mark.parametrize("ms", [50, 250, 399])
def test_a_span_shorter_than_a_gating_block_reads_libebur128s_window(ms: int) -> None:
    import pyebur128

    x = signal(3.0, seed=5)[: SR * ms // 1000 + 17]  # not a whole millisecond long
    track = track_of(x, 0, len(x), 1_000)
    state = pyebur128.R128State(1, SR, int(pyebur128.MeasurementMode.MODE_I))
    state.add_frames(np.ascontiguousarray(x), len(x))
    assert track.short_level() == pytest.approx(pyebur128.get_loudness_window(state, ms), abs=1e-7)


def test_silence_and_too_little_audio_have_no_loudness() -> None:
    assert integrated(np.zeros(100)) == float("-inf")  # every block under the absolute gate
    assert integrated(np.full(3, 0.01)) == float("-inf")  # fewer hops than one block
    assert loudness_range(np.full(29, 0.01)) == 0.0  # shorter than one short-term block
    assert max_level(np.zeros(10), 4) == float("-inf")


def test_the_loudest_momentary_window_is_found() -> None:
    # 1 kHz sines: -30 dBFS, then one second at -10, then -30; BS.1770 reads a sine at
    # its peak level minus 3 dB (Tech 3341): the loudest 400 ms window reads -13 LUFS
    x = np.concatenate([sine(1000, 5, -30), sine(1000, 1, -10), sine(1000, 5, -30)])
    hops = track_of(x, 0, None, SR).hop_energies()
    assert max_level(hops, 4) == pytest.approx(-13.0, abs=0.05)
    assert max_level(hops, 30) < -13.0  # a 3 s window cannot hold only the loud second
