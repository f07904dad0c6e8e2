"""The library entry points: repositories + window → ``Report`` → files.

This is the only module that strings the stages together; the CLI only parses arguments and
calls it. Each stage it calls is a function of the previous stage's records.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from commitdigest import __version__
from commitdigest.analysis.base import Analyzer
from commitdigest.analysis.grounding import ground
from commitdigest.errors import InputError
from commitdigest.git import log as gitlog
from commitdigest.git.repo import Repo, open_repo, resolve_rev
from commitdigest.models import Commit, CommitAnalysis, CommitEntry, Report, Usage
from commitdigest.outputs.files import ensure_dir, write_atomic
from commitdigest.report import render
from commitdigest.report.build import RepoResult, build_report
from commitdigest.store import Store
from commitdigest.window import Zone, make_window

FORMATS = ("md", "json")


class Progress:
    """Progress sink; the default one is silent. The CLI passes a rich progress bar."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def stop(self) -> None: ...


@dataclass
class RepoSpec:
    path: str
    name: str | None = None
    branch: str | None = None


@dataclass
class ReportRequest:
    repos: list[RepoSpec]
    since: date
    until: date
    zone: Zone
    language: str = "zh"
    date_field: str = "committer"
    use_cache: bool = True
    cache_dir: Path | None = None
    git_timeout: float = 300.0
    patch_limits: gitlog.PatchLimits = field(default_factory=gitlog.PatchLimits)


def default_analyzer() -> Analyzer:
    from commitdigest.analysis.heuristic import HeuristicAnalyzer

    return HeuristicAnalyzer()


def check_language(language: str) -> str:
    if language not in ("zh", "en"):
        raise InputError(f"unknown language '{language}': use zh or en")
    return language


def check_formats(formats: Sequence[str], allowed: Sequence[str] = FORMATS) -> list[str]:
    out = []
    for f in formats:
        f = f.strip().lower()
        if not f:
            continue
        if f not in allowed:
            raise InputError(f"unknown format '{f}': use one or more of {', '.join(allowed)}")
        if f not in out:
            out.append(f)
    if not out:
        raise InputError(f"no output format given: use one or more of {', '.join(allowed)}")
    return out


def analyze_commits(
    commits: Sequence[Commit],
    analyzer: Analyzer,
    language: str,
    store: Store | None,
    progress: Progress | None = None,
) -> tuple[list[CommitAnalysis], int]:
    """Analyses for ``commits`` in order, from the cache where possible; returns (analyses, hits)."""
    fingerprint = analyzer.fingerprint(language)
    cached = store.get_many([c.sha for c in commits], fingerprint) if store else {}
    todo = [c for c in commits if c.sha not in cached]
    if progress and cached:
        progress.advance(len(commits) - len(todo))
    fresh = analyzer.analyze_batch(todo, language, progress.advance if progress else None) if todo else []
    by_sha = dict(cached)
    for commit, analysis in zip(todo, fresh, strict=True):
        by_sha[commit.sha] = ground(analysis, commit)
    if store:
        # A stand-in for a failed model call is not the model's answer: retry it next run.
        store.put_many((c.sha, fingerprint, by_sha[c.sha]) for c in todo if not by_sha[c.sha].fallback)
    return [by_sha[c.sha] for c in commits], len(commits) - len(todo)


def open_repos(specs: Sequence[RepoSpec], timeout: float = 300.0) -> list[Repo]:
    """Open every repository before any work starts, so bad input fails fast."""
    return [open_repo(s.path, s.branch, s.name, timeout=timeout) for s in specs]


def generate_report(
    request: ReportRequest,
    analyzer: Analyzer | None = None,
    progress: Progress | None = None,
    repos: list[Repo] | None = None,
) -> Report:
    started = time.monotonic()
    check_language(request.language)
    analyzer = analyzer or default_analyzer()
    window = make_window(request.since, request.until, request.zone)
    repos = repos if repos is not None else open_repos(request.repos, request.git_timeout)
    store = Store(request.cache_dir) if request.use_cache else None
    results: list[RepoResult] = []
    hits = 0
    try:
        for repo in repos:
            if progress:
                progress.start(f"git log {repo.name}", 0)
            commits = gitlog.commits_in_window(repo, window, request.date_field,
                                               request.patch_limits, request.git_timeout)
            if progress:
                progress.start(f"analyse {repo.name}", len(commits))
            analyses, repo_hits = analyze_commits(commits, analyzer, request.language, store, progress)
            hits += repo_hits
            results.append(_result(repo, commits, analyses))
    finally:
        if progress:
            progress.stop()
        if store:
            store.close()
    usage = analyzer.usage().model_copy(update={
        "cache_hits": hits, "seconds": round(time.monotonic() - started, 1),
    })
    return build_report(
        results, window=window, zone=request.zone, language=request.language,
        since=request.since, until=request.until, date_field=request.date_field,
        analyzer=analyzer.name, version=__version__, usage=usage,
    )


def _result(repo: Repo, commits: list[Commit], analyses: list[CommitAnalysis]) -> RepoResult:
    links = repo.links
    return RepoResult(
        name=repo.name, branch=repo.branch, url=links.base if links else None,
        commit_url=links.commit if links else None, pr_base=links.pr_base if links else None,
        commits=commits, analyses=analyses,
    )


def report_stem(since: date, until: date) -> str:
    return since.isoformat() if since == until else f"{since.isoformat()}_{until.isoformat()}"


def render_report(report: Report, formats: Sequence[str]) -> dict[str, str]:
    renderers: dict[str, Callable[[Report], str]] = {
        "md": render.render_markdown, "json": render.render_json,
    }
    return {fmt: renderers[fmt](report) for fmt in formats}


def write_report(report: Report, out_dir: Path, formats: Sequence[str], since: date,
                 until: date) -> list[Path]:
    """Render every format first, then write each atomically: no half-written report."""
    rendered = render_report(report, formats)
    ensure_dir(out_dir)
    stem = report_stem(since, until)
    return [write_atomic(out_dir / f"{stem}.{fmt}", text) for fmt, text in rendered.items()]


def read_one(path: str, rev: str, branch: str | None = None) -> Commit:
    """One commit's facts, read as a report reads them."""
    repo = open_repo(path, branch)
    return gitlog.read_commits(repo, [resolve_rev(repo, rev)])[0]


def analyze_one(
    path: str,
    rev: str,
    language: str,
    zone: Zone,
    analyzer: Analyzer | None = None,
    branch: str | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> tuple[CommitEntry, Usage]:
    """One commit's facts and analysis, as the report would show it."""
    check_language(language)
    repo = open_repo(path, branch)
    analyzer = analyzer or default_analyzer()
    commits = gitlog.read_commits(repo, [resolve_rev(repo, rev)])
    store = Store(cache_dir) if use_cache else None
    try:
        analyses, hits = analyze_commits(commits, analyzer, language, store)
    finally:
        if store:
            store.close()
    from datetime import timedelta

    day = commits[0].committer_time.astimezone(zone.tz).date()
    report = build_report(
        [_result(repo, commits, analyses)], window=make_window(day, day, zone), zone=zone,
        language=language, since=day, until=day + timedelta(0), date_field="committer",
        analyzer=analyzer.name, version=__version__, usage=Usage(),
    )
    usage = analyzer.usage().model_copy(update={"cache_hits": hits})
    return report.repos[0].commits[0], usage
