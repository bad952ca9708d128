"""The benchmark harness (bench/) in a small smoke run: it must count what it claims
to count. No timing is asserted here; speed goals live in bench/RESULTS.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bench import run
from bench.standin import requests_in_window
from bench.workload import make_workload


def test_workload_is_a_valid_project_of_unique_approved_messages(tmp_path: Path) -> None:
    from audio_pipeline.core.project import Project
    from audio_pipeline.inputs.episodes import load_episode, validate_project

    w = make_workload(tmp_path / "w", messages=5, minutes=3)
    project = Project.at(w.root)
    assert validate_project(project) == []
    texts = [yaml.safe_load(w.message_file(m).read_text("utf-8"))["text"] for m in w.message_ids]
    assert len(set(texts)) == 5
    for name in ("offline", "google", "profiles"):
        assert [m.id for m in load_episode(w.episode(name), project).messages] == list(
            w.message_ids
        )


def test_requests_in_window_counts_the_busiest_window() -> None:
    assert requests_in_window([], 60) == 0
    assert requests_in_window([0.0, 0.5, 1.0, 61.0], 60) == 3
    assert requests_in_window([0.0, 10.0, 20.0, 30.0], 10) == 1  # a window is [t, t + 10)


@pytest.mark.slow
def test_smoke_run_counts_clips_and_requests(tmp_path: Path) -> None:
    from audio_pipeline.core.project import Project
    from audio_pipeline.engines.gtts_engine import GttsEngine
    from audio_pipeline.inputs.episodes import load_episode
    from audio_pipeline.speech.synthesis import script_for

    out = tmp_path / "RESULTS.md"
    args = ["--smoke", "--sections", "warm,ffmpeg,edit", "--work", str(tmp_path / "work")]
    assert run.main([*args, "--out", str(out)]) == 0
    project = Project.at(tmp_path / "work/w-main")
    facts = json.loads((tmp_path / "RESULTS.json").read_text("utf-8"))["facts"]
    # a warm render synthesizes nothing (checked by the harness); an edit re-synthesizes
    # exactly the edited message: one request per sentence of its new text, at the stand-in
    inputs = load_episode(tmp_path / "work/w-main/input/episodes/bench-google.yaml", project)
    edited = inputs.messages[0]
    sentences = script_for(edited, inputs.voice, GttsEngine()).sentences
    assert facts["edit_clips_synthesized"] == [1]
    assert facts["edit_requests"] == [len(sentences)]
    assert facts["requests_per_cold_render"] > len(sentences)
    # the warm render and the encode after it were both timed, and the verdict row shows
    # the ratio of those very runs
    (ratio,) = facts["warm_over_ffmpeg_per_run"]
    assert ratio > 0 and facts["warm_cpu_s"][0] > 0 and facts["ffmpeg_cpu_s"][0] > 0
    text = out.read_text("utf-8")
    assert f"| warm render vs ffmpeg-alone MP3 encode | <= 1.5x | {ratio:.2f}x" in text
    assert "| editing one message re-synthesizes one clip | exactly 1 | [1] clips" in text


def test_both_speed_targets_are_judged_in_one_run_from_their_own_pairs() -> None:
    """The default render against baseline (b), the three profiles against baseline (c),
    each ratio the median of run-by-run pairs, side by side in the verdict table; the
    shortwave chain measured is named."""
    results = run.Results(config={}, machine={}, date="2026-11-29")
    results.add("warm", run.Measure("warm", [20.0, 30.0, 24.0]))
    results.add("ffmpeg", run.Measure("b", [10.0, 20.0, 12.0]))
    results.add("profiles", run.Measure("profiles", [40.0, 50.0, 44.0]))
    results.add("ffmpeg_podcast", run.Measure("c", [20.0, 20.0, 20.0]))
    results.facts["warm_over_ffmpeg_per_run"] = [2.0, 1.5, 2.0]
    results.facts["profiles_over_podcast_per_run"] = [2.0, 2.5, 2.2]
    results.facts["profile_chains"] = {"shortwave": ["BandLimiter", "SpeechLeveller"]}
    rows = {row[0]: row for row in run.verdicts(results)}
    warm = rows["warm render vs ffmpeg-alone MP3 encode"]
    assert warm[1:] == ("<= 1.5x", warm[2], "**no**") and warm[2].startswith("2.00x")
    (three,) = [row for name, row in rows.items() if name.startswith("three-profile")]
    assert "BandLimiter+SpeechLeveller" in three[0]
    assert three[1] == "<= 2x" and three[2].startswith("2.20x") and three[3] == "**no**"


def test_intelligibility_results_go_between_their_markers(tmp_path: Path) -> None:
    from bench import intelligibility

    def file(plain: float, processed: float, fading: bool) -> dict[str, object]:
        labels = ["clean", "0 dB", "5 dB", "10 dB", "15 dB"]
        labels += [f"{c} fading" for c in labels[1:]] if fading else []
        mean = {c: {"plain": plain, "processed": processed} for c in labels}
        facts = {"plr_speech_db": 11.7, "plr_worst_message_db": 11.9, "true_peak_dbtp": -2.2}
        return {"conditions": labels, "mean": mean, "above_band_db": -90.0, **facts}

    episode = {
        "render_s": 20.0,
        "render_plain_only_s": 8.0,
        "plain": {
            "plr_speech_db": 20.5,
            "plr_worst_message_db": 20.5,
            "true_peak_dbtp": -2.5,
            "above_band_db": -19.0,
            "band_limit_only_db": -38.0,
        },
        "files": {
            f"ep-{p}.{c}": file(0.5, 0.75, p == "shortwave") for p, c in intelligibility.FILES
        },
    }
    results = {
        "date": "2026-11-29",
        "machine": "test",
        "snrs": [0, 5, 10, 15],
        "episodes": {"ep": episode},
        "chain_cpu_s_per_programme_hour": 22.0,
    }
    out = tmp_path / "RESULTS.md"
    out.write_text(f"# Results\n\n{intelligibility.START}\nold\n{intelligibility.END}\ntail\n")
    intelligibility.write(results, out)
    text = out.read_text("utf-8")
    assert "old" not in text and text.endswith("tail\n")
    assert "| 5 dB | 0.500 | 0.750 | +0.250 | 0.750 | +0.250 |" in text
    assert "| ep | +0.250 (+0.250) |" in text
    assert json.loads((tmp_path / "intelligibility.json").read_text("utf-8")) == results
