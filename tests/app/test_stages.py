"""The stages of a render (app/stages.py), each on its own: the tempo-up that fits a slot,
publishing with the broadcast ledger in the same step, and accounting what the paid
services were sent. Their results are read back independently (sqlite3 for the ledger)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import sqlite3
from pathlib import Path

import pytest

from audio_pipeline.app.errors import tell
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.app.stages import SlotOverrunError, account_usage, plan_tempo, publish
from audio_pipeline.core.errors import OutputError
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import Clip, EngineUsage
from audio_pipeline.inputs.episodes import EpisodeInputs, load_episode
from audio_pipeline.metadata.manifest import DeliveredFile
from audio_pipeline.programme.timing import Slot
from audio_pipeline.publish.outputdir import Staging
from tests.app.reports import made_report, s
from tests.fakes import Recorder

R = 48_000


def slot(target_s: float | None, max_tempo: float = 1.05) -> Slot:
    """1 s intro and outro, 1 s gaps, no sting, no crossfade: 5 s around two messages."""
    target = None if target_s is None else round(target_s * R)
    return Slot(R, 0, 0, R, R, None, target, False, max_tempo)


def ten_second_clips() -> list[Clip]:
    return [
        Clip(name, Path("x.wav"), "k", "espeak", "ko-offline", False, True, "t", 10.0)
        for name in ("a", "b")
    ]


def test_a_programme_that_fits_keeps_its_pace() -> None:
    for room in (slot(None), slot(25.0), slot(30.0)):
        told = Recorder()
        assert plan_tempo(room, ten_second_clips(), told) == 1.0
        assert told.warnings == []


def test_just_enough_tempo_up_to_fit_and_it_is_said() -> None:
    told = Recorder()
    tempo = plan_tempo(slot(24.2), ten_second_clips(), told)
    # 25.0 s at their own pace; the messages must shrink from 20 s to 19.2 s
    assert 2 * math.ceil(10 * R / tempo) + 5 * R <= round(24.2 * R)
    assert 20 / 19.2 <= tempo <= min(1.05, 20 / 19.2 * 1.01)
    assert told.warnings == [f"messages sped up {tempo:.3f}x (pitch kept) to fit the slot"]


def test_an_overrun_fails_with_what_to_drop() -> None:
    with pytest.raises(SlotOverrunError) as failed:
        plan_tempo(slot(24.0), ten_second_clips(), Recorder())
    assert (
        str(failed.value) == "programme overruns its slot by 0:01.0: 0:25.0 for a target of 0:24.0"
    )
    assert failed.value.notes == (
        "tempo-up to 1.05x (max_tempo) saves 0:01.0, not enough",
        "messages that fit, in order: a",
        "drop to fit: b (0:10.0)",
        "or drop any one of: a (0:10.0), b (0:10.0)",
    )
    assert tell(failed.value).exit_code == 1


# --- publishing ------------------------------------------------------------------------------


@pytest.fixture
def inputs(project: Project) -> EpisodeInputs:
    return load_episode(project.episodes_dir / "2026-w47.yaml", project)


def staged(staging: Staging) -> tuple[list[DeliveredFile], Path]:
    """A master and a manifest in the staging folder; the master as a delivered file."""
    master = staging.folder / "2026-w47.wav"
    master.write_bytes(b"RIFF and some samples")
    manifest = staging.folder / "manifest.json"
    manifest.write_text('{"episode_id": "2026-w47"}', "utf-8")
    sha = hashlib.sha256(master.read_bytes()).hexdigest()
    return [DeliveredFile("2026-w47.wav", "wav", master.stat().st_size, sha)], manifest


def rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(query).fetchall()


def test_publishing_records_the_render_and_its_placements(
    project: Project, inputs: EpisodeInputs
) -> None:
    programme = made_report(project.root).programme
    with Staging(project.output_dir, "2026-w47") as staging:
        outputs, manifest = staged(staging)
        final, render_id = publish(staging, inputs, programme, outputs, manifest, RenderSettings())
    assert final == project.output_dir / "2026-w47"
    assert sorted(p.name for p in final.iterdir()) == ["2026-w47.wav", "manifest.json"]
    ledger = project.root / "ledger.sqlite"
    assert rows(ledger, "SELECT id, episode_id, duration_s, sample_rate FROM renders") == [
        (render_id, "2026-w47", 100.0, R)
    ]
    # every message placed, the reading that filled the slot too, in programme order
    assert rows(
        ledger,
        "SELECT message_id, position, start_sample, end_sample, voice FROM placements "
        "ORDER BY position",
    ) == [
        ("not-alone", 1, s(10.3), s(30.5), "ko-offline"),
        ("church-prays", 2, s(32.0), s(47.0), "ko-offline"),
        ("a-reading", 3, s(54.0), s(84.0), "ko-offline"),
    ]
    manifest_sha = hashlib.sha256(b'{"episode_id": "2026-w47"}').hexdigest()
    assert rows(ledger, "SELECT file, sha256 FROM deliverables ORDER BY file") == [
        ("2026-w47.wav", outputs[0].sha256),
        ("manifest.json", manifest_sha),
    ]
    assert rows(ledger, "SELECT manifest_sha256 FROM renders") == [(manifest_sha,)]


def test_without_the_ledger_the_folder_is_published_and_nothing_recorded(
    project: Project, inputs: EpisodeInputs
) -> None:
    programme = made_report(project.root).programme
    with Staging(project.output_dir, "2026-w47") as staging:
        outputs, manifest = staged(staging)
        final, render_id = publish(
            staging, inputs, programme, outputs, manifest, RenderSettings(ledger=False)
        )
    assert render_id is None and (final / "2026-w47.wav").is_file()
    assert not (project.root / "ledger.sqlite").exists()


def test_a_folder_that_cannot_be_published_is_not_in_the_ledger(
    project: Project, inputs: EpisodeInputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: Staging) -> Path:
        raise OutputError("cannot write to output: the disk is full")

    programme = made_report(project.root).programme
    with Staging(project.output_dir, "2026-w47") as staging:
        outputs, manifest = staged(staging)
        monkeypatch.setattr(Staging, "publish", full_disk)
        with pytest.raises(OutputError, match="the disk is full"):
            publish(staging, inputs, programme, outputs, manifest, RenderSettings())
    assert rows(project.root / "ledger.sqlite", "SELECT COUNT(*) FROM renders") == [(0,)]
    assert rows(project.root / "ledger.sqlite", "SELECT COUNT(*) FROM placements") == [(0,)]
    assert not (project.output_dir / "2026-w47").exists()


# --- usage of the paid services ------------------------------------------------------------


class Billed:
    """An engine as the usage flush sees it: its name and what it sent since the last look."""

    def __init__(self, name: str, characters: int, requests: int) -> None:
        self.name = name
        self.sent = (characters, requests)

    def take_usage(self) -> tuple[int, int]:
        sent, self.sent = self.sent, (0, 0)
        return sent


class Engines:
    def __init__(self, *engines: Billed) -> None:
        self.engines = list(engines)

    def built(self) -> list[Billed]:
        return self.engines


def test_what_a_run_sent_is_added_to_the_month_and_a_near_limit_is_warned(
    project: Project, inputs: EpisodeInputs
) -> None:
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    told, found = Recorder(), list[EngineUsage]()
    engines = Engines(Billed("azure", 300_000, 600), Billed("espeak", 0, 0))
    account_usage(inputs, engines, told, found)  # type: ignore[arg-type]
    assert [(u.engine, u.characters, u.requests) for u in found] == [("azure", 300_000, 600)]
    assert told.warnings == []  # 60 % of the free tier
    # the next run: its characters added to the month's, which are now near the limit
    told, found = Recorder(), list[EngineUsage]()
    account_usage(inputs, Engines(Billed("azure", 150_000, 300)), told, found)  # type: ignore[arg-type]
    assert rows(project.root / "ledger.sqlite", "SELECT * FROM speech_usage") == [
        ("azure", month, 450_000, 900)
    ]
    assert [(u.engine, u.characters, u.requests) for u in found] == [("azure", 450_000, 900)]
    assert told.warnings == [
        f"azure: {month} usage is near the free tier "
        "(450,000 of 500,000 free characters (90%), 900 request(s))"
    ]


def test_a_run_that_sent_nothing_leaves_the_month_alone(
    project: Project, inputs: EpisodeInputs
) -> None:
    told, found = Recorder(), list[EngineUsage]()
    account_usage(inputs, Engines(Billed("espeak", 0, 0)), told, found)  # type: ignore[arg-type]
    assert found == [] and told.warnings == []
    assert rows(project.root / "ledger.sqlite", "SELECT COUNT(*) FROM speech_usage") == [(0,)]
