"""Reports read back from their JSON twins: the only reader of the twin.

:func:`load_report` turns a twin into the ``Report`` it was written from; everything that reads
what is on disk (the site index and the feed through :func:`scan`, ``run``'s "is this day
done", the notifications of a day written earlier) goes through it. The site index and the feed
are built from what is on disk, not from the current run, so a run that writes one day still
lists every earlier report; a file that is not a report twin (or is damaged) is skipped and
counted, never fatal.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from commitdigest.errors import InputError
from commitdigest.git.repo import web_links
from commitdigest.models import Report
from commitdigest.outputs import jsonfile
from commitdigest.report.build import _unique, slugify


def load_report(path: str | Path) -> Report:
    """A report read back from its JSON twin (REPORT_FORMAT.md §3). Fields the twin does not
    carry are derived as the report builder would: anchors from short SHAs, section slugs from
    names, whether it is a period from its window."""
    source = Path(path)
    try:
        data = jsonfile.load(source)
    except InputError as exc:
        raise InputError(f"{source}: not a readable report twin ({exc.message.removeprefix(f'{source}: ')})") from None
    try:
        return report_from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise InputError(f"{source}: not a report twin ({type(exc).__name__}: {exc})") from None


def report_from_json(data: dict[str, Any]) -> Report:
    """The ``Report`` of a parsed twin. The tree is reshaped in Python (the derived fields added)
    and validated in one call: pydantic's core validates a whole tree far faster than one model
    at a time, and the site index reads hundreds of twins."""
    window = data["window"]
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    anchors: set[str] = set()
    slugs: set[str] = set()
    sections = []
    for repo in data["repos"]:
        links = web_links(repo.get("url"))
        pr_base = links.pr_base if links else None
        sections.append({
            "name": repo["name"], "url": repo.get("url"), "branch": repo.get("branch", ""),
            "slug": _unique(slugify(repo["name"]), slugs), "stats": repo.get("stats", {}), "error": repo.get("error"),
            "uses": repo.get("uses"),
            "commits": [{"sha": c["sha"], "short_sha": c["short_sha"], "anchor": _unique(f"c-{c['short_sha']}", anchors),
                         "url": c.get("url"), "pr_url_base": pr_base, "time": c["time"], "author": c["author"],
                         "subject": c["subject"], "pr": c.get("pr"), "files": c.get("files", []),
                         "read_error": c.get("read_error"), "first_seen": c.get("first_seen"),
                         "analysis": c["analysis"], "semantic": c.get("semantic"), "uses": c.get("uses"),
                         "uses_omitted": c.get("uses_omitted", 0)}
                        for c in repo["commits"]],
        })
    return Report.model_validate({
        "title": data["title"], "language": data["language"], "timezone": data["timezone"],
        "window": {"start": start, "end": end}, "period": (end - start) > timedelta(hours=25),
        "generator": data["generator"], "repos": sections, "usage": data.get("usage", {})})


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


def _entry(path: Path, names: frozenset[str], mtime: float) -> Entry:
    report = load_report(path)
    # The values come from a validated Report: constructed as they are, not validated again.
    repos = [RepoItem.model_construct(
        name=r.name, error=r.error, total=r.stats.total, high=r.stats.high, medium=r.stats.medium, low=r.stats.low,
        commits=[CommitItem.model_construct(short_sha=c.short_sha, url=c.url, subject=c.subject, time=c.time,
                                            importance=c.analysis.importance.value) for c in r.commits])
        for r in report.repos]
    page = next((f"{path.stem}.{ext}" for ext in ("html", "md") if f"{path.stem}.{ext}" in names), path.name)
    return Entry.model_construct(stem=path.stem, page=page, title=report.title, language=report.language,
                                 window_start=report.window.start, window_end=report.window.end,
                                 generated=datetime.fromtimestamp(mtime).astimezone(), repos=repos)


# The last directory scanned and what it held: the index and the feed of one run read the same
# twins, and reading hundreds of them is the site's main cost.
_last: tuple[tuple, Catalog] | None = None


def scan(directory: Path) -> Catalog:
    global _last
    try:
        listing = {e.name: e for e in os.scandir(directory)}
    except OSError:
        listing = {}
    twins = []
    for name in sorted(listing):
        if name.endswith(".json") and STEM.match(name[:-5]):
            try:
                st = listing[name].stat()
            except OSError:
                continue
            twins.append((name, st.st_mtime_ns, st.st_size, st.st_mtime))
    # the report pages beside the twins (an entry links to its page): index.html is not one of them
    names = frozenset(n for n in listing if n.endswith((".html", ".md")) and STEM.match(n.rsplit(".", 1)[0]))
    key = (str(Path(directory).resolve()), tuple(twins), names)
    if _last is not None and _last[0] == key:
        return _last[1]
    entries, skipped = [], []
    for name, _ns, _size, mtime in twins:
        try:
            entries.append(_entry(Path(directory) / name, names, mtime))
        except (OSError, InputError, ValidationError):
            skipped.append(name)
    # Newest first by the day the report ends on, then by its start (a day before a period ending then).
    entries.sort(key=lambda e: (e.window_end, e.window_start), reverse=True)
    catalog = Catalog.model_construct(entries=entries, skipped=skipped)
    _last = (key, catalog)
    return catalog
