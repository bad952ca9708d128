"""Network faults end to end: the real gTTS against a local HTTPS stand-in (tests/faultserver.py)
that injects 429s, 5xx, timeouts, hung and trickling connections, answers without (usable)
audio and connections dropped half-way, from a seeded schedule."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_pipeline.app.render import render_episode
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.core.errors import RenderError
from audio_pipeline.core.project import Project
from audio_pipeline.engines.base import EngineSettings, NetworkSettings
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.inputs.episodes import load_episode
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.synthesis import ClipJob, synthesize_all
from tests.conftest import make_project
from tests.episodes import add_messages, write_episode
from tests.faultserver import ALL_FAULTS, FaultSchedule, FaultServer

# Timeouts scaled down from the defaults (5/20/45 s) so a hung connection costs a second.
NET = NetworkSettings(
    connect_timeout_s=1.0,
    read_timeout_s=1.0,
    attempt_timeout_s=2.5,
    backoff_base_s=0.02,
    backoff_max_s=0.2,
    requests_per_minute=0,
)


def engine_set(network: NetworkSettings = NET) -> EngineSet:
    return EngineSet(EngineSettings(network))


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Start a stand-in with a schedule and point gTTS at it (HTTPS_PROXY); stop them all."""
    servers: list[FaultServer] = []

    def start(schedule: FaultSchedule, **options: object) -> FaultServer:
        server = FaultServer(schedule, **options)  # type: ignore[arg-type]
        server.start()
        servers.append(server)
        for name in ("HTTPS_PROXY", "https_proxy"):
            monkeypatch.setenv(name, server.proxy_url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        return server

    yield start
    for server in servers:
        server.stop()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def twenty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A project template with 20 approved two-sentence messages and a ko-google episode."""
    root = tmp_path_factory.mktemp("twenty") / "proj"
    project = make_project(root)
    ids = add_messages(project, 20, sentences_each=1)
    write_episode(project, "faults", ids, voice="ko-google")
    return root, ids


def fresh_copy(template: Path, dest: Path) -> Project:
    import shutil

    shutil.copytree(template / "voices", dest / "voices")
    shutil.copytree(template / "input", dest / "input")
    return Project.at(dest, cache_dir=dest / "cache")


def cache_digests(cache: Path) -> dict[str, str]:
    """Cached clips by key (a cache WAV is named <key>.<its own hash>.wav); a render's
    normalized pieces (under normalized/) are not clips."""
    return {p.name.split(".")[0]: digest(p) for p in cache.glob("??/*.wav")}


@pytest.mark.slow
def test_thirty_percent_faults_give_every_clip_a_fault_free_run_gives(
    serve: object, twenty: tuple[Path, list[str]], tmp_path: Path
) -> None:
    template, _ = twenty
    # the fault-free reference: the same 20 clips synthesized through a healthy stand-in
    clean_project = fresh_copy(template, tmp_path / "clean")
    clean_server = serve(FaultSchedule(0.0))  # type: ignore[operator]
    reference = synthesize_all(
        jobs_for(clean_project, clean_project.episodes_dir / "faults.yaml"),
        engine_set(),
        ClipCache(clean_project.cache_dir),
        strict=True,
        concurrency=3,
    )
    assert clean_server.faults() == {"ok": len(clean_server.records)}

    faulty_project = fresh_copy(template, tmp_path / "faulty")
    server = serve(FaultSchedule(0.3, seed=2026), hang_s=5.0)  # type: ignore[operator]
    report = render_episode(
        faulty_project,
        faulty_project.episodes_dir / "faults.yaml",
        RenderSettings(strict=True, concurrency=3, engines=EngineSettings(NET)),
    )

    faults = server.faults()
    injected = sum(n for name, n in faults.items() if name != "ok")
    assert injected >= 0.15 * len(server.records), faults  # the schedule really bit
    assert len({f for f in faults if f != "ok"}) >= 6, faults  # and in many ways
    assert server.overflow == 0
    assert report.fallbacks == [] and report.clips_synthesized == 20
    assert report.output_dir is not None
    assert len(list((report.output_dir / "clips").glob("*.wav"))) == 20
    # every clip byte for byte what the fault-free run made, and nothing half-written cached
    expected = cache_digests(clean_project.cache_dir)
    assert sorted(expected) == sorted(c.cache_key for c in reference)
    assert cache_digests(faulty_project.cache_dir) == expected
    assert ClipCache(faulty_project.cache_dir).stats().incomplete == 0


def jobs_for(project: Project, episode: Path) -> list[ClipJob]:
    inputs = load_episode(episode, project)
    return [ClipJob(m, inputs.voice, inputs.fallback_voice) for m in inputs.messages]


@pytest.mark.parametrize("fault", ALL_FAULTS)
def test_each_fault_alone_is_retried_to_the_right_clip(
    serve: object, project: Project, fault: str
) -> None:
    """One fault of each kind first, then a healthy service: the clip is the clean one."""
    ids = add_messages(project, 1, sentences_each=0)
    episode = write_episode(project, "one", ids, voice="ko-google")
    server = serve(FaultSchedule(0.0, first=[fault]), hang_s=5.0)  # type: ignore[operator]
    engines = engine_set()
    started = time.monotonic()
    (clip,) = synthesize_all(
        jobs_for(project, episode), engines, ClipCache(project.cache_dir), strict=True
    )
    elapsed = time.monotonic() - started
    assert (clip.engine, clip.fallback) == ("gtts", False)
    assert [r.fault for r in server.records] == [fault, "ok"]
    assert clip.engine_requests == 2
    assert elapsed < NET.attempt_timeout_s + 2.0  # a trickle is cut at the attempt deadline
    # the same clip a clean service gives
    clean = ClipCache(project.root / "clean-cache")
    serve(FaultSchedule(0.0))  # type: ignore[operator]
    (again,) = synthesize_all(jobs_for(project, episode), engine_set(), clean, strict=True)
    assert again.cache_key == clip.cache_key
    assert digest(again.path) == digest(clip.path)


def test_retry_after_pauses_every_worker(serve: object, project: Project) -> None:
    """A 429 with Retry-After (an HTTP date here) holds all workers, not only the one told."""
    ids = add_messages(project, 6, sentences_each=0)
    episode = write_episode(project, "pause", ids, voice="ko-google")
    server = serve(  # type: ignore[operator]
        FaultSchedule(0.0, first=["429_date"]), retry_after_s=3
    )
    clips = synthesize_all(
        jobs_for(project, episode),
        engine_set(),
        ClipCache(project.cache_dir),
        strict=True,
        concurrency=3,
    )
    assert all(not c.fallback for c in clips)
    told = next(r for r in server.records if r.fault == "429_date")
    # an HTTP date has whole seconds: the pause is 2 to 3 s from the 429. Requests the other
    # workers had begun before the 429 was read may still arrive (0.6 s allowed for that on
    # a loaded machine); then nothing until the pause ends
    during = [r for r in server.records if told.t + 0.6 < r.t < told.t + 1.9]
    assert during == []
    assert len(server.records) == 7


def test_rate_cap_holds_across_concurrent_workers(serve: object, project: Project) -> None:
    """240 a minute is one every 0.25 s: count what arrives at the stand-in per window."""
    ids = add_messages(project, 16, sentences_each=0)
    episode = write_episode(project, "cap", ids, voice="ko-google")
    server = serve(FaultSchedule(0.0))  # type: ignore[operator]
    rpm = 240.0
    settings = NetworkSettings(**{**NET.__dict__, "requests_per_minute": rpm})
    started = time.monotonic()
    synthesize_all(
        jobs_for(project, episode),
        engine_set(settings),
        ClipCache(project.cache_dir),
        strict=True,
        concurrency=4,
    )
    elapsed = time.monotonic() - started
    assert len(server.records) == 16
    per_second = rpm / 60
    # token bucket of one: requests start at least 0.25 s apart. What the stand-in sees also
    # carries each request's way there (a thread, a TLS handshake): up to 0.25 s of jitter is
    # allowed for a loaded machine. Without the cap all 16 would arrive within a second.
    for window in (1.0, 2.0):
        assert server.requests_in_window(window) <= 1 + (window + 0.25) * per_second, window
    assert elapsed >= 15 / per_second - 0.1  # and the workers did not get round it


@pytest.mark.slow
def test_total_failure_ends_in_bounded_time_with_a_clear_message(
    serve: object, twenty: tuple[Path, list[str]], tmp_path: Path
) -> None:
    project = fresh_copy(twenty[0], tmp_path / "down")
    serve(FaultSchedule(1.0), hang_s=5.0)  # type: ignore[operator]
    settings = NetworkSettings(**{**NET.__dict__, "give_up_after_s": 4.0})
    started = time.monotonic()
    with pytest.raises(RenderError) as failure:
        render_episode(
            project,
            project.episodes_dir / "faults.yaml",
            RenderSettings(strict=True, concurrency=3, engines=EngineSettings(settings)),
        )
    elapsed = time.monotonic() - started
    message = str(failure.value)
    assert "\n" not in message
    assert "voice 'ko-google' failed" in message and "--strict forbids fallback" in message
    assert "gTTS" in message
    # the give-up budget counts from the first failing attempt and no attempt or backoff
    # may overrun it; the margin is for loading the episode and a loaded machine
    assert elapsed < settings.give_up_after_s + 8.0
    assert not (project.output_dir / "faults").exists()


def test_total_failure_falls_back_loudly_where_allowed(serve: object, project: Project) -> None:
    ids = add_messages(project, 3, sentences_each=0)
    episode = write_episode(project, "down", ids, voice="ko-google", fallback_voice="ko-offline")
    server = serve(FaultSchedule(1.0, faults=["hang", "500", "trickle"]))  # type: ignore[operator]
    settings = NetworkSettings(**{**NET.__dict__, "give_up_after_s": 3.0})
    started = time.monotonic()
    clips = synthesize_all(
        jobs_for(project, episode),
        engine_set(settings),
        ClipCache(project.cache_dir),
    )
    elapsed = time.monotonic() - started
    assert [(c.engine, c.fallback) for c in clips] == [("espeak", True)] * 3
    assert all("gTTS" in (c.fallback_reason or "") for c in clips)
    assert elapsed < settings.give_up_after_s + 8.0  # and then three clips by espeak
    sent = len(server.records)
    assert sent <= 2 * settings.max_attempts  # given up for the run, not retried per clip


def test_offline_is_detected_after_three_refusals(serve: object, project: Project) -> None:
    ids = add_messages(project, 4, sentences_each=0)
    episode = write_episode(project, "offline", ids, voice="ko-google")
    server = serve(FaultSchedule(1.0, faults=["refuse"]))  # type: ignore[operator]
    clips = synthesize_all(jobs_for(project, episode), engine_set(), ClipCache(project.cache_dir))
    assert all(c.fallback and "unreachable" in (c.fallback_reason or "") for c in clips)
    assert len(server.records) == 3


def test_read_side_failures_do_not_mark_a_working_service_unreachable(
    serve: object, project: Project
) -> None:
    """Hangs and drops mid-answer reached the service: four of them in a row, even before
    any success, are retried, not taken for 'offline' (three used to give gTTS up for the
    run, and every later clip went to the fallback voice)."""
    ids = add_messages(project, 2, sentences_each=0)
    episode = write_episode(project, "flaky", ids, voice="ko-google")
    server = serve(  # type: ignore[operator]
        FaultSchedule(0.0, first=["hang", "drop_mid_body", "hang_mid_body", "drop_chunked"])
    )
    clips = synthesize_all(
        jobs_for(project, episode),
        engine_set(),
        ClipCache(project.cache_dir),
        strict=True,
    )
    assert [c.engine for c in clips] == ["gtts", "gtts"]
    assert len(server.records) == 6
