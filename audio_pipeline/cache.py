"""Content-addressed clip cache, safe for concurrent use by separate processes.

Key: sha256 of the canonical JSON of everything that shapes the synthesized clip (engine,
engine version, voice options, tempo, trim threshold, the exact sentences sent and their
pauses). The same text with the same voice settings is reused across runs and episodes.

Entry: `<key[:2]>/<key>.wav` (48 kHz mono float32) and `<key>.json` (what made it, the WAV's
sha256 and frame count). Both are written to a temporary file in the same folder and
renamed into place, WAV first; the JSON is the commit marker. A reader checks the JSON, the
hash and the WAV header; anything wrong is a miss, and the bad entry is removed so the clip
is synthesized again. Two processes writing the same key write identical bytes, and rename
is atomic, so neither can observe a half-written entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import wavfile

CACHE_FORMAT = 1  # bump when the entry layout or the processing before caching changes


def cache_key(parts: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"cache_format": CACHE_FORMAT, **parts},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(target: Path, write: Any) -> None:
    """Write through `write(path)` to a temp file beside `target`, fsync, rename into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@dataclass(frozen=True)
class CacheStats:
    root: Path
    entries: int
    bytes: int
    incomplete: int  # WAVs without a commit marker, or stray temp files


class ClipCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.wav", folder / f"{key}.json"

    def get(self, key: str) -> tuple[Path, dict[str, Any]] | None:
        """The entry's WAV path and metadata, or None (a miss; a corrupt entry is removed)."""
        wav, meta_path = self._paths(key)
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            if meta.get("key") != key or meta.get("sha256") != _sha256_file(wav):
                raise ValueError("hash mismatch")
            info = wavfile.read_info(wav)
            if info.frames != meta.get("frames") or info.frames == 0:
                raise ValueError("frame count mismatch")
        except (OSError, ValueError, json.JSONDecodeError):
            self.discard(key)
            return None
        return wav, meta

    def put(self, key: str, samples: np.ndarray, sample_rate: int, meta: dict[str, Any]) -> Path:
        wav, meta_path = self._paths(key)
        wav.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(wav, lambda p: wavfile.write(p, samples, sample_rate, "float32"))
        record = {
            **meta,
            "key": key,
            "sha256": _sha256_file(wav),
            "frames": int(samples.shape[0]),
            "sample_rate": sample_rate,
        }
        _atomic_write(
            meta_path,
            lambda p: p.write_text(json.dumps(record, ensure_ascii=False, indent=1), "utf-8"),
        )
        return wav

    def discard(self, key: str) -> None:
        for path in self._paths(key):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def stats(self) -> CacheStats:
        entries = size = incomplete = 0
        if self.root.is_dir():
            for path in self.root.rglob("*"):
                if not path.is_file():
                    continue
                size += path.stat().st_size
                if path.name.endswith(".tmp"):
                    incomplete += 1
                elif path.suffix == ".json":
                    entries += 1
                elif path.suffix == ".wav" and not path.with_suffix(".json").exists():
                    incomplete += 1
        return CacheStats(self.root, entries, size, incomplete)

    def clear(self) -> int:
        """Remove every entry and temp file; returns how many entries were removed."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in sorted(self.root.rglob("*"), reverse=True):
            if path.is_file() and (path.suffix in (".wav", ".json", ".tmp")):
                removed += path.suffix == ".json"
                path.unlink()
            elif path.is_dir():
                with contextlib.suppress(OSError):
                    path.rmdir()
        return removed
