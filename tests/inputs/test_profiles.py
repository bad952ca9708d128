"""Delivery profiles: the shipped ones as specified, a project's own adding to and overriding
them, and the problems of an invalid one."""

from __future__ import annotations

from audio_pipeline.core.project import Project
from audio_pipeline.inputs.profiles import load_profiles, shipped_profiles
from tests.conftest import write_yaml


def test_shipped_profiles_are_valid_and_as_specified() -> None:
    profiles, problems = shipped_profiles()
    assert problems == []
    ebu, sw, pod = profiles["ebu-r128"], profiles["shortwave"], profiles["podcast"]
    assert (ebu.target_lufs, ebu.true_peak_dbtp) == (-23.0, -1.0)
    assert [(f.codec, f.sample_rate, f.bit_depth) for f in ebu.formats] == [("wav", 48000, 24)]
    assert (sw.target_lufs, sw.true_peak_dbtp) == (-23.0, -2.0)
    assert sw.band is not None and (sw.band.highpass_hz, sw.band.lowpass_hz) == (150, 4500)
    assert [(f.codec, f.sample_rate, f.bitrate_k) for f in sw.formats] == [
        ("mp3", 22050, 32),
        ("mp2", 48000, 128),
    ]
    assert (pod.target_lufs, pod.true_peak_dbtp) == (-16.0, -1.0)
    assert [(f.codec, f.sample_rate) for f in pod.formats] == [("mp3", 44100)]


def test_project_profile_adds_and_overrides(project: Project) -> None:
    folder = project.root / "input" / "profiles"
    write_yaml(
        folder / "partner-am.yaml",
        {
            "target_lufs": -24,
            "true_peak_dbtp": -3,
            "formats": [{"codec": "mp2", "sample_rate": 48000, "bitrate_k": 192}],
        },
    )
    write_yaml(
        folder / "podcast.yaml",
        {
            "target_lufs": -18,
            "true_peak_dbtp": -1.5,
            "formats": [{"codec": "mp3", "sample_rate": 44100, "bitrate_k": 96}],
        },
    )
    profiles, problems = load_profiles(project)
    assert problems == []
    assert profiles["partner-am"].formats[0].bitrate_k == 192
    assert profiles["podcast"].target_lufs == -18.0


def test_invalid_profile_names_file_and_field(project: Project) -> None:
    write_yaml(
        project.root / "input/profiles/bad.yaml",
        {
            "target_lufs": 5,
            "true_peak_dbtp": -1,
            "formats": [{"codec": "ogg"}, {"codec": "mp3", "sample_rate": 8000, "bitrate_k": 33}],
        },
    )
    _, problems = load_profiles(project)
    lines = [str(p) for p in problems]
    assert "input/profiles/bad.yaml: target_lufs: 5 is out of range; allowed: -40 to -5" in lines
    assert any(
        line.startswith("input/profiles/bad.yaml: formats[0].codec: 'ogg' is not allowed")
        for line in lines
    )
    assert any("formats[1].sample_rate: 8000 is not allowed for mp3" in line for line in lines)
    assert any("formats[1].bitrate_k: 33 is not allowed for mp3" in line for line in lines)
