"""The SQLite cache of analyses, keyed by (sha, analyzer fingerprint).

Numbered migrations are recorded in ``migrations`` so a newer version can evolve the schema of
an existing cache in place. WAL mode lets a report read while another run writes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import ValidationError

from commitdigest.errors import OutputError
from commitdigest.models import CommitAnalysis, PullRequest
from commitdigest.outputs.files import check_regular
from commitdigest.semantic.records import Semantic

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
    # 2: pull requests from a hosting API; data NULL: the API said it does not exist
    """
    CREATE TABLE pull_requests (
        host TEXT NOT NULL,
        repo TEXT NOT NULL,
        number INTEGER NOT NULL,
        data TEXT,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (host, repo, number)
    )
    """,
    # 3: which pull request a commit came from (commits→pulls); number NULL: none
    """
    CREATE TABLE commit_pulls (
        host TEXT NOT NULL,
        repo TEXT NOT NULL,
        sha TEXT NOT NULL,
        number INTEGER,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (host, repo, sha)
    )
    """,
    # 4: the day a commit dated after the run was first seen on its branch: it is shown on that
    # day, not on its date (2100, or year 10000), whichever report sees it again later
    """
    CREATE TABLE IF NOT EXISTS first_seen (
        sha TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )
    """,
    # 5: a commit's semantic facts (``semantic``), by the version of the stage that found them
    """
    CREATE TABLE IF NOT EXISTS semantic (
        sha TEXT NOT NULL,
        engine TEXT NOT NULL,
        facts TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (sha, engine)
    )
    """,
    # 6: the index of the reader's code (``uses``): one row per file of a folder, by the names
    # searched for and the version of the extractors; ``stamp`` is the file's size and times
    """
    CREATE TABLE IF NOT EXISTS code_index (
        root TEXT NOT NULL,
        names TEXT NOT NULL,
        engine TEXT NOT NULL,
        path TEXT NOT NULL,
        stamp TEXT NOT NULL,
        refs TEXT NOT NULL,
        PRIMARY KEY (root, names, engine, path)
    )
    """,
]


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("commitdigest"))


# Only these mean the file itself is bad. Everything else (full disk, read-only file system,
# permissions, locks, I/O errors) is the world around a healthy file: setting the file aside
# for those would throw away every cached analysis for nothing.
_DAMAGED = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class _FailedCheck(sqlite3.DatabaseError):
    """``PRAGMA quick_check`` found a problem in a file that otherwise opened."""


def _is_damaged(exc: sqlite3.Error) -> bool:
    if isinstance(exc, _FailedCheck):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGED  # extended codes keep the primary code in the low byte
    return "malformed" in str(exc) or "not a database" in str(exc)


class Store:
    """The cache is an optimisation: its failures cost speed, never a report. A read that fails
    finds nothing; a file that fails its integrity check is set aside once and a new one started;
    a cache that cannot be written (full disk, read-only) is read if it can be and not written
    this run; one that cannot be opened at all is not used this run. Each is one warning line."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory or default_cache_dir()
        self.path = self.directory / DB_NAME
        self.db: sqlite3.Connection | None = None
        self.writable = False
        self._read_warned = self._write_warned = False
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("cannot create the cache directory %s (%s); not cached this run",
                        self.directory, exc.strerror or exc)
            return
        try:  # SQLite would follow a link planted in the cache and write wherever it points
            for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
                check_regular(self.directory / name, "the cache")
        except OutputError as exc:
            log.warning("%s; not cached this run", exc.message)
            return
        try:
            self.db, self.writable = self._open(), True
        except sqlite3.Error as exc:
            if _is_damaged(exc):
                self._set_aside(exc)
            else:
                self._open_read_only(exc)

    def _set_aside(self, exc: sqlite3.Error) -> None:
        aside = self.path.with_name(f"{DB_NAME}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        try:
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):  # they belong to the damaged file, not to the new one
                self.path.with_name(DB_NAME + suffix).unlink(missing_ok=True)
            self.db, self.writable = self._open(), True
        except (OSError, sqlite3.Error) as again:
            log.warning("the cache %s is damaged (%s) and cannot be set aside (%s); not cached this run",
                        self.path, exc, getattr(again, "strerror", None) or again)
            return
        log.warning("the cache %s is damaged (%s); set aside as %s, starting a new one", self.path, exc, aside.name)

    def _open_read_only(self, why: sqlite3.Error) -> None:
        """Use what is cached without writing: a full disk or a read-only mount still gives hits."""
        if self.path.is_file():
            # immutable=1 for a read-only file system, where a WAL file's shared memory cannot be
            # created; nothing can change the file under us there.
            for query in ("mode=ro", "mode=ro&immutable=1"):
                try:
                    db = sqlite3.connect(f"{self.path.as_uri()}?{query}", uri=True, timeout=30, isolation_level=None)
                except sqlite3.Error:
                    continue
                try:
                    db.execute("SELECT count(*) FROM analyses").fetchone()
                except sqlite3.Error:
                    db.close()
                    continue
                self.db = db
                log.warning("cannot write the cache in %s (%s); using it read-only, new analyses are not "
                            "cached this run", self.directory, why)
                return
        log.warning("cannot open the cache in %s (%s); not cached this run", self.directory, why)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            # An interior page can be corrupt while the header reads fine; every query touching
            # it would then fail, run after run. quick_check reads each page once (milliseconds
            # for a cache of thousands of analyses) and finds it at open, so it is set aside once.
            problems = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
            if problems != ["ok"]:
                raise _FailedCheck(f"integrity check failed: {problems[0]}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._migrate(db)
        except sqlite3.Error:
            db.close()
            raise
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row[0] for row in db.execute("SELECT version FROM migrations")}
        for version, sql in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated between our read and the lock.
                if db.execute("SELECT 1 FROM migrations WHERE version=?", (version,)).fetchone():
                    db.execute("COMMIT")
                    continue
                db.execute(sql)
                db.execute("INSERT INTO migrations VALUES (?, ?)",
                           (version, datetime.now(UTC).isoformat()))
                db.execute("COMMIT")
            except sqlite3.Error:
                db.execute("ROLLBACK")
                raise

    def get_many(self, shas: Iterable[str], fingerprint: str) -> dict[str, CommitAnalysis]:
        found: dict[str, CommitAnalysis] = {}
        rows = self._select("SELECT sha, analysis FROM analyses WHERE fingerprint=? AND sha IN ({marks})",
                            (fingerprint,), list(shas), again="analysing again")
        for sha, text in rows:
            try:
                found[sha] = CommitAnalysis.model_validate_json(text)
            except ValidationError:
                continue  # a record from an incompatible version: analyse again
        return found

    def put_many(self, items: Iterable[tuple[str, str, CommitAnalysis]]) -> None:
        now = datetime.now(UTC).isoformat()
        # The analyses are in hand and go into the report; only the next run pays for a failure.
        self._write("INSERT OR REPLACE INTO analyses VALUES (?, ?, ?, ?)",
                    [(sha, fp, a.model_dump_json(), now) for sha, fp, a in items], what="new analyses are")

    def get_semantic(self, shas: Iterable[str], engine: str) -> dict[str, Semantic]:
        """Cached semantic facts by sha: a commit's facts never change, only the stage that reads them."""
        found: dict[str, Semantic] = {}
        for sha, text in self._select("SELECT sha, facts FROM semantic WHERE engine=? AND sha IN ({marks})",
                                      (engine,), list(shas), again="reading the code again"):
            try:
                found[sha] = Semantic.model_validate_json(text)
            except ValidationError:
                continue
        return found

    def semantic_known(self, shas: Iterable[str], engine: str) -> set[str]:
        """Which of ``shas`` have semantic facts cached (without reading them)."""
        return {row[0] for row in self._select("SELECT sha FROM semantic WHERE engine=? AND sha IN ({marks})",
                                               (engine,), list(shas), again="reading the code again")}

    def put_semantic(self, items: Iterable[tuple[str, Semantic]], engine: str) -> None:
        now = datetime.now(UTC).isoformat()
        self._write("INSERT OR REPLACE INTO semantic VALUES (?, ?, ?, ?)",
                    [(sha, engine, facts.model_dump_json(), now) for sha, facts in items],
                    what="semantic facts are")

    def get_code_index(self, root: str, names: str, engine: str) -> dict[str, tuple[str, str]]:
        """The reader's folder ``root`` as indexed before: path → (stamp, references as JSON)."""
        if self.db is None:
            return {}
        try:
            rows = self.db.execute("SELECT path, stamp, refs FROM code_index WHERE root=? AND names=? AND engine=?",
                                   (root, names, engine)).fetchall()
        except sqlite3.Error as exc:
            if not self._read_warned:
                log.warning("cannot read the cache in %s (%s); reading your code again", self.directory, exc)
                self._read_warned = True
            return {}
        return {path: (stamp, refs) for path, stamp, refs in rows}

    def put_code_index(self, root: str, names: str, engine: str, rows: Iterable[tuple[str, str, str]],
                       gone: Iterable[str] = ()) -> None:
        """Files of ``root`` indexed this run: (path, stamp, references as JSON); ``gone``: files
        indexed before that are not there any more."""
        self._write("INSERT OR REPLACE INTO code_index VALUES (?, ?, ?, ?, ?, ?)",
                    [(root, names, engine, path, stamp, refs) for path, stamp, refs in rows],
                    what="the index of your code is")
        self._write("DELETE FROM code_index WHERE root=? AND names=? AND engine=? AND path=?",
                    [(root, names, engine, path) for path in gone], what="the index of your code is")

    # Pull-request metadata (``hosting``): same failure policy as the analyses, one table per
    # question asked of the API, so a rerun or a backfill asks nothing twice.

    def _select(self, sql: str, head: tuple, keys: list, again: str = "asking again") -> list[tuple]:
        """Rows for ``keys`` in chunks under SQLite's bound-parameter limit; none when unreadable
        (said once a run)."""
        rows: list[tuple] = []
        if self.db is None:
            return rows
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            try:
                rows += self.db.execute(sql.format(marks=",".join("?" * len(chunk))), (*head, *chunk)).fetchall()
            except sqlite3.Error as exc:
                if not self._read_warned:
                    log.warning("cannot read the cache in %s (%s); %s", self.directory, exc, again)
                    self._read_warned = True
                return []
        return rows

    def _write(self, sql: str, rows: list[tuple], what: str = "new entries are") -> None:
        """All rows in one transaction, or none; a failure (a full disk fails every write of the
        run the same way) is said once."""
        if not rows or self.db is None or not self.writable:
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(sql, rows)
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if not self._write_warned:
                log.warning("cannot write the cache in %s (%s); %s not cached this run", self.directory, exc, what)
                self._write_warned = True

    def get_pull_requests(self, host: str, repo: str, numbers: Iterable[int]) -> dict[int, PullRequest | None]:
        """Cached pull requests by number; ``None`` for one the API said is gone."""
        found: dict[int, PullRequest | None] = {}
        rows = self._select("SELECT number, data FROM pull_requests WHERE host=? AND repo=? AND number IN ({marks})",
                            (host, repo), list(numbers))
        for number, text in rows:
            try:
                found[number] = None if text is None else PullRequest.model_validate_json(text)
            except ValidationError:
                continue  # written by an incompatible version: ask again
        return found

    def put_pull_requests(self, host: str, repo: str, items: dict[int, PullRequest | None]) -> None:
        now = datetime.now(UTC).isoformat()
        self._write("INSERT OR REPLACE INTO pull_requests VALUES (?, ?, ?, ?, ?)",
                    [(host, repo, n, None if pr is None else pr.model_dump_json(), now) for n, pr in items.items()])

    def get_commit_pulls(self, host: str, repo: str, shas: Iterable[str]) -> dict[str, int | None]:
        """Cached answers of commits→pulls: the PR number, or ``None`` for a commit of no PR."""
        rows = self._select("SELECT sha, number FROM commit_pulls WHERE host=? AND repo=? AND sha IN ({marks})",
                            (host, repo), list(shas))
        return dict(rows)

    def put_commit_pulls(self, host: str, repo: str, items: dict[str, int | None]) -> None:
        now = datetime.now(UTC).isoformat()
        self._write("INSERT OR REPLACE INTO commit_pulls VALUES (?, ?, ?, ?, ?)",
                    [(host, repo, sha, n, now) for sha, n in items.items()])

    def get_first_seen(self, shas: Iterable[str]) -> dict[str, date]:
        """The recorded first-sight day of each of ``shas`` that has one."""
        rows = self._select("SELECT sha, day FROM first_seen WHERE sha IN ({marks})", (), list(shas),
                            again="dates after the run are shown today")
        found: dict[str, date] = {}
        for sha, day in rows:
            try:
                found[sha] = date.fromisoformat(day)
            except (TypeError, ValueError):
                continue
        return found

    def put_first_seen(self, days: dict[str, date]) -> None:
        """Record first sights; a commit keeps the day it was first recorded with."""
        now = datetime.now(UTC).isoformat()
        self._write("INSERT OR IGNORE INTO first_seen VALUES (?, ?, ?)",
                    [(sha, day.isoformat(), now) for sha, day in days.items()], what="first sightings are")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
