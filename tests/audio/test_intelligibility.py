"""ESTOI wiring: pystoi's extended STOI on Korean speech from the offline engine, aligned
first; and the grid of channel conditions scored per span with the same noise for every
version of a programme."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from audio_pipeline.audio.channel import SHORTWAVE, SIM_RATE, Condition, to_sim_rate
from audio_pipeline.audio.intelligibility import (
    align,
    as_heard,
    at_sim_rate,
    collect_spans,
    compare,
    conditions,
    estoi,
    score_spans,
    score_version,
    text_seed,
)
from audio_pipeline.engines.espeak_engine import EspeakEngine

SENTENCES = (
    "하나님은 당신을 잊지 않으셨습니다.",
    "전 세계의 교회가 당신을 위해 기도하고 있습니다.",
    "오늘도 힘을 내십시오.",
)


@functools.cache
def speech(index: int = 0) -> np.ndarray:
    audio = EspeakEngine().synthesize(SENTENCES[index], {"rate": 140})
    return to_sim_rate(audio.samples, audio.sample_rate)


def test_identical_speech_scores_one() -> None:
    x = speech()
    assert estoi(x, x.copy(), SIM_RATE) == pytest.approx(1.0, abs=1e-6)


def test_noise_instead_of_speech_scores_about_zero() -> None:
    x = speech()
    noise = np.random.default_rng(1).standard_normal(len(x)) * np.std(x)
    assert abs(estoi(x, noise, SIM_RATE)) < 0.1


def test_score_falls_as_noise_rises() -> None:
    x = speech()
    noise = np.random.default_rng(2).standard_normal(len(x))
    noise *= np.sqrt(np.mean(x**2) / np.mean(noise**2))
    scores = [estoi(x, x + noise * 10 ** (-snr / 20), SIM_RATE) for snr in (20, 10, 0, -10)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0.8 and scores[-1] < 0.3


def test_a_late_copy_is_lined_up_before_scoring() -> None:
    x = speech()
    late = np.concatenate([np.zeros(80), x[:-80]])  # 5 ms late, as a filter or codec leaves it
    np.testing.assert_array_equal(align(x, late, 160)[: len(x) - 80], x[: len(x) - 80])
    assert estoi(x, late, SIM_RATE) == pytest.approx(1.0, abs=1e-3)


def test_too_short_a_span_is_not_scored() -> None:
    x = speech()[: SIM_RATE // 2]
    assert math.isnan(estoi(x, x, SIM_RATE))


def test_spans_are_scored_each_against_their_own_clean_speech() -> None:
    parts = [speech(i) for i in range(3)]
    clean = np.concatenate(parts)
    edges = np.cumsum([0, *map(len, parts)])
    spans = list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))
    # the middle sentence replaced by noise: only its span scores low
    received = clean.copy()
    s, e = spans[1]
    received[s:e] = np.random.default_rng(3).standard_normal(e - s) * np.std(clean)
    scores = score_spans(clean, received, spans, SIM_RATE)
    assert scores[0] == pytest.approx(1.0, abs=1e-3)
    assert abs(scores[1]) < 0.1
    assert scores[2] == pytest.approx(1.0, abs=1e-3)


def test_grid_is_clean_then_each_snr_then_with_fading() -> None:
    grid = conditions((0.0, 10.0), fading=True)
    assert [c.label for c in grid] == ["clean", "0 dB", "10 dB", "0 dB fading", "10 dB fading"]
    assert conditions((5.0,), fading=False) == (Condition(None), Condition(5.0))


def test_versions_meet_the_same_noise_and_fading() -> None:
    x = speech(1)
    spans = [(0, len(x))]
    grid = (Condition(None), Condition(5.0), Condition(5.0, fading=True))
    half = 0.45 / float(np.max(np.abs(x)))  # peaks at 45 % modulation
    one = score_version(x, x, spans, SIM_RATE, SHORTWAVE, grid, drive=half, seed=4)
    two = score_version(x, x, spans, SIM_RATE, SHORTWAVE, grid, drive=half, seed=4)
    # common random numbers: only the audio can make a difference (the last digits may
    # differ: BLAS sums in its own order)
    assert np.allclose(one.scores, two.scores, atol=1e-9)
    scores = [one.mean(c) for c in grid]
    assert scores[0] > scores[1] > 0.0  # noise costs intelligibility
    # a programme modulating the carrier twice as deep is heard better in the same noise
    louder = score_version(x, x, spans, SIM_RATE, SHORTWAVE, grid, drive=2 * half, seed=4)
    assert louder.mean(grid[1]) > one.mean(grid[1])


def test_spans_are_collected_from_a_stream_of_any_blocks() -> None:
    x = np.arange(10_000, dtype=np.float64)
    spans = [(100, 900), (800, 2500), (2500, 2600), (7000, 10_500)]  # overlapping, past the end
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 700, 100)
    edges = np.concatenate([[0], np.cumsum(sizes)])
    blocks = [x[a:b] for a, b in itertools.pairwise(edges) if a < len(x)]
    got = list(collect_spans(blocks, spans))
    assert [g.tolist() for g in got] == [x[s:e].tolist() for s, e in spans]


def test_a_48_khz_stream_comes_out_at_the_simulation_rate_in_time() -> None:
    t48 = np.arange(3 * 48_000) / 48_000
    tone = np.sin(2 * np.pi * 1000 * t48)
    blocks = [tone[i : i + 4_999] for i in range(0, len(tone), 4_999)]
    y = np.concatenate(list(at_sim_rate(blocks)))
    assert len(y) == len(tone) // 3
    t16 = np.arange(len(y)) / SIM_RATE
    expected = np.sin(2 * np.pi * 1000 * t16)
    middle = slice(SIM_RATE // 10, -SIM_RATE // 10)
    assert np.max(np.abs(y[middle] - expected[middle])) < 0.01


def test_comparison_streams_both_versions_against_the_plain_one() -> None:
    parts = [speech(i) for i in range(3)]
    gap = np.zeros(SIM_RATE // 2)
    plain16 = np.concatenate([gap, parts[0], gap, parts[1], gap, parts[2], gap])
    plain = np.repeat(plain16, 3).astype(np.float32)  # a 48 kHz programme, crudely
    # a "processed" version with its quiet half lifted: denser, so heard better in noise
    processed = np.tanh(3 * plain / np.max(np.abs(plain))).astype(np.float32)
    starts = np.cumsum([len(gap), len(parts[0]) + len(gap), len(parts[1]) + len(gap)])
    spans = [(3 * int(s), 3 * int(s + len(p))) for s, p in zip(starts, parts, strict=True)]
    grid = (Condition(None), Condition(5.0))

    def blocks(x: np.ndarray) -> Callable[[], list[np.ndarray]]:
        return lambda: [x[i : i + 48_000] for i in range(0, len(x), 48_000)]

    same = compare(blocks(plain), blocks(plain), spans, ["a", "b", "c"], SHORTWAVE, grid)
    assert np.allclose(same.plain.scores, same.processed.scores, atol=1e-9)
    assert same.plain.mean(grid[0]) > 0.9
    result = compare(blocks(plain), blocks(processed), spans, ["a", "b", "c"], SHORTWAVE, grid)
    assert result.processed.mean(grid[1]) > result.plain.mean(grid[1])
    doc = result.as_dict()
    assert doc["conditions"] == ["clean", "5 dB"]
    assert set(doc["messages"]) == {"a", "b", "c"}
    assert doc["mean"]["5 dB"]["processed"] == round(result.processed.mean(grid[1]), 3)


def test_as_heard_is_the_same_for_the_same_seed() -> None:
    x = np.repeat(speech(2), 3).astype(np.float32)
    a = as_heard(x, 48_000, seed=7)
    b = as_heard(x, 48_000, seed=7)
    c = as_heard(x, 48_000, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert len(a) == len(x) // 3 and a.dtype == np.float32
    assert np.max(np.abs(a)) <= 1.0
    assert text_seed("not-alone") == text_seed("not-alone") != text_seed("church-prays")


def test_as_heard_through_a_profile_chain_keeps_the_clip_length() -> None:
    # the review page's player: a clip through the shortwave chain, then over the air
    from audio_pipeline.delivery.streams import profile_chain
    from audio_pipeline.inputs.profiles import shipped_profiles

    profile = shipped_profiles()[0]["shortwave"]
    x = np.repeat(speech(0), 3).astype(np.float32)
    heard = as_heard(x, 48_000, seed=1, processing=profile_chain(profile, -23.0))
    plain = as_heard(x, 48_000, seed=1)
    assert len(heard) == len(plain) == len(x) // 3
    assert float(np.std(heard)) > float(np.std(plain))  # denser: louder at the same setting


def test_spans_are_collected_as_the_stream_goes_never_the_whole_stream_held() -> None:
    """A render scores a whole programme: its spans must come out while the stream is read
    (it once read every block into a list first: 3.5 GB for a 40-minute programme)."""
    read: list[int] = []

    def blocks() -> Iterator[np.ndarray]:
        for i in range(100):
            read.append(i)
            yield np.full(10, float(i))

    spans = iter(collect_spans(blocks(), [(5, 15), (500, 510)]))
    first = next(spans)
    assert first.tolist() == [0.0] * 5 + [1.0] * 5 and len(read) == 2  # two blocks read, no more
    second = next(spans)
    assert second.tolist() == [50.0] * 10 and len(read) == 51
