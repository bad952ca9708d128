"""Mastering every profile at once (master.py), on a small synthetic programme: each file
on its profile's target and under its ceiling by ffmpeg's meter, every message within half a
LU, the WAV and the review clips read back by scipy at the programme's length; a sink that
cannot be finished leaves no encoder running."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile

from audio_pipeline.core.results import Loudness, Programme, Segment, SegmentKind
from audio_pipeline.delivery.master import deliver
from audio_pipeline.inputs.profiles import shipped_profiles
from tests.audio.test_processing import speechlike
from tests.conftest import SR, ffmpeg_ebur128

LOUD = Loudness(-23.0, -3.0, 2.0, -20.0, -21.0)


def libebur128_lufs(x: np.ndarray) -> float:
    import pyebur128

    state = pyebur128.R128State(1, SR, int(pyebur128.MeasurementMode.MODE_I))
    state.add_frames(np.ascontiguousarray(x, dtype=np.float32), len(x))
    return float(pyebur128.get_loudness_global(state))


def piece(folder: Path, index: int, start: int, data: np.ndarray, message: str | None) -> Segment:
    path = folder / f"piece-{index}.wav"
    scipy.io.wavfile.write(path, SR, data.astype(np.float32))
    kind = SegmentKind.MESSAGE if message else SegmentKind.STING
    return Segment(index, kind, path, start, len(data), LOUD, message_id=message)


@pytest.fixture(scope="module")
def mastered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Programme, list]:
    """Two messages normalized to -23 LUFS (by libebur128) around a sting, mastered for the
    EBU R128 and podcast profiles."""
    folder = tmp_path_factory.mktemp("master")
    speech = speechlike(6.0)
    speech = speech * 10 ** ((-23.0 - libebur128_lufs(speech)) / 20)
    sting = (0.1 * np.sin(2 * np.pi * 880 * np.arange(SR) / SR)).astype(np.float32)
    segments = (
        piece(folder, 1, 0, speech, "first"),
        piece(folder, 2, 6 * SR + SR // 2, sting, None),
        piece(folder, 3, 8 * SR, speech[::-1], "second"),
    )
    programme = Programme("ep", "title", SR, 14 * SR + 123, segments)
    profiles, problems = shipped_profiles()
    assert not problems
    out = folder / "out"
    out.mkdir()
    delivery = deliver(
        programme,
        out,
        "ep",
        [profiles["ebu-r128"], profiles["podcast"]],
        reference_db=-23.0,
        clips_dir=out / "clips",
    )
    return out, programme, delivery.deliverables


def test_every_file_is_on_its_target_and_under_its_ceiling(mastered: tuple) -> None:
    _, _, deliverables = mastered
    assert sorted(d.path.name for d in deliverables) == ["ep-ebu-r128.wav", "ep-podcast.mp3"]
    for d in deliverables:
        measured = ffmpeg_ebur128(d.path)
        assert measured["I"] == pytest.approx(d.target_lufs, abs=0.2), d.path.name
        assert measured["TP"] <= d.true_peak_ceiling_dbtp, d.path.name


def test_each_message_is_within_half_a_lu_of_the_target(mastered: tuple) -> None:
    out, programme, _ = mastered
    _, data = scipy.io.wavfile.read(out / "ep-ebu-r128.wav")
    samples = data.astype(np.float64) / 2**31  # 24-bit PCM, read by scipy as int32
    for seg in programme.segments:
        if seg.message_id is None:
            continue
        level = libebur128_lufs(samples[seg.start : seg.end])
        assert level == pytest.approx(-23.0, abs=0.5), seg.message_id


def test_the_wav_and_the_review_clips_hold_the_programme(mastered: tuple) -> None:
    out, programme, _ = mastered
    rate, wav = scipy.io.wavfile.read(out / "ep-ebu-r128.wav")
    assert rate == SR and len(wav) == programme.length
    for seg in programme.segments:
        if seg.message_id is None:
            continue
        clip_rate, clip = scipy.io.wavfile.read(out / "clips" / f"{seg.message_id}.wav")
        assert clip_rate == SR
        assert len(clip) == seg.length
        # the message exactly as placed in the WAV, sample for sample, though this WAV is
        # made twice (its first round lands off target: the clips must follow the second)
        assert np.array_equal(clip, wav[seg.start : seg.end]), seg.message_id
    assert sorted(p.name for p in (out / "clips").iterdir()) == ["first.wav", "second.wav"]


def test_a_sink_failing_to_close_leaves_no_encoder_running(tmp_path: Path) -> None:
    """When one file cannot be finished (a full disk at its last write, say), every other
    file of the render is aborted: no ffmpeg encoder is left waiting on its input, no feeding
    thread on its queue, and the first failure is the one raised."""
    from audio_pipeline.delivery import master as deliver
    from audio_pipeline.inputs.profiles import OutputFormat

    class Failing:
        def __init__(self) -> None:
            self.aborted = False

        def close(self) -> None:
            raise OSError(28, "No space left on device")

        def abort(self) -> None:
            self.aborted = True

    encoders = [
        deliver._EncoderFeed(tmp_path / f"{n}.mp3", OutputFormat("mp3", sample_rate=SR))
        for n in range(2)
    ]
    block = np.zeros(SR, dtype=np.float32)
    for feed in encoders:
        feed(0, block)
    failing = Failing()
    with pytest.raises(OSError, match="No space left"):
        deliver._close_all([encoders[0], failing, encoders[1]])  # type: ignore[list-item]
    assert encoders[0].proc.returncode == 0  # closed before the failure: finished
    assert encoders[1].proc.returncode is not None  # after it: aborted, not left running
    assert not encoders[1].thread.is_alive()
