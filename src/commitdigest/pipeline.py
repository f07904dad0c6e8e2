"""The library entry points: repositories + window → ``Report`` → files.

This is the only module that strings the stages together; the CLI only parses arguments and
calls it. Each stage it calls is a function of the previous stage's records.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from commitdigest import __version__
from commitdigest.analysis.base import Analyzer
from commitdigest.analysis.grounding import ground
from commitdigest.analysis.importance import Scoring
from commitdigest.errors import InputError, RepoError
from commitdigest.git import log as gitlog
from commitdigest.git.repo import Repo, open_repo, resolve_rev
from commitdigest.models import Commit, CommitAnalysis, CommitEntry, Report, Usage
from commitdigest.outputs.files import ensure_dir, write_atomic
from commitdigest.report import render
from commitdigest.report.build import RepoResult, build_report
from commitdigest.store import Store
from commitdigest.window import Zone, make_window


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


def analyze_commits(
    commits: Sequence[Commit],
    analyzer: Analyzer,
    language: str,
    store: Store | None,
    progress: Progress | None = None,
    scoring: Scoring | None = None,
) -> tuple[list[CommitAnalysis], int]:
    """Analyses for ``commits`` in order, from the cache where possible; returns (analyses, hits).
    ``scoring`` is a repository's own importance weights (default: the analyzer's).
    The commits' patch text is released afterwards: the report needs only their facts."""
    fingerprint = analyzer.fingerprint(language, scoring)
    cached = store.get_many([c.sha for c in commits], fingerprint) if store else {}
    todo = [c for c in commits if c.sha not in cached]
    if progress and cached:
        progress.advance(len(commits) - len(todo))
    fresh = analyzer.analyze_batch(todo, language, progress.advance if progress else None,
                                   scoring=scoring) if todo else []
    by_sha = dict(cached)
    for commit, analysis in zip(todo, fresh, strict=True):
        by_sha[commit.sha] = ground(analysis, commit)
    if store:
        # A stand-in for a failed model call is not the model's answer: retry it next run.
        store.put_many((c.sha, fingerprint, by_sha[c.sha]) for c in todo if not by_sha[c.sha].fallback)
    release_patches(commits)
    return [by_sha[c.sha] for c in commits], len(commits) - len(todo)


def release_patches(commits: Sequence[Commit]) -> None:
    """Drop the patch text once the analyzer is done with it: the report needs only the facts,
    and a long period (or many repositories) would otherwise hold every diff until the end."""
    for commit in commits:
        for f in commit.files:
            f.patch = ""


def open_repos(specs: Sequence[RepoSpec], timeout: float = 300.0, cache_dir: Path | None = None) -> list[Repo]:
    """Open every repository before any work starts, so bad input fails fast. A URL is mirrored
    into the cache first (cloned once, fetched after), exactly as ``run`` does."""
    from commitdigest.git.mirror import ensure_mirror, is_url, name_from_url
    from commitdigest.store import default_cache_dir

    repos = []
    for s in specs:
        if is_url(s.path):
            mirror = ensure_mirror(s.path, cache_dir or default_cache_dir(), timeout=timeout)
            repos.append(open_repo(mirror.path, s.branch, s.name or name_from_url(s.path), timeout=timeout))
        else:
            repos.append(open_repo(s.path, s.branch, s.name, timeout=timeout))
    return repos


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


@dataclass
class Tracked:
    """A repository of a multi-repository run: opened, or the reason it could not be."""

    name: str
    repo: Repo | None = None
    error: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    #: the repository's own ``[importance]`` table, laid over the analyzer's scoring
    importance: dict[str, Any] = field(default_factory=dict)


def keep_commit(commit: Commit, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Path filters select commits, not files: a listed commit always shows all its files."""
    if not include and not exclude:
        return True
    if not commit.files:
        return not include
    paths = [f.path for f in commit.files if not any(fnmatchcase(f.path, g) for g in exclude)]
    return bool(paths) and (not include or any(fnmatchcase(p, g) for p in paths for g in include))


def _usage_delta(after: Usage, before: Usage) -> Usage:
    cost = None if after.cost is None else round(after.cost - (before.cost or 0.0), 6)
    # model_copy keeps what the run recorded besides counts (format, served model, warnings).
    return after.model_copy(update=dict(llm_calls=after.llm_calls - before.llm_calls,
                                        prompt_tokens=after.prompt_tokens - before.prompt_tokens,
                                        completion_tokens=after.completion_tokens - before.completion_tokens,
                                        fallbacks=after.fallbacks - before.fallbacks, cost=cost))


def generate_days(
    tracked: Sequence[Tracked],
    days: Sequence[date],
    zone: Zone,
    *,
    language: str = "zh",
    date_field: str = "committer",
    analyzer: Analyzer | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
    limits: gitlog.PatchLimits | None = None,
    git_timeout: float = 300.0,
) -> list[tuple[date, Report]]:
    """One report per day, every repository a section, in the order given.

    git runs once per repository for the whole span, not once per day: a year of daily reports
    costs two git processes per repository. A repository that fails to read becomes a section
    that says why; the others are unaffected."""
    check_language(language)
    analyzer = analyzer or default_analyzer()
    days = sorted(set(days))
    if not days:
        return []
    span = make_window(days[0], days[-1], zone)
    wanted = set(days)
    per_day: dict[date, dict[str, list[Commit]]] = {d: {} for d in days}
    errors: dict[str, str | None] = {}
    for t in tracked:
        errors[t.name] = t.error
        if t.repo is None:
            continue
        if progress:
            progress.start(f"git log {t.name}", 0)
        try:
            commits = gitlog.commits_in_window(t.repo, span, date_field, limits, git_timeout)
        except RepoError as exc:
            errors[t.name] = exc.message
            continue
        for c in commits:
            when = (c.committer_time if date_field == "committer" else c.author_time).astimezone(zone.tz).date()
            if when in wanted and keep_commit(c, t.include, t.exclude):
                per_day[when].setdefault(t.name, []).append(c)
    reports = []
    base = analyzer.scoring
    scorings = {t.name: base.merged(t.importance) if t.importance else None for t in tracked}
    total = sum(len(cs) for by_repo in per_day.values() for cs in by_repo.values())
    if progress:
        progress.start("analyse", total)
    try:
        for day in days:
            started, before = time.monotonic(), analyzer.usage()
            results, hits = [], 0
            for t in tracked:
                commits = per_day[day].get(t.name, [])
                analyses, n = analyze_commits(commits, analyzer, language, store, progress,
                                              scoring=scorings[t.name]) if commits else ([], 0)
                hits += n
                if t.repo is not None and errors[t.name] is None:
                    results.append(_result(t.repo, commits, analyses))
                else:
                    results.append(RepoResult(name=t.name, branch=t.repo.branch if t.repo else "",
                                              error=errors[t.name] or "not read"))
            usage = _usage_delta(analyzer.usage(), before).model_copy(update={
                "cache_hits": hits, "seconds": round(time.monotonic() - started, 1)})
            reports.append((day, build_report(
                results, window=make_window(day, day, zone), zone=zone, language=language, since=day,
                until=day, date_field=date_field, analyzer=analyzer.name, version=__version__, usage=usage)))
    finally:
        if progress:
            progress.stop()
    return reports


def _result(repo: Repo, commits: list[Commit], analyses: list[CommitAnalysis]) -> RepoResult:
    links = repo.links
    return RepoResult(
        name=repo.name, branch=repo.branch, url=links.base if links else None,
        commit_url=links.commit if links else None, pr_base=links.pr_base if links else None,
        commits=commits, analyses=analyses,
    )


def report_stem(since: date, until: date) -> str:
    return since.isoformat() if since == until else f"{since.isoformat()}_{until.isoformat()}"


def _render_html(report: Report) -> str:
    from commitdigest.outputs.html import render_html

    return render_html(report)


# Per-report files: format → file suffix. "feed" is a directory-level file (feed.xml), and "html"
# also refreshes the site index; both are built from the JSON twins in the directory, so they
# imply writing the JSON twin.
_SUFFIX = {"md": "md", "json": "json", "html": "html"}


def report_files(formats: Sequence[str]) -> list[str]:
    """The per-report file suffixes the formats produce."""
    wanted = set(formats) | ({"json"} if {"html", "feed"} & set(formats) else set())
    return [_SUFFIX[f] for f in ("md", "json", "html") if f in wanted]


def render_report(report: Report, formats: Sequence[str]) -> dict[str, str]:
    renderers: dict[str, Callable[[Report], str]] = {
        "md": render.render_markdown, "json": render.render_json, "html": _render_html,
    }
    return {suffix: renderers[suffix](report) for suffix in report_files(formats)}


def write_report(report: Report, out_dir: Path, formats: Sequence[str], since: date,
                 until: date, base_url: str | None = None, site: bool = True) -> list[Path]:
    """Render every format first, then write each atomically: no half-written report."""
    rendered = render_report(report, formats)
    ensure_dir(out_dir)
    stem = report_stem(since, until)
    written = [write_atomic(out_dir / f"{stem}.{suffix}", text) for suffix, text in rendered.items()]
    if site:
        written += write_site(out_dir, formats, report.language, base_url)
    return written


def write_site(out_dir: Path, formats: Sequence[str], language: str, base_url: str | None = None,
               feed_quiet_days: bool = False) -> list[Path]:
    """The directory-level files: the HTML index and the feed, from every report in ``out_dir``."""
    written = []
    if "html" in formats:
        from commitdigest.outputs.site import render_index

        written.append(write_atomic(out_dir / "index.html", render_index(out_dir, language)))
    if "feed" in formats:
        from commitdigest.outputs.feed import render_feed

        written.append(write_atomic(out_dir / "feed.xml", render_feed(out_dir, language, base_url,
                                                                           quiet_days=feed_quiet_days)))
    return written


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
