"""One profile's stream (streams.py): the trim curve between messages, block by block, is
numpy's interpolation of the trims over the whole programme; the stream limiter holds its
ceiling by ffmpeg's true-peak meter and keeps every sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_pipeline.audio import wavfile
from audio_pipeline.delivery.streams import StreamLimiter, Trims
from tests.audio.test_processing import speechlike
from tests.conftest import SR, ffmpeg_ebur128


def test_trim_curve_block_by_block_is_the_interpolated_curve() -> None:
    spans = ((1000, 5000, 1.5), (6000, 9000, -2.0), (9500, 12000, 0.25))
    xs = [x for s, e, _ in spans for x in (s, e - 1)]
    ys = [t for _, _, t in spans for _ in (0, 1)]
    length = 14_000
    want = 10 ** (np.interp(np.arange(length), xs, ys) / 20)
    for block in (1, 333, 1000, 4000, length):
        got = np.concatenate(
            [
                np.broadcast_to(
                    Trims(spans).curve(s, min(s + block, length)), min(block, length - s)
                )
                for s in range(0, length, block)
            ]
        )
        np.testing.assert_allclose(got, want, rtol=1e-14)
    assert Trims(()).curve(0, 10) is None
    assert np.ndim(Trims(spans).curve(2000, 3000)) == 0  # inside one message: one number


def test_the_stream_limiter_holds_its_ceiling_and_keeps_every_sample(tmp_path: Path) -> None:
    x = speechlike(4.0) * 6  # peaks far over -3 dBTP
    limiter = StreamLimiter(-3.0)
    parts = [y for i in range(0, len(x), 10_000) for y in limiter.push(x[i : i + 10_000])]
    y = np.concatenate([*parts, *limiter.flush()])
    assert len(y) == len(x)
    path = tmp_path / "limited.wav"
    wavfile.write(path, y, SR, "float32")
    assert ffmpeg_ebur128(path)["TP"] <= -3.0 + 0.1  # ffmpeg reads to 0.1 dB
