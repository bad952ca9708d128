"""Loudness meter against signals with known answers (pyloudnorm-style, +/-0.1 LU)."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio import loudness
from audio_pipeline.audio.loudness import TP_PHASES, LoudnessMeter, TruePeakMeter
from tests.conftest import SR, sine


def test_mono_sine_at_minus_20_dbfs_reads_minus_23_lufs() -> None:
    # EBU Tech 3341: a 1 kHz sine with peaks at -20 dBFS in a mono file reads -23.0 LUFS
    assert loudness.integrated_lufs(sine(1000, 10, -20), SR) == pytest.approx(-23.0, abs=0.1)


def test_mono_minus_23_dbfs_sine_reads_minus_26_lufs_bs1770_channel_weighting() -> None:
    assert loudness.integrated_lufs(sine(1000, 10, -23), SR) == pytest.approx(-26.0, abs=0.1)


def test_stereo_sine_counts_both_channels() -> None:
    x = sine(1000, 10, -23)
    stereo = np.stack([x, x], axis=1)
    assert loudness.integrated_lufs(stereo, SR) == pytest.approx(-23.0, abs=0.1)


def test_clip_shorter_than_one_gating_block_is_measured() -> None:
    # 0.3 s: shorter than BS.1770's 400 ms block; measured as one block of its own length
    assert loudness.integrated_lufs(sine(1000, 0.3, -20), SR) == pytest.approx(-23.0, abs=0.1)
    assert loudness.measure(sine(1000, 0.3, -20), SR).integrated_lufs == pytest.approx(
        -23.0, abs=0.1
    )


def test_silence_has_no_loudness() -> None:
    assert loudness.integrated_lufs(np.zeros(SR * 2, dtype=np.float32), SR) == float("-inf")


def test_streaming_meter_equals_whole_signal() -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(SR * 7) * 0.1).astype(np.float32)
    meter = LoudnessMeter(SR, maxima=True)
    for start in range(0, len(x), 12_345):
        meter.add(x[start : start + 12_345])
    assert meter.result() == loudness.measure(x, SR)


def test_steady_sine_maxima_equal_integrated() -> None:
    result = loudness.measure(sine(1000, 10, -20), SR)
    assert result.max_momentary_lufs == pytest.approx(result.integrated_lufs, abs=0.05)
    assert result.max_short_term_lufs == pytest.approx(result.integrated_lufs, abs=0.05)
    assert result.lra_lu == pytest.approx(0.0, abs=0.1)


def test_max_momentary_catches_a_loud_second() -> None:
    x = np.concatenate([sine(1000, 5, -30), sine(1000, 1, -10), sine(1000, 5, -30)])
    result = loudness.measure(x, SR)
    assert result.max_momentary_lufs == pytest.approx(-13.0, abs=0.1)


def test_true_peak_of_inter_sample_peak_sine() -> None:
    # fs/4 with a pi/4 phase: every sample at A/sqrt(2), the waveform reaches A between them
    n = np.arange(SR)
    x = (0.5 * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)
    assert loudness.db(float(np.abs(x).max())) == pytest.approx(-9.03, abs=0.01)
    assert loudness.true_peak_dbtp(x, SR) == pytest.approx(-6.02, abs=0.2)


def test_true_peak_meter_is_exact_against_plain_oversampling() -> None:
    """The meter skips windows that cannot reach the peak; against it, the textbook way:
    zero-stuff 4x and convolve with the 48-tap filter of BS.1770-4 Annex 2 (the four phases
    interleaved, h[4k + p] = phase p, tap k), every output sample computed."""
    taps = np.zeros(4 * TP_PHASES.shape[1])
    for p in range(4):
        taps[p::4] = TP_PHASES[p]
    rng = np.random.default_rng(5)
    for _ in range(5):
        x = (rng.standard_normal(SR * 2) * 0.05).astype(np.float32)
        x[rng.integers(0, len(x), 4)] *= 10
        stuffed = np.zeros(4 * len(x))
        stuffed[::4] = x
        everything = np.abs(np.convolve(stuffed, taps)).max()
        expected = max(float(everything), float(np.abs(x).max()))
        meter = TruePeakMeter(SR)
        for start in range(0, len(x), 10_007):
            meter.add(x[start : start + 10_007])
        assert meter.finish() == pytest.approx(expected, rel=1e-9)


def test_true_peak_of_full_scale_sine_is_zero_dbtp() -> None:
    assert loudness.true_peak_dbtp(sine(997, 2, 0.0), SR) == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize(("before", "after"), [(0, 11), (14, 14), (3, 0), (0, 0)])
def test_windows_touching_is_the_mask_dilated(before: int, after: int) -> None:
    rng = np.random.default_rng(5)
    for n, p in ((1, 1.0), (7, 0.3), (1000, 0.01), (1000, 0.5), (4096, 0.0)):
        mask = rng.random(n) < p
        want = [i for i in range(n) if mask[max(0, i - after) : i + before + 1].any()]
        assert loudness.windows_touching(mask, before, after).tolist() == want


def test_meter_without_true_peak_measures_the_same_loudness() -> None:
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(SR * 5) * np.linspace(0.01, 0.3, SR * 5)).astype(np.float32)
    full, bare = LoudnessMeter(SR), LoudnessMeter(SR, true_peak=False)
    for start in range(0, len(x), 10_000):
        full.add(x[start : start + 10_000])
        bare.add(x[start : start + 10_000])
    a, b = full.result(), bare.result()
    assert (b.integrated_lufs, b.lra_lu) == (a.integrated_lufs, a.lra_lu)
    assert np.isnan(b.true_peak_dbtp) and np.isfinite(a.true_peak_dbtp)


@pytest.mark.parametrize("rate", [48_000, 44_100, 22_050])
@pytest.mark.parametrize("channels", [1, 2])
def test_the_meter_is_libebur128(rate: int, channels: int) -> None:
    """An independent meter as the oracle: libebur128 (pyebur128, the code ffmpeg's ebur128
    filter descends from). One K-weighting pass per stream reads the same integrated
    loudness, loudness range and short-clip window, to 1e-7 LU."""
    import pyebur128

    rng = np.random.default_rng(8)
    seconds = 40
    n = rate * seconds
    envelope = np.repeat(rng.uniform(0.01, 0.5, seconds * 4 + 4), rate // 4 + 1)[:n]
    x = (rng.standard_normal((n, channels)) * envelope[:, None]).astype(np.float32)
    x[rate * 10 : rate * 12] = 0  # a silence the gates leave out
    mode = pyebur128.MeasurementMode
    theirs = pyebur128.R128State(channels, rate, int(mode.MODE_I | mode.MODE_LRA))
    theirs.add_frames(np.ascontiguousarray(x).reshape(-1), n)
    ours = LoudnessMeter(rate, channels, maxima=True)
    for start in range(0, n, 7_777):
        ours.add(x[start : start + 7_777])
    result = ours.result()
    assert result.integrated_lufs == pytest.approx(pyebur128.get_loudness_global(theirs), abs=1e-7)
    assert result.lra_lu == pytest.approx(pyebur128.get_loudness_range(theirs), abs=1e-7)
    short = x[: rate * 3 // 10]  # 300 ms: libebur128's window over its whole length
    state = pyebur128.R128State(channels, rate, int(mode.MODE_I))
    state.add_frames(np.ascontiguousarray(short).reshape(-1), len(short))
    assert loudness.measure(short, rate).integrated_lufs == pytest.approx(
        pyebur128.get_loudness_window(state, 300), abs=1e-7
    )


def test_span_meters_measure_each_span_as_the_stream_passes_it() -> None:
    """Per-cue loudness with a meter alive only over its own span: the same results as
    measuring each span alone, whatever the block size, with at most the meters of the spans
    a block touches open at once; a span the stream never reached reads silent."""
    from audio_pipeline.audio.loudness import SpanMeters

    rng = np.random.default_rng(7)
    sr = 48_000
    x = np.concatenate(
        [0.1 * rng.standard_normal(sr), np.zeros(sr // 2), 0.02 * rng.standard_normal(2 * sr)]
    ).astype(np.float32)
    spans = [(0, 0, sr), (1, sr, sr + sr // 2), (2, sr + sr // 2, len(x)), (3, 100, 30_000)]
    spans.append((4, len(x) + 10, len(x) + 20))  # past the end

    def alone(s: int, e: int) -> float:
        m = LoudnessMeter(sr, 1, true_peak=False)
        m.add(x[s:e])
        return m.result().integrated_lufs

    for block in (997, 65_536):
        meters = SpanMeters(spans, sr)
        for start in range(0, len(x), block):
            meters.add(start, x[start : start + block])
        got = dict(meters.results())
        assert list(got) == [0, 1, 2, 3, 4]
        for index, s, e in spans[:4]:
            assert got[index].integrated_lufs == pytest.approx(alone(s, e), abs=1e-9)
        assert got[4].integrated_lufs == float("-inf")
        assert meters.most_open <= 3  # never every span at once
