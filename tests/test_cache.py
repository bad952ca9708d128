"""The content-addressed clip cache: reuse, atomic writes, corruption detected on read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_pipeline.cache import ClipCache, cache_key

from .conftest import SR, sine


def test_key_depends_on_content_only() -> None:
    a = cache_key({"engine": "espeak", "sentences": [["안녕.", 0.0]], "options": {"rate": 1}})
    b = cache_key({"options": {"rate": 1}, "sentences": [["안녕.", 0.0]], "engine": "espeak"})
    c = cache_key({"engine": "espeak", "sentences": [["안녕!", 0.0]], "options": {"rate": 1}})
    assert a == b != c


def test_put_then_get(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    x = sine(440, 0.5, -10)
    cache.put("ab" * 32, x, SR, {"engine": "espeak"})
    hit = cache.get("ab" * 32)
    assert hit is not None
    _path, meta = hit
    assert meta["frames"] == len(x) and meta["engine"] == "espeak"
    assert not list(tmp_path.rglob("*.tmp"))  # no temp file left behind


def test_corrupt_entry_is_a_miss_and_removed(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    path = cache.put("cd" * 32, sine(440, 0.5, -10), SR, {})
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))
    assert cache.get("cd" * 32) is None
    assert not path.exists()


def test_wav_without_commit_marker_is_a_miss(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    path = cache.put("ef" * 32, sine(440, 0.5, -10), SR, {})
    path.with_suffix(".json").unlink()
    assert cache.get("ef" * 32) is None
    assert cache.stats().incomplete == 1


def test_stats_and_clear(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    for i in range(3):
        cache.put(f"{i:02d}" * 32, np.full(SR // 10, 0.1, dtype=np.float32), SR, {})
    stats = cache.stats()
    assert stats.entries == 3 and stats.bytes > 3 * (SR // 10) * 4
    assert cache.clear() == 3
    assert cache.stats().entries == 0
