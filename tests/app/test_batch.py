"""The weekly batch: which episodes, skip when unchanged, per-episode failure, JSON report."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.app.batch import BatchArgumentError, parse_week, week_of, why_render
from audio_pipeline.cli.main import app
from audio_pipeline.core.digest import sha256_file
from audio_pipeline.core.errors import OutputError, RenderError
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.metadata import manifest
from audio_pipeline.publish.ledger import Ledger
from tests.conftest import REPO, write_yaml

runner = CliRunner()
WEEK = "2026-W48"


def episode(project: Project, name: str, messages: list[str], **extra: object) -> Path:
    data: dict[str, object] = {
        "id": name,
        "title": f"{name} 방송",
        "date": "2026-11-25",  # ISO week 2026-W48
        "voice": "ko-offline",
        "messages": messages,
        # the one-second sting as intro and outro keeps these renders quick
        "intro": "voices/bumpers/sting.wav",
        "outro": "voices/bumpers/sting.wav",
        "gap_s": 0.5,
    }
    data.update(extra)
    return write_yaml(project.episodes_dir / f"{name}.yaml", data)


@pytest.fixture
def week_project(
    tmp_path: Path, rendered: tuple[Project, Path], monkeypatch: pytest.MonkeyPatch
) -> Project:
    """A project in the working directory with the session's warm clip cache and two small
    episodes dated in 2026-W48 (the samples are in W47)."""
    root = tmp_path / "proj"
    shutil.copytree(REPO / "voices", root / "voices")
    shutil.copytree(REPO / "input", root / "input")
    monkeypatch.chdir(root)
    monkeypatch.setenv("AUDIO_PIPELINE_CACHE", str(rendered[0].cache_dir))
    project = Project.at(root, cache_dir=rendered[0].cache_dir)
    episode(project, "w48-a", ["not-alone", "church-prays"])
    episode(project, "w48-b", ["not-forgotten"])
    return project


def stale(project: Project, name: str) -> str | None:
    return why_render(load_episode(project.episodes_dir / f"{name}.yaml", project))


def batch(*args: str) -> tuple[int, dict, str]:
    result = runner.invoke(app, ["batch", "--week", WEEK, "--json", "--quiet", *args])
    return result.exit_code, json.loads(result.stdout), result.stderr


def statuses(report: dict) -> dict[str, str]:
    return {e["episode_id"] or e["file"]: e["status"] for e in report["episodes"]}


def test_weeks_and_dates() -> None:
    assert parse_week("2026-W47") == (2026, 47)
    assert parse_week("2026-W53") == (2026, 53)  # 2026 has 53 ISO weeks
    assert week_of(dt.date(2026, 11, 22)) == "2026-W47"  # a Sunday ends its ISO week
    assert week_of(dt.date(2027, 1, 1)) == "2026-W53"
    for bad in ("2026-47", "2026-W7", "2027-W53", "2026-W00", "week 47"):
        with pytest.raises(BatchArgumentError):
            parse_week(bad)


def test_renders_the_week_then_skips_what_is_unchanged(week_project: Project) -> None:
    code, report, _ = batch()
    assert code == 0
    assert statuses(report) == {"w48-a": "rendered", "w48-b": "rendered"}
    assert report["summary"] == {"rendered": 2, "skipped": 0, "failed": 0}
    a = next(e for e in report["episodes"] if e["episode_id"] == "w48-a")
    assert a["messages"] == ["not-alone", "church-prays"]
    assert a["output_dir"] == "output/w48-a" and a["clips"]["total"] == 2
    out = week_project.output_dir / "w48-a"
    doc = json.loads((out / "manifest.json").read_text("utf-8"))
    for entry in doc["outputs"]:
        assert sha256_file(out / entry["file"]) == entry["sha256"]
    assert {o["file"] for o in doc["outputs"]} >= {"w48-a.wav", "w48-a.mp3", "review.html"}
    roles = [(i["role"], i["name"]) for i in doc["inputs"]]
    assert roles[:3] == [
        ("episode", "input/episodes/w48-a.yaml"),
        ("message", "input/messages/not-alone.yaml"),
        ("message", "input/messages/church-prays.yaml"),
    ]
    assert ("voice", "voices/ko-offline.yaml") in roles
    assert ("intro", "voices/bumpers/sting.wav") in roles
    assert any(role == "engine" and name.startswith("espeak ") for role, name in roles)
    assert str(week_project.root) not in (out / "manifest.json").read_text("utf-8")

    code, report, _ = batch()
    assert code == 0 and statuses(report) == {"w48-a": "skipped", "w48-b": "skipped"}

    # a message file changes: only the episode that uses it is rendered again
    path = week_project.messages_dir / "not-forgotten.yaml"
    path.write_text(path.read_text("utf-8") + "# edited\n", "utf-8")
    code, report, _ = batch()
    assert statuses(report) == {"w48-a": "skipped", "w48-b": "rendered"}
    b = next(e for e in report["episodes"] if e["episode_id"] == "w48-b")
    assert b["reason"] == "changed: input/messages/not-forgotten.yaml"

    code, report, _ = batch("--force")
    assert statuses(report) == {"w48-a": "rendered", "w48-b": "rendered"}
    assert report["forced"] is True and report["episodes"][0]["reason"] == "--force"
    with Ledger(week_project.ledger_path) as ledger:
        assert {e.id: e.renders for e in ledger.episodes()} == {"w48-a": 2, "w48-b": 3}


def test_what_makes_an_episode_stale(
    week_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    (week_project.episodes_dir / "w48-b.yaml").unlink()
    assert stale(week_project, "w48-a") == "no previous render (no readable manifest.json)"
    assert batch()[0] == 0
    assert stale(week_project, "w48-a") is None
    out = week_project.output_dir / "w48-a"
    mp3 = (out / "w48-a.mp3").read_bytes()
    (out / "w48-a.mp3").write_bytes(mp3[:-1] + bytes([mp3[-1] ^ 1]))
    assert stale(week_project, "w48-a") == "output file w48-a.mp3 was changed after the render"
    (out / "w48-a.mp3").write_bytes(mp3)
    (out / "clips" / "church-prays.wav").unlink()
    assert stale(week_project, "w48-a") == "output file clips/church-prays.wav is missing"
    shutil.copy(out / "clips" / "not-alone.wav", out / "clips" / "church-prays.wav")
    changed = "output file clips/church-prays.wav was changed after the render"
    assert stale(week_project, "w48-a") == changed

    voice = week_project.voices_dir / "ko-offline.yaml"
    original = voice.read_text("utf-8")
    voice.write_text(original + "# retuned\n", "utf-8")
    assert stale(week_project, "w48-a") == "changed: voices/ko-offline.yaml"
    voice.write_text(original, "utf-8")
    sting = week_project.voices_dir / "bumpers" / "sting.wav"
    sting.write_bytes(sting.read_bytes() + b"\0\0")
    assert stale(week_project, "w48-a") == "changed: voices/bumpers/sting.wav"


def test_a_new_tool_version_renders_again(
    week_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    (week_project.episodes_dir / "w48-b.yaml").unlink()
    assert batch()[0] == 0
    monkeypatch.setattr(manifest, "__version__", "9.9.9")
    assert stale(week_project, "w48-a") == "audio-pipeline 0.1.0 made it; this is 9.9.9"


def test_one_failing_episode_does_not_stop_the_others(week_project: Project) -> None:
    episode(week_project, "w48-bad-voice", ["not-alone"], voice="nope")
    episode(week_project, "w48-pending", ["christmas-greeting"])
    broken = week_project.episodes_dir / "w48-broken.yaml"
    broken.write_text("id: w48-broken\ndate: [not, a, date\n", "utf-8")
    (week_project.episodes_dir / "w48-b.yaml").unlink()
    result = runner.invoke(app, ["batch", "--week", WEEK, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert statuses(report) == {
        "input/episodes/w48-broken.yaml": "failed",  # YAML unreadable: named by its file
        "w48-a": "rendered",
        "w48-bad-voice": "failed",
        "w48-pending": "failed",
    }
    broken_entry = report["episodes"][0]  # reported first: it may be this week's episode
    assert broken_entry["error"] == "cannot tell which week this episode belongs to"
    assert broken_entry["problems"][0].startswith("input/episodes/w48-broken.yaml: ")
    bad = next(e for e in report["episodes"] if e["episode_id"] == "w48-bad-voice")
    assert bad["problems"] == [
        "input/episodes/w48-bad-voice.yaml: voice: unknown voice 'nope'; "
        "voices in voices/: ko-azure-female, ko-azure-male, ko-google, "
        "ko-google-cloud-female, ko-google-cloud-male, ko-offline"
    ]
    assert not (week_project.output_dir / "w48-bad-voice").exists()
    assert not (week_project.output_dir / "w48-pending").exists()
    # logs and the summary on stderr; stdout is the JSON document alone
    assert "error: w48-bad-voice: 1 problem(s) found; nothing was written" in result.stderr
    assert "4 episode(s): 1 rendered, 0 skipped, 3 failed" in result.stderr
    assert "│ failed " in result.stderr and "[/]" not in result.stderr  # styled, not markup
    assert result.stderr.rstrip().endswith("3 episode(s) failed")


def test_summary_on_stdout_without_json(week_project: Project) -> None:
    (week_project.episodes_dir / "w48-b.yaml").unlink()
    result = runner.invoke(app, ["batch", "--date", "2026-11-23", "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert "batch 2026-W48" in result.stdout
    assert "1 episode(s): 1 rendered, 0 skipped, 0 failed" in result.stdout
    assert result.stderr == ""  # --quiet: nothing but warnings and failures


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-48"], "error: --week: '2026-48' is not an ISO week; write YYYY-Www"),
        (["--week", "2026-W54"], "error: --week: 2026 has ISO weeks 01 to 53, not 54"),
        (["--date", "22.11.2026"], "error: --date: '22.11.2026' is not a date; write YYYY-MM-DD"),
        ([], "error: give exactly one of --week YYYY-Www or --date YYYY-MM-DD"),
        (["--week", "2026-W48", "--date", "2026-11-23"], "error: give exactly one of"),
    ],
)
def test_invalid_arguments_exit_2(week_project: Project, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["batch", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert not week_project.output_dir.exists()


def test_a_week_without_episodes_fails_loudly(week_project: Project) -> None:
    result = runner.invoke(app, ["batch", "--week", "2026-W50", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"].startswith("no episode in input/episodes/")
    assert "is dated in week 2026-W50; nothing was rendered" in result.stderr


def test_a_render_that_cannot_publish_is_not_in_the_ledger(
    week_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    (week_project.episodes_dir / "w48-b.yaml").unlink()

    def full_disk(self: object) -> Path:
        raise OutputError("cannot write to output: the disk is full (simulated)")

    monkeypatch.setattr("audio_pipeline.publish.outputdir.Staging.publish", full_disk)
    code, report, _ = batch()
    assert code == 1
    assert report["episodes"][0]["error"] == "cannot write to output: the disk is full (simulated)"
    assert not (week_project.output_dir / "w48-a").exists()
    with Ledger(week_project.ledger_path) as ledger:
        assert ledger.episodes() == [] and ledger.message("not-alone") == []


def test_the_week_is_validated_before_anything_renders_and_each_file_decoded_once(
    warm_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every episode of the week is loaded (and its problems known) before the first render
    starts; the bumpers the three sample episodes share are decoded once for the whole run."""
    from audio_pipeline.app import batch
    from audio_pipeline.audio import ffmpeg

    events: list[str] = []
    decoded: list[str] = []
    real_load, real_decode = batch.load_episode, ffmpeg.decode

    def load(path: Path, *args: object, **kwargs: object) -> object:
        events.append(f"load {path.stem}")
        return real_load(path, *args, **kwargs)  # type: ignore[arg-type]

    def render(inputs: object, *args: object, **kwargs: object) -> None:
        events.append("render")
        raise RenderError("not rendered in this test")

    def decode(source: object, **kwargs: object) -> object:
        if isinstance(source, Path):
            decoded.append(source.name)
        return real_decode(source, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "load_episode", load)
    monkeypatch.setattr(batch, "render_loaded", render)
    monkeypatch.setattr(ffmpeg, "decode", decode)
    batch.run_batch(warm_project, "2026-W47", force=True)
    loads = [f"load {e.stem}" for e in sorted(warm_project.episodes_dir.glob("*.yaml"))]
    assert len(loads) >= 3 and events[: len(loads)] == loads
    assert events[len(loads) :] == ["render"] * len(loads)
    # the bumpers, the bed and the filler pool (the partner episode fills its slot): once each
    assert sorted(decoded) == sorted(
        [
            "intro.wav",
            "outro.wav",
            "soft-pad.wav",
            "sting.wav",
            "instrumental.wav",
            "station-id.wav",
        ]
    )
