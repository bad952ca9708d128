"""The content-addressed clip cache: reuse, atomic writes, corruption detected on read."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.core.project import Project
from audio_pipeline.speech.cache import CacheError, ClipCache, cache_key
from tests.conftest import SR, sine


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
    cache.put("ef" * 32, sine(440, 0.5, -10), SR, {})
    (tmp_path / "ef" / f"{'ef' * 32}.json").unlink()
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


def test_stats_and_clear_cover_the_normalized_clips(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    path = cache.put("ab" * 32, np.full(SR // 10, 0.1, dtype=np.float32), SR, {})
    found = ClipCache.holding(path, "ab" * 32)
    assert found is not None and found.root == cache.root
    assert ClipCache.holding(tmp_path / "elsewhere.wav", "ab" * 32) is None
    cache.normalized().put("cd" * 32, np.full(SR // 10, 0.05, dtype=np.float32), SR, {})
    stats = cache.stats()
    assert (stats.entries, stats.normalized, stats.incomplete) == (2, 1, 0)
    assert cache.clear() == 2
    assert cache.normalized().get("cd" * 32) is None and cache.stats().entries == 0


def test_a_verified_clip_stays_what_it_was_while_another_process_commits_the_key(
    tmp_path: Path,
) -> None:
    """A network engine may answer different bytes for the same key: the first reader's
    verified WAV must not change or vanish under it when a second writer commits."""
    cache = ClipCache(tmp_path)
    key = "aa" * 32
    first = sine(440, 0.5, -10)
    cache.put(key, first, SR, {})
    hit = cache.get(key)
    assert hit is not None
    verified = hit[0]
    cache.put(key, sine(660, 0.5, -10), SR, {})  # another process, another answer
    samples, _ = wavfile.read(verified)
    np.testing.assert_array_equal(samples, first)
    newer = cache.get(key)
    assert newer is not None and newer[0] != verified  # readers now get the newer entry
    assert cache.stats().incomplete == 1  # the superseded WAV, removed by `cache clear`
    assert cache.clear() == 1 and not list(tmp_path.rglob("*.wav"))


def test_discarding_a_corrupt_entry_spares_a_fresh_commit(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    key = "bb" * 32
    path = cache.put(key, sine(440, 0.5, -10), SR, {})
    meta = tmp_path / "bb" / f"{key}.json"
    seen = meta.read_bytes()
    path.write_bytes(path.read_bytes()[:100])  # the disk lost the end of the WAV
    fresh = cache.put(key, sine(550, 0.5, -10), SR, {})  # meanwhile, a writer recommits
    cache._discard_record(meta, seen, path)  # what the reader that saw the old one does
    assert cache.get(key) is not None and cache.get(key)[0] == fresh  # type: ignore[index]


def test_a_full_disk_is_one_clear_line_naming_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: Path, *args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(wavfile, "write", full)
    with pytest.raises(CacheError) as failure:
        ClipCache(tmp_path).put("cc" * 32, sine(440, 0.5, -10), SR, {})
    assert str(failure.value) == f"cannot write to the clip cache ({tmp_path}): the disk is full"
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.slow
def test_a_corrupt_cached_clip_is_found_on_read_and_synthesized_again(project: Project) -> None:
    from audio_pipeline.app.render import render_episode
    from tests.episodes import add_messages, write_episode

    episode = write_episode(project, "rot", add_messages(project, 2, sentences_each=0))
    first = render_episode(project, episode)
    assert first.output_dir is not None and first.clips_synthesized == 2
    wav = first.output_dir / "rot.wav"
    before = wav.read_bytes()
    (victim, *_) = sorted(project.cache_dir.glob("??/*.wav"))  # a clip, not a normalized piece
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x40  # one flipped bit in the audio: the header still reads fine
    victim.write_bytes(bytes(data))

    second = render_episode(project, episode)
    assert (second.clips_cached, second.clips_synthesized) == (1, 1)
    assert wav.read_bytes() == before  # the same programme, from a clip made again
    assert not victim.exists() or victim.read_bytes() != bytes(data)
    assert ClipCache(project.cache_dir).stats().incomplete == 0
