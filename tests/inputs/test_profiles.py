"""Delivery profiles: the shipped ones as specified, a project's own adding to and overriding
them, and the problems of an invalid one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.profiles import load_profiles, shipped_profiles
from tests.conftest import write_yaml


def test_shipped_profiles_are_valid_and_as_specified() -> None:
    profiles, problems = shipped_profiles()
    assert problems == []
    ebu, sw, pod = profiles["ebu-r128"], profiles["shortwave"], profiles["podcast"]
    assert (ebu.target_lufs, ebu.true_peak_dbtp) == (-23.0, -1.0)
    assert [(f.codec, f.sample_rate, f.bit_depth) for f in ebu.formats] == [("wav", 48000, 24)]
    assert (sw.target_lufs, sw.true_peak_dbtp) == (-14.0, -2.0)
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


def test_a_broken_override_takes_the_shipped_profile_away(project: Project) -> None:
    # the fields nested under the profile's name, as in the shipped file: not a profile
    write_yaml(
        project.root / "input/profiles/shortwave.yaml",
        {"shortwave": {"target_lufs": -14, "true_peak_dbtp": -2}},
    )
    profiles, problems = load_profiles(project)
    assert "shortwave" not in profiles  # never the shipped one in its place, silently
    assert {p.file for p in problems} == {"input/profiles/shortwave.yaml"}
    assert any("target_lufs: missing" in str(p) for p in problems)
    episode = project.root / "input/episodes/2026-w47.yaml"
    episode.write_text(
        episode.read_text("utf-8") + "deliverables: [ebu-r128, shortwave]\n", "utf-8"
    )
    result = CliRunner().invoke(app, ["--project", str(project.root), "validate", str(episode)])
    assert result.exit_code == 2
    assert (
        "error: input/episodes/2026-w47.yaml: deliverables[1]: profile 'shortwave' is invalid "
        "(see input/profiles/shortwave.yaml)" in result.stderr
    )


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


def test_shipped_am_profiles_use_the_am_chain() -> None:
    profiles, _ = shipped_profiles()
    for name in ("shortwave", "mediumwave"):
        profile = profiles[name]
        assert profile.am_processing is not None and profile.am_processing.preset == "standard"
        assert profile.levelling is None
        # PLR <= 12 dB by construction: true peak at most -2 dBTP, messages within 0.5 LU
        assert profile.true_peak_dbtp - profile.target_lufs <= 12.0


def am_profile(**am: object) -> dict[str, object]:
    return {
        "target_lufs": -14,
        "true_peak_dbtp": -2,
        "band": {"highpass_hz": 150, "lowpass_hz": 4500},
        "am_processing": am,
        "formats": [{"codec": "mp2", "sample_rate": 48000, "bitrate_k": 128}],
    }


def test_am_processing_preset_and_overrides(project: Project) -> None:
    write_yaml(
        project.root / "input/profiles/am-dense.yaml",
        am_profile(
            preset="dense",
            presence_db=9,
            crossovers_hz=[300, 800, 1600, 3000],
            attack_ms=[20, 12, 8, 5, 3],
            release_db_s=90,
        ),
    )
    profiles, problems = load_profiles(project)
    assert problems == []
    am = profiles["am-dense"].am_processing
    assert am is not None
    assert (am.preset, am.presence_db, am.bands) == ("dense", 9.0, 5)
    assert am.crossovers_hz == (300.0, 800.0, 1600.0, 3000.0)
    assert am.attack_ms == (20.0, 12.0, 8.0, 5.0, 3.0)
    assert am.release_db_s == (90.0,) * 5  # one number: every band
    assert am.compression_ratio == 2.5  # the dense preset's, not overridden


@pytest.mark.parametrize(
    ("am", "line"),
    [
        (
            {"preset": "loud"},
            "am_processing.preset: 'loud' is not allowed; allowed: gentle, standard, dense",
        ),
        (
            {"presence_db": 20},
            "am_processing.presence_db: 20 is out of range; allowed: 0 to 12",
        ),
        (
            {"density_db": "lots"},
            "am_processing.density_db: expected a number from 0 to 16, got str",
        ),
        (
            {"crossovers_hz": [1000, 900]},
            "am_processing.crossovers_hz: expected a list of 2 to 4 frequencies from 150 to "
            "4000 Hz, rising, each at least a third of an octave (x1.25) above the one before",
        ),
        (
            {"crossovers_hz": [500, 1500]},  # 3 bands, the preset's attacks are 4
            "am_processing.attack_ms: give one value, or a list of 3 (one per band)",
        ),
        (
            {"attack_ms": [5, 5]},
            "am_processing.attack_ms: expected one number or a list of 4 (one per band), "
            "each 0.5 to 200",
        ),
        ({"loudness": 3}, "am_processing.loudness: unknown field; allowed fields: "),
    ],
)
def test_am_processing_problems_are_one_line_each(
    project: Project, am: dict[str, object], line: str
) -> None:
    write_yaml(project.root / "input/profiles/am-bad.yaml", am_profile(**am))
    _, problems = load_profiles(project)
    lines = [str(p) for p in problems]
    assert any(text.startswith(f"input/profiles/am-bad.yaml: {line}") for text in lines), lines


def test_am_processing_needs_the_band_and_excludes_levelling(project: Project) -> None:
    data = am_profile(preset="gentle")
    data["levelling"] = {"compressor_ratio": 2}
    del data["band"]
    write_yaml(project.root / "input/profiles/am-mixed.yaml", data)
    _, problems = load_profiles(project)
    lines = [str(p) for p in problems]
    assert (
        "input/profiles/am-mixed.yaml: levelling: cannot be used with am_processing "
        "(it has its own AGC); remove it" in lines
    )
    assert (
        "input/profiles/am-mixed.yaml: band: am_processing ends in the band limit: give "
        "band.lowpass_hz (4500 for AM broadcasting, ITU RR Appendix 11)" in lines
    )
