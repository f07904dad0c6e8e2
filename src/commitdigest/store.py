"""The SQLite cache of analyses, keyed by (sha, analyzer fingerprint).

Numbered migrations are recorded in ``migrations`` so a newer version can evolve the schema of
an existing cache in place. WAL mode lets a report read while another run writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from commitdigest.errors import OutputError
from commitdigest.models import CommitAnalysis

CACHE_ENV = "COMMITDIGEST_CACHE_DIR"
DB_NAME = "cache.sqlite3"

MIGRATIONS: list[str] = [
    # 1: analyses
    """
    CREATE TABLE analyses (
        sha TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        analysis TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (sha, fingerprint)
    )
    """,
]


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("commitdigest"))


class Store:
    def __init__(self, directory: Path | None = None):
        self.directory = directory or default_cache_dir()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.directory / DB_NAME, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the cache in {self.directory}: {exc}") from None

    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        for version, sql in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated between our read and the lock.
                if self.db.execute("SELECT 1 FROM migrations WHERE version=?", (version,)).fetchone():
                    self.db.execute("COMMIT")
                    continue
                self.db.execute(sql)
                self.db.execute("INSERT INTO migrations VALUES (?, ?)",
                                (version, datetime.now(timezone.utc).isoformat()))
                self.db.execute("COMMIT")
            except sqlite3.Error:
                self.db.execute("ROLLBACK")
                raise

    def get_many(self, shas: Iterable[str], fingerprint: str) -> dict[str, CommitAnalysis]:
        shas = list(shas)
        found: dict[str, CommitAnalysis] = {}
        for i in range(0, len(shas), 500):  # stay under SQLite's bound-parameter limit
            chunk = shas[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT sha, analysis FROM analyses WHERE fingerprint=? AND sha IN ({marks})",
                (fingerprint, *chunk),
            )
            for sha, text in rows:
                try:
                    found[sha] = CommitAnalysis.model_validate_json(text)
                except ValidationError:
                    continue  # a record from an incompatible version: analyse again
        return found

    def put_many(self, items: Iterable[tuple[str, str, CommitAnalysis]]) -> None:
        now = datetime.now(timezone.utc).isoformat()
        rows = [(sha, fp, a.model_dump_json(), now) for sha, fp, a in items]
        if not rows:
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT OR REPLACE INTO analyses VALUES (?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise OutputError(f"cannot write the cache in {self.directory}: {exc}") from None

    def close(self) -> None:
        self.db.close()
