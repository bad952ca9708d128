"""The ledger's schema as ordered migrations (ledger_schema.py): run in order by plain
sqlite3 they build the documented tables and constraints, every older ledger is brought up
to date without losing what it holds, and a migration that has shipped is never edited."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.ledger_schema import MIGRATIONS, SCHEMA_VERSION

# the schema as the docs describe it: table -> its columns in order
SCHEMA = {
    "airings": ["id", "episode_id", "render_id", "aired_at", "recorded_at"],
    "deliverables": ["render_id", "file", "format", "bytes", "sha256"],
    "episodes": ["id", "title", "date"],
    "placements": [
        "render_id",
        "message_id",
        "position",
        "start_sample",
        "end_sample",
        "text_sha256",
        "voice",
    ],
    "renders": [
        "id",
        "episode_id",
        "title",
        "date",
        "rendered_at",
        "tool_version",
        "duration_s",
        "sample_rate",
        "manifest_sha256",
    ],
    "speech_usage": ["engine", "month", "characters", "requests"],
}

# sha256 of each shipped migration's statements: a ledger in the field has run them as they
# were, so they are never edited (a change of schema is a new migration, appended)
SHIPPED = (
    "c300c4c05befc0c579a8d63e5001fb650e0a1f37b51abec67fcce7b2eb6d0713",
    "849b6a009db328679eaeecbd877edf6bfc1c13844bd49e34a862be582702f816",
    "9bbc6d298f9027e964cd4144908d9813edf7724d2f6e0d3b98a6bb6b3e1860a2",
    "384cd182effeb0b6111148d47bf01b2480fd3bd81cf83fdd3d2f3c018993eac7",
)


def migrated(db: sqlite3.Connection, to: int) -> sqlite3.Connection:
    """Run the first `to` migrations the way a ledger of that version ran them."""
    for version in range(to):
        for statement in MIGRATIONS[version]:
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {to}")
    db.commit()
    return db


def schema_of(db: sqlite3.Connection) -> dict[str, list[str]]:
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: [c[1] for c in db.execute(f"PRAGMA table_info({t})")] for t in sorted(tables)}


def test_the_version_is_the_number_of_migrations_and_none_shipped_was_edited() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= len(SHIPPED)
    for version, digest in enumerate(SHIPPED):
        text = json.dumps(list(MIGRATIONS[version])).encode()
        assert hashlib.sha256(text).hexdigest() == digest, f"migration {version + 1} was edited"


def test_the_migrations_in_order_build_the_documented_schema() -> None:
    db = migrated(sqlite3.connect(":memory:"), SCHEMA_VERSION)
    assert schema_of(db) == SCHEMA
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"renders_by_episode", "placements_by_message"} <= indexes


def test_the_constraints_keep_the_history_consistent() -> None:
    db = migrated(sqlite3.connect(":memory:"), SCHEMA_VERSION)
    db.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO placements VALUES (7, 'not-alone', 1, 0, 10, NULL, NULL)")
    db.execute("INSERT INTO episodes VALUES ('2026-w47', 't', '2026-11-22')")
    db.execute(
        "INSERT INTO renders VALUES (1, '2026-w47', 't', '2026-11-22', "
        "'2026-11-20T10:00:00+00:00', '0.1.0', 90.0, 48000, NULL)"
    )
    db.execute("INSERT INTO placements VALUES (1, 'not-alone', 1, 0, 10, NULL, NULL)")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # a message once per render
        db.execute("INSERT INTO placements VALUES (1, 'not-alone', 2, 20, 30, NULL, NULL)")
    airing = (
        "INSERT INTO airings (episode_id, render_id, aired_at, recorded_at) VALUES (?, ?, ?, ?)"
    )
    db.execute(airing, ("2026-w47", 1, "2026-11-22T12:00:00+00:00", "now"))
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # an airing is recorded once
        db.execute(airing, ("2026-w47", 1, "2026-11-22T12:00:00+00:00", "later"))
    db.execute("INSERT INTO speech_usage (engine, month) VALUES ('azure', '2026-11')")
    assert db.execute("SELECT characters, requests FROM speech_usage").fetchone() == (0, 0)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_a_ledger_of_every_older_version_is_brought_up_to_date(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.sqlite"
    migrated(sqlite3.connect(path), version).close()
    with Ledger(path) as ledger:
        assert ledger.version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert schema_of(db) == SCHEMA


def test_a_version_3_ledger_keeps_its_placements_with_no_voice(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite"
    db = migrated(sqlite3.connect(path), 3)
    db.execute("INSERT INTO episodes VALUES ('2026-w45', 'old', '2026-11-08')")
    db.execute(
        "INSERT INTO renders VALUES (1, '2026-w45', 'old', '2026-11-08', "
        "'2026-11-06T10:00:00+00:00', '0.1.0', 90.0, 44100, NULL)"
    )
    db.execute("INSERT INTO placements VALUES (1, 'not-alone', 1, 22050, 441000, 'ab')")
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        (placed,) = ledger.placements(1)
    assert (placed.message_id, placed.start_s, placed.end_s) == ("not-alone", 0.5, 10.0)
    assert (placed.text_sha256, placed.voice) == ("ab", None)  # who read it was not recorded


def test_a_version_1_ledger_is_migrated_and_keeps_its_placements(tmp_path: Path) -> None:
    """Version 1 stored each placement's seconds beside its samples; the migration drops them
    and the answers are the same, now derived from the samples and the render's rate."""
    from audio_pipeline.publish.ledger_schema import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO episodes VALUES ('2026-w40', 'old', '2026-10-04')")
    db.execute(
        "INSERT INTO renders VALUES (1, '2026-w40', 'old', '2026-10-04', "
        "'2026-10-01T10:00:00+00:00', '0.1.0', 90.0, 48000, NULL)"
    )
    db.execute(
        "INSERT INTO placements VALUES (1, 'not-alone', 1, 10.5, 30.25, 504000, 1452000, NULL)"
    )
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        assert ledger.version == SCHEMA_VERSION
        (placed,) = ledger.message("not-alone")
        assert (placed.start_s, placed.end_s) == (10.5, 30.25)
    columns = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(placements)")]
    assert "start_s" not in columns and "end_s" not in columns


def test_the_usage_table_is_a_migration_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = [r[1] for r in db.execute("PRAGMA table_info(speech_usage)")]
    assert columns == ["engine", "month", "characters", "requests"]
