"""Whole renders through the neural stand-ins: 30 % faults give the clips a fault-free run
gives, a cast episode speaks with both services at once, and without keys the neural sample
episode falls back loudly (or fails in one line under --strict)."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.app.render import render_episode
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import EngineSettings
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.speech.cache import NORMALIZED_DIR, ClipCache
from audio_pipeline.speech.synthesis import cast_jobs, synthesize_all
from tests.conftest import make_project
from tests.episodes import add_messages, write_episode
from tests.standins import NET, Serve
from tests.standins.server import Schedule

SAMPLE = ["not-alone", "church-prays", "not-forgotten", "light-in-darkness", "peace-for-family"]
SAMPLE += ["strength-for-today"]


def digests(cache: Path) -> dict[str, str]:
    """Cached clips by key (a cache WAV is named <key>.<its own hash>.wav); the normalized
    pieces kept beside them are left out."""
    return {
        p.name.split(".")[0]: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in cache.rglob("*.wav")
        if p.relative_to(cache).parts[0] != NORMALIZED_DIR
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("service", "voice"), [("azure", "ko-azure-male"), ("google-cloud", "ko-google-cloud-female")]
)
def test_thirty_percent_faults_render_strict_with_the_fault_free_clips(
    standin: Serve, tmp_path: Path, service: str, voice: str
) -> None:
    runs: dict[str, dict[str, str]] = {}
    for label, rate in (("clean", 0.0), ("faulty", 0.3)):
        project = make_project(tmp_path / label)
        ids = add_messages(project, 16, sentences_each=2)
        write_episode(project, "neural", ids, voice=voice)
        server = standin(Schedule(rate, seed=2026), service, hang_s=5.0)
        started = time.monotonic()
        report = render_episode(
            project,
            project.episodes_dir / "neural.yaml",
            RenderSettings(strict=True, concurrency=3, engines=EngineSettings(NET)),
        )
        elapsed = time.monotonic() - started
        faults = server.faults()
        print(f"{service} {label}: {faults} in {elapsed:.1f} s")  # the measurements, with -s
        assert report.fallbacks == [] and report.clips_synthesized == len(ids)
        assert server.overflow == 0
        if rate:
            injected = sum(n for name, n in faults.items() if name not in ("ok", "voices"))
            assert injected >= 0.15 * sum(faults.values()), faults  # the schedule really bit
            assert len(set(faults) - {"ok", "voices"}) >= 3, faults  # and in several ways
        runs[label] = digests(project.cache_dir)
        server.stop()
    assert runs["faulty"] == runs["clean"] and len(runs["clean"]) == 16


def test_a_cast_episode_speaks_through_both_services_at_once(
    standin: Serve, project: Project
) -> None:
    server = standin(Schedule(0.0), "azure", "google-cloud")
    inputs = load_episode(project.episodes_dir / "2026-w47-neural.yaml", project)
    engines = EngineSet(EngineSettings(NET))
    clips = synthesize_all(
        cast_jobs(inputs, inputs.messages), engines, ClipCache(project.cache_dir), strict=True
    )
    assert [(c.voice, c.engine) for c in clips] == [
        ("ko-azure-female", "azure"),
        ("ko-google-cloud-male", "google-cloud"),
        ("ko-google-cloud-female", "google-cloud"),
        ("ko-azure-female", "azure"),
        ("ko-google-cloud-male", "google-cloud"),
        ("ko-azure-female", "azure"),
    ]
    spoken = {r.voice for r in server.synthesis_records()}
    assert spoken == {"ko-KR-SunHiNeural", "ko-KR-Neural2-C", "ko-KR-Neural2-A"}
    # one request per message: its sentences and pauses in one SSML document
    assert len(server.synthesis_records()) == len(clips)
    usage = {name: engines.get(name).take_usage() for name in ("azure", "google-cloud")}
    assert usage["azure"][1] == 3 and usage["google-cloud"][1] == 3
    assert all(chars > 100 for chars, _ in usage.values())


def test_the_render_reads_each_message_with_its_cast_voice_and_accounts_for_it(
    standin: Serve, project: Project
) -> None:
    """The casting reaches the programme: cues, the summary's voices, the ledger's placements;
    what each service was sent is added to the month's usage in the ledger."""
    import json

    from audio_pipeline.publish.ledger import Ledger

    standin(Schedule(0.0), "azure", "google-cloud")
    report = render_episode(
        project,
        project.episodes_dir / "2026-w47-neural.yaml",
        RenderSettings(strict=True, engines=EngineSettings(NET)),
    )
    cast = [
        "ko-azure-female",
        "ko-google-cloud-male",
        "ko-google-cloud-female",
        "ko-azure-female",
        "ko-google-cloud-male",
        "ko-azure-female",
    ]
    cues = json.loads((report.output_dir / "cues.json").read_text("utf-8"))["cues"]
    assert [c["voice"] for c in cues if c["kind"] == "message"] == cast
    assert [s.voice for s in report.programme.segments if s.message_id] == cast
    with Ledger(project.ledger_path) as ledger:
        placed = ledger.placements(ledger.current_render("2026-w47-neural") or 0)
        assert [p.voice for p in placed] == cast
        used = {u.engine: u for u in report.usage}
    assert used["azure"].requests == 3 and used["google-cloud"].requests == 3
    assert used["azure"].characters > 100 and used["azure"].limit == 500_000


@pytest.fixture
def sample_project(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The repository's samples in the working directory, with no key in the environment."""
    monkeypatch.chdir(project.root)
    shutil.rmtree(project.root / "output", ignore_errors=True)
    return project


def test_the_neural_sample_without_keys_falls_back_loudly_and_exits_0(
    sample_project: Project,
) -> None:
    result = CliRunner().invoke(app, ["render", "input/episodes/2026-w47-neural.yaml"])
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # one warning per failing voice, whole, then how often each came: not one per clip
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning: FALLBACK")]
    assert len(warnings) == 3
    assert all("no credentials" in w and not w.endswith("…") for w in warnings)
    assert any("SPEECH_KEY and SPEECH_REGION" in w for w in warnings)
    counts = [ln for ln in result.stderr.splitlines() if "times in all: FALLBACK" in ln]
    assert sorted(ln.split(" times")[0] for ln in counts) == ["warning: 2", "warning: 3"]
    assert "fallbacks: 6" in result.stdout
    assert (sample_project.root / "output/2026-w47-neural/2026-w47-neural.wav").exists()


def test_the_neural_sample_without_keys_under_strict_fails_in_one_line(
    sample_project: Project,
) -> None:
    result = CliRunner().invoke(
        app, ["render", "--strict", "--quiet", "input/episodes/2026-w47-neural.yaml"]
    )
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: message 'not-alone': voice 'ko-azure-female' failed")
    assert "no credentials; set SPEECH_KEY and SPEECH_REGION" in line
    assert "--strict forbids fallback" in line
    assert not (sample_project.root / "output/2026-w47-neural").exists()
