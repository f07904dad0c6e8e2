"""The SQLite cache of analyses, keyed by (sha, analyzer fingerprint).

Numbered migrations are recorded in ``migrations`` so a newer version can evolve the schema of
an existing cache in place. WAL mode lets a report read while another run writes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from commitdigest.errors import OutputError
from commitdigest.models import CommitAnalysis

log = logging.getLogger("commitdigest")

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
    """The cache is an optimisation: once open, its failures cost speed, never a report. A read
    that fails finds nothing; a write that fails is a warning; a damaged file is set aside."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory or default_cache_dir()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            damaged = self.directory / DB_NAME
            aside = damaged.with_name(f"{DB_NAME}.damaged-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}")
            log.warning("the cache %s is damaged (%s); set aside as %s, starting a new one", damaged, exc, aside.name)
            try:
                damaged.rename(aside)
                self.db = self._open()
            except (OSError, sqlite3.Error) as again:
                raise OutputError(f"cannot open the cache in {self.directory}: {again}") from None
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the cache in {self.directory}: {exc}") from None

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.directory / DB_NAME, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self.db = db
            self._migrate()
        except sqlite3.Error:
            db.close()
            raise
        return db

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
            try:
                rows = self.db.execute(
                    f"SELECT sha, analysis FROM analyses WHERE fingerprint=? AND sha IN ({marks})",
                    (fingerprint, *chunk),
                ).fetchall()
            except sqlite3.Error as exc:
                log.warning("cannot read the cache in %s (%s); analysing again", self.directory, exc)
                return found
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
            # The analyses are in hand and go into the report; only the next run pays for this.
            log.warning("cannot write the cache in %s: %s", self.directory, exc)

    def close(self) -> None:
        self.db.close()
