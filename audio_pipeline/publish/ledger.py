"""The broadcast ledger: which render of which episode placed which message where, and when
each episode went on the air. What the ministry tells a supporter comes from here.

Standard-library sqlite3, WAL journal (readers never block the render that writes), the
schema versioned by `PRAGMA user_version` with ordered migrations. Every render that is
published adds one `renders` row with its deliverables and placements; a re-render adds a
new row and becomes the episode's current render, and an airing records the render that
was current when it aired, so the history of what really went out is never rewritten.

The ledger holds ids, titles, times and hashes only: never a message's text, notes or
approver.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from audio_pipeline.metadata.manifest import DeliveredFile
from audio_pipeline.publish.ledger_records import (
    Airing,
    EpisodeRow,
    LedgerError,
    LedgerInputError,
    MessagePlacement,
    Placement,
    RenderRecord,
    Use,
    now_utc,
    seconds,
)
from audio_pipeline.publish.ledger_schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 15_000


class Ledger:
    """One connection to the ledger file; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self.db.row_factory = sqlite3.Row  # rows are read by column name
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot open the ledger {path.name}: {exc}") from exc
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise LedgerError(f"the ledger {path.name} cannot be used: {exc}") from exc
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        if self.version == SCHEMA_VERSION:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            current = self.version  # read again under the write lock: another process may
            if current > SCHEMA_VERSION:  # have migrated meanwhile
                raise LedgerError(
                    f"the ledger {self.path.name} has schema version {current}, newer than this "
                    f"audio-pipeline knows ({SCHEMA_VERSION}); upgrade audio-pipeline"
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version + 1}")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: committed when the block ends normally, else rolled back."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write the ledger {self.path.name}: {exc}") from exc
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self.db.execute("ROLLBACK")
            raise LedgerError(f"cannot write the ledger {self.path.name}: {exc}") from exc

    # --- writing -------------------------------------------------------------------------

    def add_render(self, record: RenderRecord) -> int:
        """Record one published render (call inside `transaction()`). Returns its id."""
        self.db.execute(
            "INSERT INTO episodes (id, title, date) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET title = excluded.title, date = excluded.date",
            (record.episode_id, record.title, record.date.isoformat()),
        )
        cursor = self.db.execute(
            "INSERT INTO renders (episode_id, title, date, rendered_at, tool_version, "
            "duration_s, sample_rate, manifest_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.episode_id,
                record.title,
                record.date.isoformat(),
                record.rendered_at.isoformat(),
                record.tool_version,
                record.duration_s,
                record.sample_rate,
                record.manifest_sha256,
            ),
        )
        render_id = int(cursor.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO deliverables (render_id, file, format, bytes, sha256) "
            "VALUES (?, ?, ?, ?, ?)",
            [(render_id, d.file, d.format, d.bytes, d.sha256) for d in record.deliverables],
        )
        self.db.executemany(
            "INSERT INTO placements (render_id, message_id, position, start_sample, end_sample, "
            "text_sha256, voice) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    render_id,
                    p.message_id,
                    p.position,
                    p.start_sample,
                    p.end_sample,
                    p.text_sha256,
                    p.voice,
                )
                for p in record.placements
            ],
        )
        return render_id

    def mark_aired(
        self, episode_id: str, at: dt.datetime, *, now: dt.datetime | None = None
    ) -> Airing:
        """Record that an episode went on the air at `at`, tied to the render that was
        current then (which may be older than the episode's latest render)."""
        now = now or now_utc()
        known = self.db.execute("SELECT 1 FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        if known is None:
            names = [r["id"] for r in self.db.execute("SELECT id FROM episodes ORDER BY date, id")]
            listed = ", ".join(names) or "none yet"
            raise LedgerInputError(
                f"episode '{episode_id}' has never been rendered; episodes in the ledger: {listed}"
            )
        if at > now + dt.timedelta(minutes=5):
            raise LedgerInputError(
                f"--at: {at.isoformat()} is in the future; record an airing after it happened"
            )
        at_text = at.astimezone(dt.UTC).isoformat()
        renders = self.db.execute(
            "SELECT id, rendered_at FROM renders WHERE episode_id = ? ORDER BY id",
            (episode_id,),
        ).fetchall()
        current = [r["id"] for r in renders if dt.datetime.fromisoformat(r["rendered_at"]) <= at]
        if not current:
            first = renders[0]["rendered_at"]
            raise LedgerInputError(
                f"--at: episode '{episode_id}' was first rendered at {first}; "
                f"it cannot have aired at {at.isoformat()}"
            )
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO airings (episode_id, render_id, aired_at, recorded_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(episode_id, aired_at) DO NOTHING",
                (episode_id, current[-1], at_text, now.isoformat()),
            )
        return Airing(added=cursor.rowcount == 1, render_id=current[-1])

    # --- reading -------------------------------------------------------------------------

    def episodes(self) -> list[EpisodeRow]:
        rows = self.db.execute(
            """
            SELECT e.id, e.title, e.date,
                   (SELECT COUNT(*) FROM renders r WHERE r.episode_id = e.id) AS renders,
                   c.rendered_at, c.tool_version, c.duration_s,
                   (SELECT COUNT(*) FROM placements p WHERE p.render_id = c.id) AS messages
            FROM episodes e
            JOIN renders c ON c.id = (SELECT MAX(id) FROM renders WHERE episode_id = e.id)
            ORDER BY e.date, e.id
            """
        ).fetchall()
        return [
            EpisodeRow(
                id=r["id"],
                title=r["title"],
                date=r["date"],
                renders=r["renders"],
                rendered_at=r["rendered_at"],
                tool_version=r["tool_version"],
                duration_s=r["duration_s"],
                messages=r["messages"],
                aired=self._aired(episode_id=r["id"]),
            )
            for r in rows
        ]

    def _aired(
        self, *, episode_id: str | None = None, render_id: int | None = None
    ) -> tuple[str, ...]:
        args: tuple[object, ...] = (episode_id,)
        query = "SELECT aired_at FROM airings WHERE episode_id = ? ORDER BY aired_at"
        if render_id is not None:
            args = (render_id,)
            query = "SELECT aired_at FROM airings WHERE render_id = ? ORDER BY aired_at"
        return tuple(r["aired_at"] for r in self.db.execute(query, args))

    def message(self, message_id: str) -> list[MessagePlacement]:
        """Where a message is placed: in each episode's current render, and in every render
        that went on the air (even if the episode was rendered again since)."""
        rows = self.db.execute(
            """
            SELECT r.episode_id, e.title AS episode_title, r.date AS episode_date,
                   r.id AS render_id, r.rendered_at,
                   r.id = (SELECT MAX(id) FROM renders WHERE episode_id = r.episode_id)
                       AS current,
                   p.position, p.start_sample, p.end_sample, r.sample_rate, p.voice
            FROM placements p
            JOIN renders r ON r.id = p.render_id
            JOIN episodes e ON e.id = r.episode_id
            WHERE p.message_id = ?
              AND (r.id = (SELECT MAX(id) FROM renders WHERE episode_id = r.episode_id)
                   OR EXISTS (SELECT 1 FROM airings a WHERE a.render_id = r.id))
            ORDER BY r.date, r.episode_id, r.id
            """,
            (message_id,),
        ).fetchall()
        return [
            MessagePlacement(
                episode_id=r["episode_id"],
                episode_title=r["episode_title"],
                episode_date=r["episode_date"],
                render_id=r["render_id"],
                rendered_at=r["rendered_at"],
                current=bool(r["current"]),
                position=r["position"],
                start_s=seconds(r["start_sample"], r["sample_rate"]),
                end_s=seconds(r["end_sample"], r["sample_rate"]),
                aired=self._aired(render_id=r["render_id"]),
                voice=r["voice"],
            )
            for r in rows
        ]

    def used_messages(self, *, except_episode: str | None = None) -> dict[str, Use]:
        """Messages that may not be chosen again from the queue, with why: placed in another
        episode's current render (scheduled to air), or aired in any episode (the latest
        airing kept, for "least recently aired first")."""
        used: dict[str, Use] = {}
        for row in self.db.execute(
            """
            SELECT p.message_id, r.episode_id, a.aired_at
            FROM placements p
            JOIN renders r ON r.id = p.render_id
            LEFT JOIN airings a ON a.render_id = r.id
            WHERE a.id IS NOT NULL
               OR r.id = (SELECT MAX(id) FROM renders WHERE episode_id = r.episode_id)
            ORDER BY r.id
            """
        ):
            message_id, episode_id, aired_at = row["message_id"], row["episode_id"], row["aired_at"]
            if episode_id == except_episode:
                continue  # the episode's own previous render: choosing them again is a re-render
            known = used.get(message_id)
            if aired_at is not None:
                if known is None or known.aired_at is None or aired_at > known.aired_at:
                    used[message_id] = Use(f"aired in '{episode_id}' at {aired_at}", aired_at)
            elif known is None:
                used[message_id] = Use(f"placed in episode '{episode_id}'")
        return used

    def current_render(self, episode_id: str) -> int | None:
        row = self.db.execute(
            "SELECT MAX(id) AS id FROM renders WHERE episode_id = ?", (episode_id,)
        ).fetchone()
        return None if row["id"] is None else int(row["id"])

    def deliverables(self, render_id: int) -> list[DeliveredFile]:
        return [
            DeliveredFile(r["file"], r["format"], r["bytes"], r["sha256"])
            for r in self.db.execute(
                "SELECT file, format, bytes, sha256 FROM deliverables WHERE render_id = ? "
                "ORDER BY file",
                (render_id,),
            )
        ]

    def placements(self, render_id: int) -> list[Placement]:
        """A render's placements, in programme order."""
        return [
            Placement(
                r["message_id"],
                r["position"],
                r["start_sample"],
                r["end_sample"],
                r["sample_rate"],
                r["text_sha256"],
                r["voice"],
            )
            for r in self.db.execute(
                "SELECT p.message_id, p.position, p.start_sample, p.end_sample, r.sample_rate, "
                "p.text_sha256, p.voice FROM placements p JOIN renders r ON r.id = p.render_id "
                "WHERE p.render_id = ? ORDER BY p.position",
                (render_id,),
            )
        ]


# --- speech service usage (publish/usage.py keeps the rules; these only read and write) ---


def add_usage(ledger: Ledger, engine: str, month: str, characters: int, requests: int) -> None:
    """Add one run's characters and requests to an engine's month."""
    with ledger.transaction():
        ledger.db.execute(
            "INSERT INTO speech_usage (engine, month, characters, requests) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (engine, month) DO UPDATE SET characters = characters + excluded."
            "characters, requests = requests + excluded.requests",
            (engine, month, characters, requests),
        )


def usage_of_month(ledger: Ledger, month: str) -> dict[str, tuple[int, int]]:
    """{engine: (characters, requests)} of one month ('YYYY-MM')."""
    rows = ledger.db.execute(
        "SELECT engine, characters, requests FROM speech_usage WHERE month = ? ORDER BY engine",
        (month,),
    )
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}
