"""Stage: the music bed normalized under the speech reference, looped, placed under the
programme and ducked under speech."""

from __future__ import annotations

import numpy as np

from audio_pipeline.audio import dsp
from audio_pipeline.audio.bed import make_loop
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.models import BedSettings, Episode
from audio_pipeline.core.results import BedTrack, Programme, SegmentKind

SR = defaults.SAMPLE_RATE


def build_bed(
    settings: BedSettings, raw: np.ndarray, programme: Programme, episode: Episode, label: str
) -> BedTrack:
    """Stage: the bed (`raw`, as validation decoded it) normalized under the speech
    reference, looped, placed and ducked."""
    try:
        level = dsp.normalize(
            raw, SR, episode.target_lufs + settings.level_lu, episode.true_peak_dbtp
        )
    except ValueError as exc:
        raise RenderError(f"{label}: {exc}") from exc
    head, loop = make_loop(level, round(settings.loop_crossfade_s * SR))
    segments = programme.segments
    if settings.under == "bumpers":
        spans = tuple(
            (s.start, s.end) for s in segments if s.kind in (SegmentKind.INTRO, SegmentKind.OUTRO)
        )
        ducks: tuple[tuple[int, int], ...] = ()
    else:
        spans = ((0, programme.length),)
        ducks = tuple((s.start, s.end) for s in segments)
    return BedTrack(
        head=head,
        loop=loop,
        spans=spans,
        ducks=ducks,
        duck_db=settings.duck_db,
        attack=round(settings.attack_s * SR),
        release=round(settings.release_s * SR),
        fade=round(settings.fade_s * SR),
    )
