"""The broadcast ledger's connection (ledger.py): a new file migrated in WAL mode, renders,
placements, airings and the answers read back, and the `ledger` commands built on it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audio_pipeline.cli.main import app
from audio_pipeline.metadata.manifest import DeliveredFile
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.ledger_records import (
    LedgerError,
    LedgerInputError,
    Placement,
    RenderRecord,
)
from audio_pipeline.publish.ledger_schema import SCHEMA_VERSION

runner = CliRunner()
UTC = dt.UTC
RENDERED = dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 12, 1, tzinfo=UTC)


def record(episode: str, messages: list[str], when: dt.datetime = RENDERED) -> RenderRecord:
    rate = 48_000
    voices = ("ko-azure-female", "ko-offline")  # an episode that alternates two voices
    cues = [
        Placement(
            m, i + 1, (10 + 30 * i) * rate, (35 + 30 * i) * rate, rate, "0" * 64, voices[i % 2]
        )
        for i, m in enumerate(messages)
    ]
    return RenderRecord(
        episode_id=episode,
        title=f"title of {episode}",
        date=dt.date(2026, 11, 22),
        rendered_at=when,
        tool_version="0.1.0",
        duration_s=200.0,
        sample_rate=rate,
        placements=tuple(cues),
        deliverables=(
            DeliveredFile(f"{episode}.mp3", "mp3", 1234, "a" * 64),
            DeliveredFile(f"{episode}.wav", "wav", 5678, "b" * 64),
        ),
        manifest_sha256="c" * 64,
    )


def add(ledger: Ledger, rec: RenderRecord) -> int:
    with ledger.transaction():
        return ledger.add_render(rec)


def test_a_new_ledger_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        assert ledger.version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"episodes", "renders", "deliverables", "placements", "airings"} <= tables
    db.close()
    with Ledger(path) as again:  # opening a current ledger changes nothing
        assert again.version == SCHEMA_VERSION


def test_a_ledger_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LedgerError, match="newer than this audio-pipeline knows"):
        Ledger(path)


def test_a_file_that_is_not_a_database_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LedgerError, match="cannot be used"):
        Ledger(path)


def test_renders_deliverables_and_placements_read_back(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        render_id = add(ledger, record("2026-w47", ["not-alone", "church-prays"]))
        assert [d.file for d in ledger.deliverables(render_id)] == ["2026-w47.mp3", "2026-w47.wav"]
        assert ledger.deliverables(render_id)[0].sha256 == "a" * 64
        assert [
            (p.message_id, p.position, p.start_s, p.end_s) for p in ledger.placements(render_id)
        ] == [
            ("not-alone", 1, 10.0, 35.0),
            ("church-prays", 2, 40.0, 65.0),
        ]
        (row,) = ledger.episodes()
        assert (row.id, row.messages, row.renders, row.aired) == ("2026-w47", 2, 1, ())
        (placed,) = ledger.message("church-prays")
        assert (placed.episode_id, placed.position, placed.start_s, placed.end_s) == (
            "2026-w47",
            2,
            40.0,
            65.0,
        )
        assert placed.current and placed.aired == ()
        assert ledger.message("nobody") == []


def test_mark_aired_ties_the_airing_to_the_render_current_then(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        first = add(ledger, record("2026-w47", ["not-alone", "church-prays"]))
        aired = dt.datetime(2026, 11, 22, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
        assert ledger.mark_aired("2026-w47", aired, now=NOW).added is True
        assert ledger.mark_aired("2026-w47", aired, now=NOW).added is False  # recorded once
        # re-rendered afterwards without church-prays: its airing stays in the answer
        later = dt.datetime(2026, 11, 25, tzinfo=UTC)
        second = add(ledger, record("2026-w47", ["not-alone"], when=later))
        (old,) = ledger.message("church-prays")
        assert old.render_id == first and not old.current
        assert old.aired == ("2026-11-22T12:00:00+00:00",)
        placed = ledger.message("not-alone")
        assert [(p.render_id, p.current) for p in placed] == [(first, False), (second, True)]
        (row,) = ledger.episodes()
        assert row.renders == 2 and row.messages == 1 and row.aired == old.aired


def test_mark_aired_refuses_what_cannot_be_true(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(LedgerInputError, match="never been rendered"):
            ledger.mark_aired("2026-w47", RENDERED, now=NOW)
        add(ledger, record("2026-w47", ["not-alone"]))
        with pytest.raises(LedgerInputError, match="first rendered at"):
            ledger.mark_aired("2026-w47", RENDERED - dt.timedelta(days=1), now=NOW)
        with pytest.raises(LedgerInputError, match="in the future"):
            ledger.mark_aired("2026-w47", NOW + dt.timedelta(days=1), now=NOW)
        assert ledger.episodes()[0].aired == ()


def test_used_messages_are_those_placed_elsewhere_or_aired(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        add(ledger, record("2026-w47", ["not-alone", "church-prays"]))
        add(ledger, record("2026-w48", ["hope-in-waiting"]))
        used = ledger.used_messages(except_episode="2026-w47")
        assert set(used) == {"hope-in-waiting"}  # its own placements are its to keep
        assert str(used["hope-in-waiting"]) == "placed in episode '2026-w48'"
        assert used["hope-in-waiting"].aired_at is None
        ledger.mark_aired("2026-w47", RENDERED + dt.timedelta(days=2), now=NOW)
        used = ledger.used_messages(except_episode="2026-w49")
        assert set(used) == {"not-alone", "church-prays", "hope-in-waiting"}
        assert str(used["not-alone"]).startswith("aired in '2026-w47'")
        aired = (RENDERED + dt.timedelta(days=2)).isoformat()
        assert used["not-alone"].aired_at == aired


# --- the CLI -------------------------------------------------------------------------------------


# the CLI checks airings against the real clock: times relative to it
AIRED = (dt.datetime.now(UTC) - dt.timedelta(days=1)).replace(second=0, microsecond=0)
AIRED_ARG = AIRED.strftime("%Y-%m-%dT%H:%MZ")


@pytest.fixture
def ledger_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "voices").mkdir()
    (tmp_path / "input").mkdir()
    monkeypatch.chdir(tmp_path)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        rendered = AIRED - dt.timedelta(days=2)
        add(ledger, record("2026-w47", ["not-alone", "church-prays"], when=rendered))
    return tmp_path


def test_cli_mark_aired_message_and_episodes(ledger_project: Path) -> None:
    marked = runner.invoke(app, ["ledger", "mark-aired", "2026-w47", "--at", AIRED_ARG])
    assert marked.exit_code == 0, marked.stderr
    assert marked.stdout.startswith(
        f"recorded: episode 2026-w47 aired at {AIRED.isoformat()} (2 message(s))"
    )
    again = runner.invoke(app, ["ledger", "mark-aired", "2026-w47", "--at", AIRED_ARG])
    assert again.exit_code == 0 and again.stdout.startswith("already recorded")

    message = runner.invoke(app, ["ledger", "message", "church-prays"])
    assert message.exit_code == 0
    assert "episode 2026-w47 (2026-11-22)" in message.stdout
    assert "message 2, read by ko-offline, 0:40.0 to 1:05.0" in message.stdout
    shown = AIRED.strftime("%Y-%m-%d %H:%M UTC")
    assert f"aired: {shown}" in message.stdout
    as_json = runner.invoke(app, ["ledger", "message", "church-prays", "--json"])

    doc = json.loads(as_json.stdout)
    assert doc["placements"][0]["start_s"] == 40.0
    assert doc["placements"][0]["aired"] == [AIRED.isoformat()]
    nothing = runner.invoke(app, ["ledger", "message", "hope-in-waiting"])
    assert nothing.stdout.strip() == "hope-in-waiting: not placed in any episode yet"

    episodes = runner.invoke(app, ["ledger", "episodes"])
    assert episodes.exit_code == 0
    assert "2026-w47" in episodes.stdout and shown in episodes.stdout
    assert episodes.stdout.strip().endswith("1 episode(s) in ledger.sqlite")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nope", "--at", AIRED_ARG], "error: episode 'nope' has never been rendered"),
        (["2026-w47", "--at", "2999-01-01T00:00Z"], "error: --at: 2999-01-01T00:00:00+00:00 is in"),
        (["2026-w47", "--at", "21:00 Sunday"], "error: --at: '21:00 Sunday' is not a date and"),
        (["2026-w47", "--at", "2026-11-22"], "error: --at: '2026-11-22' has no time of day"),
    ],
)
def test_cli_mark_aired_errors_are_one_line_exit_2(
    ledger_project: Path, args: list[str], expected: str
) -> None:
    result = runner.invoke(app, ["ledger", "mark-aired", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(expected)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_looking_up_does_not_create_a_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "voices").mkdir()
    (tmp_path / "input").mkdir()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["ledger", "episodes"]).exit_code == 0
    assert runner.invoke(app, ["ledger", "message", "x"]).exit_code == 0
    assert not (tmp_path / "ledger.sqlite").exists()


def test_the_ledger_location_follows_the_environment(
    ledger_project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere" / "broadcast.sqlite"
    monkeypatch.setenv("AUDIO_PIPELINE_LEDGER", str(other))
    with Ledger(other) as ledger:
        add(ledger, record("2026-w50", ["hope-in-waiting"]))
    result = runner.invoke(app, ["ledger", "episodes", "--json"])

    assert [e["id"] for e in json.loads(result.stdout)["episodes"]] == ["2026-w50"]


def test_cli_mark_aired_counts_the_messages_of_the_render_that_aired(
    ledger_project: Path,
) -> None:
    """An airing in the past belongs to the render current then: its message count is told,
    not the count of a later re-render."""
    with Ledger(ledger_project / "ledger.sqlite") as ledger:
        later = AIRED + dt.timedelta(hours=1)
        add(ledger, record("2026-w47", ["not-alone", "church-prays", "not-forgotten"], later))
    marked = runner.invoke(app, ["ledger", "mark-aired", "2026-w47", "--at", AIRED_ARG])
    assert marked.exit_code == 0, marked.stderr
    assert "(2 message(s))" in marked.stdout
