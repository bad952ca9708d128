"""Stage: every piece of the programme normalized to the speech reference (bumpers
loudness-matched), the slot's tempo-up applied to the messages, each written to the
render's staging folder as a Segment.

Normalizing measures each piece several times (libebur128 and the true-peak meter, once per
round): a quarter of a warm render. The result is a pure function of the piece and the
episode's target, ceiling and tempo, so it is kept in the clip cache (speech.cache, under
`normalized/`) by content: a warm render links each cached piece into its staging folder
and measures nothing again. The bytes are the same either way.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import math
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp, ffmpeg, wavfile
from audio_pipeline.core import defaults
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.models import Episode, Message
from audio_pipeline.core.results import Clip, Loudness, Segment, SegmentKind
from audio_pipeline.inputs.episodes import EpisodeAudio
from audio_pipeline.inputs.fillers import Filler
from audio_pipeline.speech.cache import CacheError, ClipCache, cache_key
from audio_pipeline.speech.synthesis import load_clip

SR = defaults.SAMPLE_RATE
log = logging.getLogger(__name__)

# bump when dsp.normalize_measured (or the meter it reads) changes what it makes of the same
# piece, or when what is stored with a normalized piece changes
NORMALIZER_VERSION = 2


@functools.cache
def _arithmetic() -> dict[str, str]:
    """The libraries whose arithmetic makes the normalized samples: another version may
    round differently, and a cached piece must be the very bytes normalizing would make."""
    return {name: metadata.version(name) for name in ("numpy", "scipy")}


def normalized_key(source: str, episode: Episode, tempo: float = 1.0) -> str:
    """Everything that shapes a normalized piece: its source's content address, the target,
    the ceiling, the tempo (and the ffmpeg that changes it), the normalizer and its maths."""
    parts: dict[str, object] = {
        "normalized": NORMALIZER_VERSION,
        "source": source,
        "target_lufs": episode.target_lufs,
        "true_peak_dbtp": episode.true_peak_dbtp,
        "tolerance_lu": defaults.CLIP_TOLERANCE_LU / 2,
        "sample_rate": SR,
        "tempo": tempo,
        **_arithmetic(),
    }
    if tempo != 1.0:
        parts["ffmpeg"] = ffmpeg.version()
    return cache_key(parts)


def _place(cached: Path, path: Path) -> None:
    """The cached WAV at `path` in the staging folder: a hard link (no copy, and it stays
    there whatever `cache clear` does meanwhile), or a copy across file systems."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    try:
        os.link(cached, path)
    except OSError:
        shutil.copyfile(cached, path)


@dataclass(frozen=True)
class _Stored:
    """One normalized piece's place in the cache."""

    store: ClipCache
    key: str

    def fetch(self, path: Path) -> tuple[int, Loudness] | None:
        """The piece placed at `path`, with its frame count and loudness; None on a miss."""
        hit = self.store.get(self.key)
        if hit is None:
            return None
        wav, meta = hit
        try:
            loudness = Loudness(**{k: float(v) for k, v in meta["loudness"].items()})
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # a record this version cannot read: normalized again, replaced
        if not math.isfinite(loudness.integrated_lufs):
            return None
        try:
            _place(wav, path)
        except FileNotFoundError:
            return None  # cleared between the check and the link
        return int(meta["frames"]), loudness

    def keep(self, y: np.ndarray, loudness: Loudness, path: Path) -> None:
        """Write the piece into the cache and place it at `path`; a cache that cannot be
        written costs only the next render's time (the piece is written where it is due)."""
        try:
            _place(self.store.put(self.key, y, SR, {"loudness": asdict(loudness)}), path)
        except (CacheError, OSError) as exc:
            log.warning("normalized clip not cached: %s", exc)
            wavfile.write(path, y, SR, "float32")


def _normalized_segment(
    audio: Callable[[], np.ndarray],
    kind: SegmentKind,
    work: Path,
    name: str,
    episode: Episode,
    stored: _Stored | None = None,
    **meta: object,
) -> Segment:
    """Normalize one piece to the episode's speech reference and ceiling, stage, measure it
    (or take it from the cache: `audio` is then never made)."""
    path = work / f"{name}.f32.wav"
    hit = stored.fetch(path) if stored is not None else None
    if hit is not None:
        length, loudness = hit
    else:
        try:
            y, loudness = dsp.normalize_measured(
                audio(), SR, episode.target_lufs, episode.true_peak_dbtp
            )
        except ValueError as exc:
            raise RenderError(f"{name}: {exc}") from exc
        if stored is not None:
            stored.keep(y, loudness, path)
        else:
            wavfile.write(path, y, SR, "float32")
        length = len(y)
    return Segment(
        index=0,
        kind=kind,
        path=path,
        start=0,
        length=length,
        loudness=loudness,
        **meta,  # type: ignore[arg-type]
    )


class SegmentMaker:
    """Stage: normalize every piece to the speech reference (bumpers loudness-matched), with
    the slot's tempo-up applied to the messages. Pieces are normalized side by side on
    `pool`, one per core: each is a pure function of its own audio (the loudness meter
    releases the GIL). When the tempo is known before synthesis ends (no tempo-up to plan),
    each message is handed in the moment its clip is made (`start`), so a cold render
    normalizes while it waits on the engine.

    Normalized pieces are kept in `cache` (the clip cache), or, when none is given, in the
    cache the clips themselves come from."""

    def __init__(
        self,
        episode: Episode,
        messages: Mapping[str, Message],
        work: Path,
        pool: ThreadPoolExecutor,
        cache: ClipCache | None = None,
    ) -> None:
        self.episode, self.messages, self.work, self.pool = episode, messages, work, pool
        self.cache = cache
        self._started: dict[str, tuple[Clip, float, Future[Segment]]] = {}

    def _store(self, clips: Sequence[Clip]) -> ClipCache | None:
        if self.cache is not None:
            return self.cache.normalized()
        for clip in clips:
            found = ClipCache.holding(clip.path, clip.cache_key)
            if found is not None:
                return found.normalized()
        return None

    def start(self, clip: Clip, tempo: float = 1.0) -> None:
        """Normalize this clip's message now, in the background."""
        future = self.pool.submit(self._message, clip, tempo)
        self._started[clip.message_id] = (clip, tempo, future)

    def _bumper(
        self,
        samples: np.ndarray,
        kind: SegmentKind,
        store: ClipCache | None,
        name: str | None = None,
        **meta: object,
    ) -> Segment:
        """A decoded piece (bumper, audio filler), cached by the hash of its samples."""
        stored = None
        if store is not None:
            source = "sha256:" + hashlib.sha256(np.ascontiguousarray(samples).data).hexdigest()
            stored = _Stored(store, normalized_key(source, self.episode))
        return _normalized_segment(
            lambda: samples, kind, self.work, name or kind.value, self.episode, stored, **meta
        )

    def _message(
        self, clip: Clip, tempo: float, kind: SegmentKind = SegmentKind.MESSAGE
    ) -> Segment:
        text = self.messages[clip.message_id]
        store = self._store([clip])
        stored = None
        if store is not None:
            # the clip's WAV is named by its content (speech.cache): its name is its address
            stored = _Stored(store, normalized_key(clip.path.name, self.episode, tempo))
        return _normalized_segment(
            lambda: ffmpeg.change_tempo(load_clip(clip), SR, tempo),
            kind,
            self.work,
            f"{kind.value}-{clip.message_id}",
            self.episode,
            stored,
            message_id=clip.message_id,
            title=text.title,
            engine=clip.engine,
            voice=clip.voice,
            fallback=clip.fallback,
            cached=clip.cached,
            text_sha256=text_sha256(text.text),
            spoken_text=clip.spoken_text,
            tempo=tempo,
        )

    def _for(self, clip: Clip, tempo: float) -> Future[Segment]:
        started = self._started.get(clip.message_id)
        if started is not None and started[0] == clip and started[1] == tempo:
            return started[2]
        return self.pool.submit(self._message, clip, tempo)

    def segments(
        self, clips: list[Clip], pieces: EpisodeAudio, tempo: float = 1.0
    ) -> tuple[Segment, list[Segment], Segment, Segment | None]:
        """Intro, the messages in order, outro, sting: normalized."""
        store = self._store(clips)
        intro = self.pool.submit(self._bumper, pieces.intro, SegmentKind.INTRO, store)
        outro = self.pool.submit(self._bumper, pieces.outro, SegmentKind.OUTRO, store)
        sting = (
            None
            if pieces.sting is None
            else self.pool.submit(self._bumper, pieces.sting, SegmentKind.STING, store)
        )
        segments = [self._for(clip, tempo) for clip in clips]
        # results in a fixed order (bumpers, then messages): the first problem is the one told
        done = (intro.result(), outro.result(), sting.result() if sting is not None else None)
        return done[0], [s.result() for s in segments], done[1], done[2]

    def fillers(self, items: Sequence[Filler], readings: Mapping[str, Clip]) -> list[Segment]:
        """The filler items a slot plays, normalized like every piece: an audio item at the
        speech reference (loudness-matched, as bumpers are), a reading as a message is (its
        clip in `readings`, by message id; never sped up)."""
        jobs: list[Future[Segment]] = []
        for n, item in enumerate(items):
            if item.message is not None:
                jobs.append(
                    self.pool.submit(
                        self._message, readings[item.message.id], 1.0, SegmentKind.FILLER
                    )
                )
            else:
                assert item.samples is not None
                jobs.append(
                    self.pool.submit(
                        self._bumper,
                        item.samples,
                        SegmentKind.FILLER,
                        self._store(list(readings.values())),
                        f"filler-{n}-{item.name}",
                        title=item.name,
                    )
                )
        return [job.result() for job in jobs]
