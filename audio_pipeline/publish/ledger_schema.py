"""The ledger's schema, as the ordered migrations that build it.

`PRAGMA user_version` holds how many have run (publish.ledger runs the rest, under a write
lock, when it opens the file). Append only: never edit a migration that has shipped, since
a ledger file in the field already ran it.
"""

from __future__ import annotations

# MIGRATIONS[n] brings a ledger from version n to n + 1. Append only;
# never edit a migration that has shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE episodes (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            date TEXT NOT NULL
        )""",
        """CREATE TABLE renders (
            id INTEGER PRIMARY KEY,
            episode_id TEXT NOT NULL REFERENCES episodes(id),
            title TEXT NOT NULL,
            date TEXT NOT NULL,
            rendered_at TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            duration_s REAL NOT NULL,
            sample_rate INTEGER NOT NULL,
            manifest_sha256 TEXT
        )""",
        "CREATE INDEX renders_by_episode ON renders(episode_id, id)",
        """CREATE TABLE deliverables (
            render_id INTEGER NOT NULL REFERENCES renders(id),
            file TEXT NOT NULL,
            format TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (render_id, file)
        )""",
        """CREATE TABLE placements (
            render_id INTEGER NOT NULL REFERENCES renders(id),
            message_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            start_sample INTEGER NOT NULL,
            end_sample INTEGER NOT NULL,
            text_sha256 TEXT,
            PRIMARY KEY (render_id, message_id)
        )""",
        "CREATE INDEX placements_by_message ON placements(message_id)",
        """CREATE TABLE airings (
            id INTEGER PRIMARY KEY,
            episode_id TEXT NOT NULL REFERENCES episodes(id),
            render_id INTEGER NOT NULL REFERENCES renders(id),
            aired_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            UNIQUE (episode_id, aired_at)
        )""",
    ),
    # 2: a placement's times in seconds were stored beside its samples; they follow from the
    # samples and the render's sample rate, so they are read that way and no longer stored
    (
        "ALTER TABLE placements DROP COLUMN start_s",
        "ALTER TABLE placements DROP COLUMN end_s",
    ),
    # 3: what the paid speech services were sent, per engine and calendar month (UTC), as they
    # bill it: the free tiers are monthly (publish/usage.py)
    (
        """CREATE TABLE speech_usage (
            engine TEXT NOT NULL,
            month TEXT NOT NULL,
            characters INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (engine, month)
        )""",
    ),
    # 4: which voice read each message (an episode may cast several); NULL before this
    ("ALTER TABLE placements ADD COLUMN voice TEXT",),
)
SCHEMA_VERSION = len(MIGRATIONS)
