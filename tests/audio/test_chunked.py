"""Fixed-chunk processing (chunked.py): a processor's chunks are the same, counted from the
start of the stream, whatever blocks it is fed; its look-ahead is taken out, and flushing
gives exactly the samples still owed. The output is checked against numpy's own
convolution of the whole signal."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.audio.chunked import Chunked

CHUNK = 64


class CentredSum(Chunked):
    """y[n] = x[n - L] + ... + x[n + L]: a processor that needs L samples of look-ahead."""

    def __init__(self, reach: int) -> None:
        super().__init__(CHUNK, latency=reach)
        self.reach = reach
        self.history = np.zeros(2 * reach)
        self.chunks: list[np.ndarray] = []

    def _process_chunk(self, x: np.ndarray) -> np.ndarray:
        self.chunks.append(x.copy())
        data = np.concatenate([self.history, x])
        self.history = data[len(x) :]
        return np.convolve(data, np.ones(2 * self.reach + 1), "valid")


def run(processor: Chunked, x: np.ndarray, block: int) -> np.ndarray:
    parts = [processor.process(x[i : i + block]) for i in range(0, len(x), block)]
    return np.concatenate([*parts, processor.flush()])


SIGNAL = np.random.default_rng(1).uniform(-0.5, 0.5, 1_000).astype(np.float32)


@pytest.mark.parametrize("block", [1, 7, 63, 64, 65, 1_000])
def test_any_feeding_gives_the_whole_signals_result_at_its_length(block: int) -> None:
    y = run(CentredSum(5), SIGNAL, block)
    assert y.dtype == np.float32 and len(y) == len(SIGNAL)
    want = np.convolve(SIGNAL.astype(np.float64), np.ones(11), "same")
    np.testing.assert_allclose(y, want, atol=1e-6)


@pytest.mark.parametrize("block", [1, 50, 333])
def test_the_chunks_are_counted_from_the_start_of_the_stream(block: int) -> None:
    processor = CentredSum(3)
    run(processor, SIGNAL, block)
    assert all(len(c) == CHUNK for c in processor.chunks)
    joined = np.concatenate(processor.chunks)
    np.testing.assert_array_equal(joined[: len(SIGNAL)], SIGNAL.astype(np.float64))
    assert not joined[len(SIGNAL) :].any()  # silence after the end, only to flush


def test_a_block_smaller_than_a_chunk_waits_and_nothing_fed_owes_nothing() -> None:
    processor = CentredSum(2)
    assert len(processor.process(SIGNAL[:10])) == 0  # not a whole chunk yet
    assert len(processor.flush()) == 10
    assert len(CentredSum(2).flush()) == 0
