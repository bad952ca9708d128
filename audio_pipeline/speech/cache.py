"""Content-addressed clip cache, safe for concurrent use by separate processes.

Key: sha256 of the canonical JSON of everything that shapes the synthesized clip (engine,
engine version, voice options, tempo, trim threshold, the exact sentences sent and their
pauses). The same text with the same voice settings is reused across runs and episodes.

Entry: `<key[:2]>/<key>.json`, the commit marker (what made the clip, the WAV's sha256 and
frame count, the WAV's name), and `<key[:2]>/<key>.<sha256[:16]>.wav` (48 kHz mono float32),
named by its own content. Both are written to a temporary file in the same folder and
renamed into place, WAV first. A reader checks the JSON, the hash and the WAV header;
anything wrong is a miss, and the bad entry is removed so the clip is synthesized again.

The same store, under `normalized/`, keeps each clip (and bumper) as the programme stage
normalized it (programme.segments): keyed by the raw clip's content address and everything
else that shapes the normalized samples, so a warm render measures no clip again.
`cache stats` counts both kinds of entry, `cache clear` removes both.

A WAV file never changes once it has its name, so a clip a reader has verified stays what
it verified even while another process commits the same key: a network engine need not
answer the same bytes twice, and with one file per key a second writer's WAV could meet
the first writer's JSON, be taken for corruption and be deleted under a third process that
was about to read it. A WAV whose JSON was replaced is left over; `cache clear` removes it.
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

from audio_pipeline.audio import wavfile
from audio_pipeline.core.digest import sha256_file
from audio_pipeline.core.errors import RenderError, explain_os_error

CACHE_FORMAT = 2  # bump when the entry layout or the processing before caching changes
NORMALIZED_DIR = "normalized"  # the normalized clips' entries, under the clip cache's root


def cache_key(parts: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"cache_format": CACHE_FORMAT, **parts},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _write_temp(folder: Path, name: str, write: Any) -> Path:
    """Write through `write(path)` to a fresh temp file in `folder`, fsynced; return it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise
    return tmp_path


def _atomic_write(target: Path, write: Any) -> None:
    """Write through `write(path)` to a temp file beside `target`, fsync, rename into place."""
    tmp_path = _write_temp(target.parent, target.name, write)
    try:
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
    incomplete: int  # WAVs no commit marker names, or stray temp files
    normalized: int = 0  # of the entries, normalized clips (see NORMALIZED_DIR)


class CacheError(RenderError):
    """The cache folder cannot be written (disk full, read-only, permissions)."""


class ClipCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def holding(cls, path: Path, key: str) -> ClipCache | None:
        """The cache whose entry `key` is the WAV at `path` (None when it is not laid out as
        an entry of a cache: `<root>/<key[:2]>/<key>.<sha256[:16]>.wav`)."""
        if path.parent.name != key[:2] or not path.name.startswith(f"{key}."):
            return None
        return cls(path.parent.parent)

    def normalized(self) -> ClipCache:
        """The store of normalized clips, inside this cache (so stats and clear cover it)."""
        return ClipCache(self.root / NORMALIZED_DIR)

    def _meta_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[Path, dict[str, Any]] | None:
        """The entry's WAV path and metadata, or None (a miss; a corrupt entry is removed)."""
        meta_path = self._meta_path(key)
        try:
            raw = meta_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return None  # unreadable: a miss; synthesis will say what is wrong if it matters
        wav: Path | None = None
        try:
            meta = json.loads(raw.decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("key") != key:
                raise ValueError("not this key's record")
            name = meta.get("wav")
            if not isinstance(name, str) or Path(name).name != name or not name.startswith(key):
                raise ValueError("no WAV named")
            wav = meta_path.parent / name
            if meta.get("sha256") != sha256_file(wav):
                raise ValueError("hash mismatch")
            info = wavfile.read_info(wav)
            if info.frames != meta.get("frames") or info.frames == 0:
                raise ValueError("frame count mismatch")
        except (OSError, ValueError, UnicodeDecodeError):
            self._discard_record(meta_path, raw, wav)
            return None
        return wav, meta

    def put(self, key: str, samples: np.ndarray, sample_rate: int, meta: dict[str, Any]) -> Path:
        meta_path = self._meta_path(key)
        try:
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            staged = _write_temp(
                meta_path.parent,
                f"{key}.wav",
                lambda p: wavfile.write(p, samples, sample_rate, "float32"),
            )
            sha = sha256_file(staged)
            wav = meta_path.parent / f"{key}.{sha[:16]}.wav"
            os.replace(staged, wav)  # same name, same bytes: replacing a twin changes nothing
            record = {
                **meta,
                "key": key,
                "wav": wav.name,
                "sha256": sha,
                "frames": int(samples.shape[0]),
                "sample_rate": sample_rate,
            }
            text = json.dumps(record, ensure_ascii=False, indent=1)
            _atomic_write(meta_path, lambda p: p.write_text(text, "utf-8"))
        except OSError as exc:
            raise CacheError(explain_os_error(exc, self.root, "the clip cache")) from exc
        return wav

    def _discard_record(self, meta_path: Path, seen: bytes, wav: Path | None) -> None:
        """Remove a bad entry: its WAV, and its JSON unless another process has meanwhile
        committed a new one (a fresh, good entry must not be taken down with the old)."""
        if wav is not None:
            with contextlib.suppress(OSError):
                wav.unlink()
        with contextlib.suppress(OSError):
            if meta_path.read_bytes() == seen:
                meta_path.unlink()

    def stats(self) -> CacheStats:
        entries = size = incomplete = normalized = 0
        named: set[str] = set()
        wavs: list[Path] = []
        if self.root.is_dir():
            for path in self.root.rglob("*"):
                if not path.is_file():
                    continue
                size += path.stat().st_size
                if path.name.endswith(".tmp"):
                    incomplete += 1
                elif path.suffix == ".json":
                    entries += 1
                    normalized += path.relative_to(self.root).parts[0] == NORMALIZED_DIR
                    with contextlib.suppress(OSError, ValueError, AttributeError):
                        named.add(str(json.loads(path.read_text("utf-8")).get("wav")))
                elif path.suffix == ".wav":
                    wavs.append(path)
        incomplete += sum(1 for w in wavs if w.name not in named)
        return CacheStats(self.root, entries, size, incomplete, normalized)

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
