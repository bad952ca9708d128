"""`simulate` end to end: an audio file and a rendered episode as an AM receiver hears them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.app.simulate import SimulateError, score_deliverables, simulate
from audio_pipeline.audio import wavfile
from audio_pipeline.audio.channel import SIM_RATE
from audio_pipeline.audio.dsp import resample
from audio_pipeline.audio.loudness import measure
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import Programme, Segment, SegmentKind
from audio_pipeline.delivery.master import deliver
from audio_pipeline.engines.espeak_engine import EspeakEngine
from audio_pipeline.inputs.profiles import shipped_profiles
from tests.conftest import SR, make_project

SENTENCES = ("하나님은 당신을 잊지 않으셨습니다.", "오늘도 힘을 내십시오.")


def speech_file(path: Path) -> Path:
    """A few seconds of Korean speech from the offline engine, as a 48 kHz WAV."""
    engine = EspeakEngine()
    parts = [engine.synthesize(text, {"rate": 140}) for text in SENTENCES]
    x = resample(np.concatenate([p.samples for p in parts]), parts[0].sample_rate, SR)
    wavfile.write(path, 0.3 * x / float(np.max(np.abs(x))), SR, "pcm24")
    return path


@pytest.mark.slow
def test_a_file_is_mastered_with_the_profile_and_heard_better_in_noise(project: Project) -> None:
    path = speech_file(project.root / "speech.wav")
    result = simulate(project, str(path), snrs=(5.0,), fading=False)
    comparison = result.comparison
    assert [c.label for c in comparison.conditions] == ["clean", "5 dB"]
    assert comparison.labels[0].startswith("0:00.0-")
    noisy = comparison.conditions[1]
    assert comparison.processed.mean(noisy) > comparison.plain.mean(noisy) + 0.05
    assert result.processed == "speech-shortwave.mp3"  # the profile's first file
    heard = result.heard_dir
    assert heard == project.root / "output/simulate/speech"
    names = sorted(p.name for p in heard.iterdir())
    assert names == [
        "plain-5-dB.wav",
        "plain-clean.wav",
        "scores.json",
        "shortwave-5-dB.wav",
        "shortwave-clean.wav",
    ]
    info = wavfile.read_info(heard / "shortwave-5-dB.wav")
    assert info.sample_rate == SIM_RATE
    doc = json.loads((heard / "scores.json").read_text("utf-8"))
    assert doc["profile"] == "shortwave" and doc["conditions"] == ["clean", "5 dB"]
    assert doc["mean"]["5 dB"]["processed"] == round(comparison.processed.mean(noisy), 3)


@pytest.mark.slow
def test_a_rendered_episode_is_scored_message_by_message(
    rendered: tuple[Project, Path], tmp_path: Path
) -> None:
    _base, out = rendered
    project = make_project(tmp_path / "proj")
    shutil.copytree(out, project.output_dir / out.name)  # the sample render: programme only
    result = simulate(
        project, "input/episodes/2026-w47.yaml", snrs=(10.0,), fading=False, write_audio=False
    )
    assert result.plain == "2026-w47.wav"
    assert result.note is not None and "mastered here" in result.note
    doc = json.loads((out / "cues.json").read_text("utf-8"))
    messages = [c["message_id"] for c in doc["cues"] if c["kind"] == "message"]
    assert list(result.comparison.labels) == messages
    assert result.heard_dir is None
    assert not (project.output_dir / "simulate").exists()


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("nope.wav", {}, "nope.wav: no such file"),
        (
            "2026-w47-google",
            {},
            "episode '2026-w47-google' has not been rendered (no output/2026-w47-google/"
            "cues.json); render it first: "
            "audio-pipeline render input/episodes/2026-w47-google.yaml",
        ),
        ("2026-w47", {"profile": "longwave"}, "--profile: unknown profile 'longwave'; profiles: "),
        ("2026-w47", {"snrs": (5.0, 90.0)}, "--snr: 90 is out of range; allowed: -10 to 40 dB"),
        ("2026-w47", {"channel": "vhf"}, "--channel: unknown channel 'vhf'; allowed: "),
        ("voices/ko-offline.yaml", {}, "voices/ko-offline.yaml: not an episode file (no id)"),
    ],
)
def test_bad_arguments_are_one_line_input_errors(
    project: Project, target: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(SimulateError) as info:
        simulate(project, target, **options)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
    assert info.value.exit_code == 2


def test_a_file_that_is_not_audio_is_an_input_error(project: Project) -> None:
    path = project.root / "notes.txt"
    path.write_text("not audio", "utf-8")
    with pytest.raises(SimulateError) as info:
        simulate(project, str(path))
    assert str(info.value).startswith("notes.txt: cannot decode audio")


@pytest.mark.slow
def test_render_scores_each_am_profile_against_the_plain_programme(tmp_path: Path) -> None:
    # what a render records in cues.json: built here from a one-message programme, mastered
    # by the render's own delivery code
    path = speech_file(tmp_path / "speech.wav")
    x, _ = wavfile.read(path)
    segment_path = tmp_path / "segment.wav"
    wavfile.write(segment_path, x, SR, "float32")
    loud = measure(x, SR)
    segment = Segment(1, SegmentKind.MESSAGE, segment_path, 0, len(x), loud, "not-alone")
    programme = Programme("t", "t", SR, len(x), (segment,))
    profiles = [shipped_profiles()[0][name] for name in ("ebu-r128", "shortwave")]
    out = tmp_path / "out"
    out.mkdir()
    delivery = deliver(programme, out, "t", profiles, reference_db=loud.integrated_lufs)
    scores = score_deliverables(programme, delivery.deliverables, profiles)
    assert list(scores) == ["shortwave"]  # only the AM profiles are heard over the air
    doc = scores["shortwave"]
    assert doc["file"] == "t-shortwave.mp3"
    assert doc["conditions"] == ["clean", "5 dB", "10 dB", "5 dB fading", "10 dB fading"]
    assert list(doc["messages"]) == ["not-alone"]
    five = doc["mean"]["5 dB"]
    assert five["processed"] > five["plain"] + 0.05
