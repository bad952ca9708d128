"""The music bed (bedtrack.py): normalized under the speech reference, made a seamless loop,
placed under the whole programme (ducked under every piece) or under the bumpers only. Its
level is read back by an independent meter (libebur128, through pyebur128)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.models import BedSettings, Episode
from audio_pipeline.core.results import Loudness, Programme, Segment, SegmentKind
from audio_pipeline.programme.bedtrack import build_bed

SR = 48_000
LAYOUT = [  # (kind, start, end) in samples
    (SegmentKind.INTRO, 0, 5 * SR),
    (SegmentKind.MESSAGE, 6 * SR, 20 * SR),
    (SegmentKind.STING, 21 * SR, 22 * SR),
    (SegmentKind.MESSAGE, 23 * SR, 40 * SR),
    (SegmentKind.OUTRO, 41 * SR, 47 * SR),
]
PROGRAMME = Programme(
    "2026-w47",
    "t",
    SR,
    47 * SR,
    tuple(
        Segment(i, kind, Path("x.wav"), start, end - start, Loudness(-23.0, -3.0))
        for i, (kind, start, end) in enumerate(LAYOUT, start=1)
    ),
)
EPISODE = Episode(
    id="2026-w47",
    title="t",
    date=dt.date(2026, 11, 22),
    voice="ko-offline",
    messages=("a", "b"),
    intro=Path("intro.wav"),
    outro=Path("outro.wav"),
    source=Path("e.yaml"),
    target_lufs=-23.0,
    true_peak_dbtp=-3.0,
)


def noise(seconds: float, level: float = 0.3) -> np.ndarray:
    return (np.random.default_rng(5).standard_normal(round(seconds * SR)) * level).astype(
        np.float32
    )


def lufs(x: np.ndarray) -> float:
    import pyebur128

    state = pyebur128.R128State(1, SR, int(pyebur128.MeasurementMode.MODE_I))
    state.add_frames(np.ascontiguousarray(x, dtype=np.float32), len(x))
    return float(pyebur128.get_loudness_global(state))


def settings(**kw: object) -> BedSettings:
    return BedSettings(file=Path("voices/beds/soft-pad.wav"), **kw)  # type: ignore[arg-type]


def test_the_bed_sits_its_level_under_the_speech_target_and_loops_without_a_seam() -> None:
    raw = noise(8.0)
    bed = build_bed(
        settings(level_lu=-16.0, loop_crossfade_s=0.5), raw, PROGRAMME, EPISODE, "soft-pad"
    )
    assert len(bed.head) == SR // 2 and len(bed.loop) == len(raw) - SR // 2
    # -23 LUFS for speech, the bed 16 LU under it: -39, as libebur128 reads the loop played
    # over and over (what the listener hears after the first pass)
    assert lufs(np.tile(bed.loop, 3)) == pytest.approx(-39.0, abs=0.5)
    # the first pass starts as the recording does, at the level the loop has
    gain = bed.head[: SR // 10] / raw[: SR // 10]
    assert np.allclose(gain, gain[0], rtol=1e-4) and 20 * np.log10(gain[0]) < -10.0


def test_under_the_programme_the_bed_plays_throughout_and_ducks_under_every_piece() -> None:
    bed = build_bed(settings(), noise(4.0), PROGRAMME, EPISODE, "soft-pad")
    assert bed.spans == ((0, 47 * SR),)
    assert bed.ducks == tuple((start, end) for _, start, end in LAYOUT)


def test_under_the_bumpers_the_bed_plays_with_intro_and_outro_only_and_never_ducks() -> None:
    bed = build_bed(settings(under="bumpers"), noise(4.0), PROGRAMME, EPISODE, "soft-pad")
    assert bed.spans == ((0, 5 * SR), (41 * SR, 47 * SR))
    assert bed.ducks == ()


def test_the_ramps_are_in_samples_at_the_working_rate() -> None:
    bed = build_bed(
        settings(duck_db=9.5, attack_s=0.25, release_s=1.5, fade_s=2.125),
        noise(4.0),
        PROGRAMME,
        EPISODE,
        "soft-pad",
    )
    assert (bed.duck_db, bed.attack, bed.release, bed.fade) == (9.5, 12_000, 72_000, 102_000)


def test_a_silent_bed_is_a_render_error_naming_it() -> None:
    silent = np.zeros(4 * SR, dtype=np.float32)
    with pytest.raises(RenderError) as failure:
        build_bed(settings(), silent, PROGRAMME, EPISODE, "voices/beds/quiet.wav")
    assert str(failure.value) == "voices/beds/quiet.wav: audio is silent: nothing to normalize"
