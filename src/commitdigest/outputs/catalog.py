"""The reports in an output directory, read back from their JSON twins.

The site index and the feed are built from what is on disk, not from the current run, so a run
that writes one day still lists every earlier report. Only the few fields they need are parsed;
a file that is not a report twin (or is damaged) is skipped and counted, never fatal.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

# Report stems: a day, or a period "since_until". Anything else in the directory is not ours.
STEM = re.compile(r"^\d{4}-\d{2}-\d{2}(_\d{4}-\d{2}-\d{2})?$")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CommitItem(_Loose):
    short_sha: str
    url: str | None = None
    subject: str
    time: datetime
    importance: str = "low"


class RepoItem(_Loose):
    name: str
    error: str | None = None
    total: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    commits: list[CommitItem] = []


class Entry(_Loose):
    stem: str
    title: str
    language: str
    window_start: datetime
    window_end: datetime
    generated: datetime  # the JSON file's modification time
    repos: list[RepoItem]
    #: the file to link to: the HTML page when it was written, else the Markdown, else the twin
    page: str

    def count(self, level: str) -> int:
        return sum(getattr(r, level) for r in self.repos)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.repos)

    @property
    def quiet(self) -> bool:
        """A report of days without commits (and without unreadable repositories, which are news)."""
        return self.total == 0 and not any(r.error for r in self.repos)

    @property
    def repo_names(self) -> list[str]:
        return [r.name for r in self.repos]

    def high_commits(self) -> list[tuple[str, CommitItem]]:
        return [(r.name, c) for r in self.repos for c in r.commits if c.importance == "high"]


class Catalog(BaseModel):
    entries: list[Entry]  # newest report first
    skipped: list[str]  # files that looked like reports but could not be read


def _entry(path: Path) -> Entry:
    data = json.loads(path.read_text(encoding="utf-8"))
    repos = []
    for r in data["repos"]:
        stats = r.get("stats") or {}
        commits = [{**c, "importance": (c.get("analysis") or {}).get("importance", "low")} for c in r.get("commits", [])]
        repos.append({"name": r["name"], "error": r.get("error"), "commits": commits,
                      **{k: stats.get(k, 0) for k in ("total", "high", "medium", "low")}})
    page = next((f"{path.stem}.{ext}" for ext in ("html", "md") if path.with_suffix(f".{ext}").is_file()), path.name)
    return Entry(stem=path.stem, page=page, title=data["title"], language=data.get("language", "zh"),
                 window_start=data["window"]["start"], window_end=data["window"]["end"],
                 generated=datetime.fromtimestamp(path.stat().st_mtime).astimezone(), repos=repos)


def scan(directory: Path) -> Catalog:
    entries, skipped = [], []
    for path in sorted(directory.glob("*.json")):
        if not STEM.match(path.stem):
            continue
        try:
            entries.append(_entry(path))
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            skipped.append(path.name)
    # Newest first by the day the report ends on, then by its start (a day before a period ending then).
    entries.sort(key=lambda e: (e.window_end, e.window_start), reverse=True)
    return Catalog(entries=entries, skipped=skipped)
