"""Pure assembly of the ``Report`` record from facts and analyses. No I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from commitdigest.models import (
    Commit,
    CommitAnalysis,
    CommitEntry,
    FileEntry,
    Generator,
    Importance,
    Language,
    Report,
    RepoSection,
    Stats,
    Usage,
    Window,
)
from commitdigest.uses.records import UsesSummary
from commitdigest.vocab import report_title as title
from commitdigest.window import Zone

if TYPE_CHECKING:
    from commitdigest.git.repo import WebLinks


@dataclass
class RepoResult:
    """What the pipeline learned about one repository, before layout."""

    name: str
    branch: str
    url: str | None = None
    #: the commits as the report shows them, in git's order (made by :func:`make_entry` as each
    #: batch is analysed: a commit goes once its entry exists)
    entries: list[CommitEntry] = field(default_factory=list)
    error: str | None = None
    uses: UsesSummary | None = None  # what the reader's code was checked against, when it was


def slugify(text: str) -> str:
    slug = re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")
    return slug or "repo"


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def stats_for(entries: list[CommitEntry]) -> Stats:
    paths = {f.path for e in entries for f in e.files}
    counts = {lvl: 0 for lvl in Importance}
    for e in entries:
        counts[e.analysis.importance] += 1
    return Stats(
        total=len(entries), high=counts[Importance.high], medium=counts[Importance.medium],
        low=counts[Importance.low], files_changed=len(paths),
        insertions=sum(f.insertions for e in entries for f in e.files),
        deletions=sum(f.deletions for e in entries for f in e.files),
    )


def make_entry(commit: Commit, analysis: CommitAnalysis, *, links: WebLinks | None, zone: Zone, date_field: str,
               anchors: set[str]) -> CommitEntry:
    """``commit`` as a report shows it. ``anchors`` are those its report has given so far (this
    one's is added): entries made in git's order get the same anchors whatever the batches."""
    when = commit.committer_time if date_field == "committer" else commit.author_time
    return CommitEntry(
        sha=commit.sha, short_sha=commit.short_sha,
        anchor=_unique(f"c-{commit.short_sha}", anchors),
        url=links.commit(commit.sha) if links else None,
        pr_url_base=links.pr_base if links else None,
        time=when.astimezone(zone.tz), author=commit.author, subject=commit.subject,
        pr=commit.pr, pull_request=commit.pull_request,
        files=[FileEntry(path=f.path, status=f.status, insertions=f.insertions,
                         deletions=f.deletions, old_path=f.old_path, binary=f.binary)
               for f in commit.files],
        read_error=commit.read_error, analysis=analysis, first_seen=commit.first_seen, semantic=commit.semantic,
        uses=commit.uses, uses_omitted=commit.uses_omitted,
    )


def build_report(
    results: list[RepoResult],
    *,
    window: Window,
    zone: Zone,
    language: str,
    since: date,
    until: date,
    analyzer: str,
    version: str,
    usage: Usage,
) -> Report:
    """The report of ``results``, whose entries were made as their batches were analysed (each
    ``Commit`` went then, so a long period never holds its commits and its entries at once)."""
    slugs: set[str] = set()
    sections = []
    for res in results:
        slug = _unique(slugify(res.name), slugs)
        entries = list(res.entries)
        # Newest first; for equal instants keep git's order (already newest first).
        entries.sort(key=lambda e: e.time.timestamp(), reverse=True)
        sections.append(RepoSection(
            name=res.name, url=res.url, branch=res.branch, slug=slug,
            stats=stats_for(entries), commits=entries, error=res.error, uses=res.uses,
        ))
    return Report(
        title=title(language, since.isoformat(), until.isoformat()),
        language=Language(language), timezone=zone.name, window=window,
        period=since != until,
        generator=Generator(version=version, analyzer=analyzer),
        repos=sections, usage=usage,
    )


def days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]
