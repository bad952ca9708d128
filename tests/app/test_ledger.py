"""The broadcast ledger as the commands and the studio open it for a look-up
(app/ledger.py): the project's ledger, or the one $AUDIO_PIPELINE_LEDGER names; a missing
one reads as empty and is not created by looking."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from audio_pipeline.app.ledger import open_ledger
from audio_pipeline.core.project import ENV_LEDGER, Project
from tests.app.reports import add_render, ledger_record

RENDERED = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def test_a_missing_ledger_reads_as_empty_and_is_not_created(project: Project) -> None:
    with open_ledger(project) as ledger:
        assert ledger.episodes() == []
        assert ledger.message("not-alone") == []
    assert sorted(p.name for p in project.root.iterdir()) == ["input", "voices"]


def test_the_project_s_ledger_is_read(project: Project) -> None:
    add_render(project.root / "ledger.sqlite", ledger_record("2026-w47", ["not-alone"], RENDERED))
    with open_ledger(project) as ledger:
        assert [row.id for row in ledger.episodes()] == ["2026-w47"]
        (placed,) = ledger.message("not-alone")
    assert (placed.episode_id, placed.position, placed.start_s) == ("2026-w47", 1, 10.0)


def test_the_ledger_the_environment_names_wins(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_render(project.root / "ledger.sqlite", ledger_record("2026-w47", ["a"], RENDERED))
    shared = tmp_path / "srv" / "broadcast.sqlite"
    add_render(shared, ledger_record("2026-w50", ["b"], RENDERED))
    monkeypatch.setenv(ENV_LEDGER, str(shared))
    with open_ledger(project) as ledger:
        assert [row.id for row in ledger.episodes()] == ["2026-w50"]
    # read independently: the shared file holds that render
    with contextlib.closing(sqlite3.connect(shared)) as db:
        assert db.execute("SELECT episode_id FROM renders").fetchall() == [("2026-w50",)]
    monkeypatch.setenv(ENV_LEDGER, str(tmp_path / "none-yet.sqlite"))
    with open_ledger(project) as ledger:
        assert ledger.episodes() == []
    assert not (tmp_path / "none-yet.sqlite").exists()
