"""What the listener hears, wired into the render and the review pages: the AM files scored
in cues.json and the summary, and every clip "as heard" beside the clean one."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile as scipy_wav

from audio_pipeline.app.onair import heard_href, listening_for, score_lines, write_heard
from audio_pipeline.app.render import render_episode
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.app.summary import summarize
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.profiles import shipped_profiles
from tests.conftest import SR, write_yaml

SHIPPED = shipped_profiles()[0]


def speechlike(seconds: float, seed: int = 1) -> np.ndarray:
    """Syllable-rate bursts of a harmonic tone with a noisy top: energy across the band."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * SR)) / SR
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((150, 300, 450, 900), 1))
    hiss = np.convolve(rng.standard_normal(len(t)), np.ones(4) / 4, "same")
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2
    return (0.15 * (voiced + 0.3 * hiss) * envelope).astype(np.float32)


class Audios(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "audio":
            self.found.append(dict(attrs))


def audios(page: Path) -> list[dict[str, str | None]]:
    parser = Audios()
    parser.feed(page.read_text("utf-8"))
    return parser.found


def test_the_episode_s_own_am_profile_is_heard_else_the_shipped_shortwave() -> None:
    plain, shortwave, mediumwave = (SHIPPED[n] for n in ("ebu-r128", "shortwave", "mediumwave"))
    assert listening_for([plain, mediumwave], SHIPPED, -23.0).model.name == "mediumwave"
    both = listening_for([mediumwave, shortwave], SHIPPED, -23.0)
    assert both is not None and both.profile.name == "shortwave"
    assert both.model.fading is not None and "10 dB SNR with fading" in both.label
    alone = listening_for([plain], SHIPPED, -23.0)
    assert alone is not None and alone.profile.name == "shortwave"
    assert listening_for([plain], {"ebu-r128": plain}, -23.0) is None
    assert heard_href("clips/not-alone.wav") == "heard/not-alone.wav"


def test_a_clip_as_heard_is_band_limited_noisy_seeded_and_as_long(tmp_path: Path) -> None:
    listening = listening_for([], SHIPPED, -23.0)
    assert listening is not None
    clean = speechlike(4.0)
    (tmp_path / "clips").mkdir()
    href = write_heard(tmp_path, "clips/a.wav", clean, "a", listening)
    rate, heard = scipy_wav.read(tmp_path / href)
    assert href == "heard/a.wav" and rate == 16_000 and heard.dtype == np.int16
    assert abs(len(heard) / rate - 4.0) < 0.05
    x = heard.astype(np.float64) / 32768
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    above = spectrum[freqs > 5000].sum() / spectrum.sum()
    assert above < 1e-3  # nothing a 4.5 kHz AM channel does not pass
    # the noise of the channel fills the silences between the syllables
    envelope = np.clip(np.sin(2 * np.pi * 4 * np.arange(len(x)) / rate), 0, None)
    gaps = x[(envelope == 0) & (np.arange(len(x)) > rate // 2)]
    assert np.sqrt(np.mean(gaps**2)) > 1e-3
    first = (tmp_path / href).read_bytes()
    write_heard(tmp_path, "clips/a.wav", clean, "a", listening)
    assert (tmp_path / href).read_bytes() == first  # the same clip always sounds the same
    write_heard(tmp_path, "clips/b.wav", clean, "b", listening)
    assert (tmp_path / "heard/b.wav").read_bytes() != first  # its own noise


def test_score_lines_tell_each_condition_plain_to_processed() -> None:
    scores = {
        "shortwave": {
            "file": "ep-shortwave.mp3",
            "channel": "shortwave",
            "conditions": ["clean", "5 dB"],
            "mean": {
                "clean": {"plain": 0.974, "processed": 0.943},
                "5 dB": {"plain": 0.345, "processed": None},
            },
        }
    }
    assert score_lines(scores) == [
        "on air: shortwave (ep-shortwave.mp3) over the shortwave channel, "
        "ESTOI plain -> processed: clean 0.97 -> 0.94"
    ]


@pytest.mark.slow
def test_a_shortwave_render_scores_its_files_and_plays_each_clip_as_heard(
    warm_project: Project,
) -> None:
    project = warm_project
    episode = write_yaml(
        project.episodes_dir / "on-air.yaml",
        {
            "id": "on-air",
            "title": "시험",
            "date": "2026-11-22",
            "voice": "ko-offline",
            "messages": ["church-prays", "not-alone"],
            "intro": "voices/bumpers/intro.wav",
            "outro": "voices/bumpers/outro.wav",
            "deliverables": ["ebu-r128", "shortwave"],
        },
    )
    report = render_episode(project, episode, RenderSettings(concurrency=1))
    folder = report.output_dir
    doc = json.loads((folder / "cues.json").read_text("utf-8"))
    on_air = doc["intelligibility"]["shortwave"]
    assert on_air["file"] == "on-air-shortwave.mp3" and on_air["channel"] == "shortwave"
    assert set(on_air["messages"]) == {"church-prays", "not-alone"}
    for condition in ("5 dB", "10 dB fading"):
        mean = on_air["mean"][condition]
        assert mean["processed"] > mean["plain"] + 0.05, (condition, mean)
    assert 0.9 < on_air["mean"]["clean"]["plain"] <= 1.0
    # the summary says it too, from the same numbers
    (line,) = [x for x in summarize(report).lines if x.startswith("on air:")]
    five = on_air["mean"]["5 dB"]
    assert f"5 dB {five['plain']:.2f} -> {five['processed']:.2f}" in line

    players = audios(folder / "review.html")
    heard = [a for a in players if a.get("class") == "heard"]
    assert [a["src"] for a in heard] == [
        "heard/church-prays.wav",
        "heard/not-alone.wav",
    ]
    for a in heard:
        assert "as heard on shortwave" in str(a["aria-label"])
        rate, samples = scipy_wav.read(folder / str(a["src"]))
        clean_rate, clean = scipy_wav.read(folder / str(a["src"]).replace("heard/", "clips/"))
        assert rate == 16_000 and clean_rate == SR
        assert abs(len(samples) / rate - len(clean) / clean_rate) < 0.05
    # published like every file: listed, with its hash, in the manifest
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    listed = {f["file"]: f["sha256"] for f in manifest["outputs"]}
    data = (folder / "heard/not-alone.wav").read_bytes()
    assert listed["heard/not-alone.wav"] == hashlib.sha256(data).hexdigest()


def test_an_episode_without_am_profiles_is_not_scored(
    rendered: tuple[Project, Path],
) -> None:
    _, folder = rendered
    doc = json.loads((folder / "cues.json").read_text("utf-8"))
    assert "intelligibility" not in doc
    # its review page still lets the reviewer hear the shipped shortwave profile on air
    heard = [a for a in audios(folder / "review.html") if a.get("class") == "heard"]
    assert heard and all((folder / str(a["src"])).is_file() for a in heard)
