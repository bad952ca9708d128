"""The music bed: seamless loop, ducking ramps, and speech staying the loudness reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.audio import dsp, loudness, wavfile
from audio_pipeline.audio.bed import duck_depth, make_loop, render_bed
from audio_pipeline.audio.mixdown import Mixdown
from audio_pipeline.core.results import BedTrack, Loudness, Programme, Segment, SegmentKind
from tests.conftest import SR, sine


def track(**changes: object) -> BedTrack:
    head, loop = make_loop(sine(220, 3.0, -30), SR // 2)
    values: dict[str, object] = {
        "head": head,
        "loop": loop,
        "spans": ((0, SR * 20),),
        "ducks": ((SR * 5, SR * 10),),
        "duck_db": 12.0,
        "attack": SR // 2,
        "release": SR,
        "fade": SR,
    }
    values.update(changes)
    return BedTrack(**values)  # type: ignore[arg-type]


def test_loop_has_no_seam() -> None:
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal(SR * 3)).astype(np.float32)  # brown noise: no natural loop
    x = (x - x.mean()) / np.abs(x).max() * 0.3
    head, loop = make_loop(x, SR // 4)
    looped = np.concatenate([head, loop[len(head) :], loop, loop])
    steps = np.abs(np.diff(looped))
    inner = np.abs(np.diff(x)).max()
    assert steps.max() <= inner * 1.5  # the seams jump no more than the recording itself


def test_duck_ramps_are_smooth_and_reach_full_depth() -> None:
    t = track()
    depth = duck_depth(t, 0, SR * 20)
    assert depth[SR * 7] == 1.0 and depth[SR * 2] == 0.0 and depth[SR * 15] == 0.0
    assert np.all(np.abs(np.diff(depth)) < 10 / SR)  # no step anywhere: no click
    assert depth[SR * 5 - 1] > 0.99  # fully ducked as speech starts: attack finishes in time


def test_rendering_in_blocks_equals_rendering_at_once() -> None:
    t = track()
    whole = render_bed(t, 0, SR * 20)
    blocks = np.concatenate(
        [render_bed(t, s, min(s + 12_345, SR * 20)) for s in range(0, SR * 20, 12_345)]
    )
    np.testing.assert_array_equal(whole, blocks)


def test_bed_level_is_lowered_by_the_duck_depth() -> None:
    bed = render_bed(track(), 0, SR * 20)
    free = loudness.integrated_lufs(bed[SR * 12 : SR * 18], SR)
    ducked = loudness.integrated_lufs(bed[SR * 6 : SR * 9], SR)
    assert free - ducked == pytest.approx(12.0, abs=0.3)


def write_segment(path: Path, audio: np.ndarray) -> Path:
    wavfile.write(path, audio, SR, "float32")
    return path


def test_bed_never_raises_the_speech_loudness(tmp_path: Path) -> None:
    # as a render sets them: speech at the target, the bed level_lu (-14) under it, ducked 12
    speech = sine(300, 8.0, -20) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * np.arange(SR * 8) / SR))
    speech = dsp.normalize(speech.astype(np.float32), SR, -23.0, -1.0)
    path = write_segment(tmp_path / "m.wav", speech)
    seg = Segment(
        1, SegmentKind.MESSAGE, path, SR * 4, len(speech), Loudness(-23.0, -3.0), message_id="m"
    )
    head, loop = make_loop(dsp.normalize(sine(220, 3.0, -30), SR, -37.0, -1.0), SR // 2)
    bed_track = track(head=head, loop=loop, spans=((0, SR * 16),), ducks=((SR * 4, SR * 12),))
    programme = Programme("e", "t", SR, SR * 16, (seg,), bed_track)
    mix = Mixdown(programme)
    with_bed = mix.render(SR * 4, SR * 12)
    without = mix.render(SR * 4, SR * 12, bed=False)
    mix.close()
    assert (
        abs(loudness.integrated_lufs(with_bed, SR) - loudness.integrated_lufs(without, SR)) < 0.05
    )
