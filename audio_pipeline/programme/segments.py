"""Stage: every piece of the programme normalized to the speech reference (bumpers
loudness-matched), the slot's tempo-up applied to the messages, each written to the
render's staging folder as a Segment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from audio_pipeline.audio import dsp, ffmpeg, wavfile
from audio_pipeline.core import defaults
from audio_pipeline.core.digest import text_sha256
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.models import (
    Clip,
    Episode,
    Message,
    Segment,
    SegmentKind,
)
from audio_pipeline.inputs.episodes import EpisodeAudio
from audio_pipeline.inputs.fillers import Filler
from audio_pipeline.speech.synthesis import load_clip

SR = defaults.SAMPLE_RATE


def _normalized_segment(
    samples: np.ndarray,
    kind: SegmentKind,
    work: Path,
    name: str,
    episode: Episode,
    **meta: object,
) -> Segment:
    """Normalize one piece to the episode's speech reference and ceiling, stage, measure it."""
    try:
        y, loudness = dsp.normalize_measured(
            samples, SR, episode.target_lufs, episode.true_peak_dbtp
        )
    except ValueError as exc:
        raise RenderError(f"{name}: {exc}") from exc
    path = work / f"{name}.f32.wav"
    wavfile.write(path, y, SR, "float32")
    return Segment(
        index=0,
        kind=kind,
        path=path,
        start=0,
        length=len(y),
        loudness=loudness,
        **meta,  # type: ignore[arg-type]
    )


class SegmentMaker:
    """Stage: normalize every piece to the speech reference (bumpers loudness-matched), with
    the slot's tempo-up applied to the messages. Pieces are normalized side by side on
    `pool`, one per core: each is a pure function of its own audio (the loudness meter
    releases the GIL). When the tempo is known before synthesis ends (no tempo-up to plan),
    each message is handed in the moment its clip is made (`start`), so a cold render
    normalizes while it waits on the engine."""

    def __init__(
        self,
        episode: Episode,
        messages: Mapping[str, Message],
        work: Path,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.episode, self.messages, self.work, self.pool = episode, messages, work, pool
        self._started: dict[str, tuple[Clip, float, Future[Segment]]] = {}

    def start(self, clip: Clip, tempo: float = 1.0) -> None:
        """Normalize this clip's message now, in the background."""
        future = self.pool.submit(self._message, clip, tempo)
        self._started[clip.message_id] = (clip, tempo, future)

    def _bumper(self, samples: np.ndarray, kind: SegmentKind) -> Segment:
        return _normalized_segment(samples, kind, self.work, kind.value, self.episode)

    def _message(
        self, clip: Clip, tempo: float, kind: SegmentKind = SegmentKind.MESSAGE
    ) -> Segment:
        text = self.messages[clip.message_id]
        return _normalized_segment(
            ffmpeg.change_tempo(load_clip(clip), SR, tempo),
            kind,
            self.work,
            f"{kind.value}-{clip.message_id}",
            self.episode,
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
        intro = self.pool.submit(self._bumper, pieces.intro, SegmentKind.INTRO)
        outro = self.pool.submit(self._bumper, pieces.outro, SegmentKind.OUTRO)
        sting = (
            None
            if pieces.sting is None
            else self.pool.submit(self._bumper, pieces.sting, SegmentKind.STING)
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
                        _normalized_segment,
                        item.samples,
                        SegmentKind.FILLER,
                        self.work,
                        f"filler-{n}-{item.name}",
                        self.episode,
                        title=item.name,
                    )
                )
        return [job.result() for job in jobs]
