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
from typing import TYPE_CHECKING, Any

from commitdigest import __version__
from commitdigest.analysis.base import Analyzer
from commitdigest.analysis.grounding import ground
from commitdigest.analysis.importance import Scoring
from commitdigest.errors import InputError, RepoError
from commitdigest.git import log as gitlog
from commitdigest.git.mirror import prefetch_window
from commitdigest.git.repo import Repo, distinct_names, open_repo, resolve_rev
from commitdigest.hosting import (
    HostingSettings,
    Outcome,
    attach_pull_requests,
    coverage_line,
)
from commitdigest.models import Commit, CommitAnalysis, CommitEntry, Report, Usage
from commitdigest.outputs.files import ensure_dir, write_all, write_atomic
from commitdigest.report import render
from commitdigest.report.build import RepoResult, build_report
from commitdigest.rollup import CommitFacts, Period, commit_facts
from commitdigest.store import Store
from commitdigest.window import Zone, make_window

if TYPE_CHECKING:
    from commitdigest.rollup import Rollup


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
    web_url: str | None = None  # https://github.com/OWNER/NAME or a GitLab project: commit links


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
    #: the ``[hosting]`` table; tokens come from the environment (none: the API is not asked)
    hosting: HostingSettings | None = None


def default_analyzer() -> Analyzer:
    from commitdigest.analysis.heuristic import HeuristicAnalyzer

    return HeuristicAnalyzer()


# Spellings people type for the two report languages (compared case-insensitively, _ as -).
LANGUAGE_ALIASES = {"zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "en": "en", "en-us": "en", "en-gb": "en"}


def check_language(language: str) -> str:
    """The report language for ``language`` (``zh`` or ``en``), accepting ``EN``, ``zh-CN``…"""
    found = LANGUAGE_ALIASES.get(language.strip().lower().replace("_", "-"))
    if found is None:
        raise InputError(f"unknown language '{language}': use zh or en (zh-CN, zh-Hans, en-US, en-GB also work)")
    return found


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
    keys = {c.sha: cache_key(c, analyzer) for c in commits}
    found = store.get_many(keys.values(), fingerprint) if store else {}
    cached = {c.sha: found[keys[c.sha]] for c in commits if keys[c.sha] in found}
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
        store.put_many((keys[c.sha], fingerprint, by_sha[c.sha]) for c in todo if not by_sha[c.sha].fallback)
    release_patches(commits)
    return [by_sha[c.sha] for c in commits], len(commits) - len(todo)


# Analyzers whose answer depends on ``Commit.pull_request``: the offline summary takes its gist,
# the LLM prompt shows it. Their analyses of a commit are keyed by its PR too.
PR_AWARE_ANALYZERS = frozenset({"heuristic", "llm"})  # by kind: "llm:<model>" is "llm"


def cache_key(commit: Commit, analyzer: Analyzer | None = None) -> str:
    """The analysis cache key: the sha, and a hash of the pull request when the hosting API gave
    one to an analyzer that reads it, since its description changes what that analyzer says.
    Otherwise the sha alone, as it always was: a new token costs no model call."""
    if commit.pull_request is None or (analyzer is not None
                                       and analyzer.name.split(":", 1)[0] not in PR_AWARE_ANALYZERS):
        return commit.sha
    import hashlib

    return f"{commit.sha}:pr{hashlib.sha256(commit.pull_request.model_dump_json().encode()).hexdigest()[:16]}"


def release_patches(commits: Sequence[Commit]) -> None:
    """Drop the patch text once the analyzer is done with it: the report needs only the facts,
    and a long period (or many repositories) would otherwise hold every diff until the end."""
    for commit in commits:
        for f in commit.files:
            f.patch = ""


def open_repos(specs: Sequence[RepoSpec], timeout: float = 300.0, cache_dir: Path | None = None) -> list[Repo]:
    """Open every repository before any work starts, so bad input fails fast. A URL is mirrored
    into the cache first (cloned once, fetched after), exactly as ``run`` does. Unnamed
    repositories are named after their remote (a mirror's is its URL), else their folder; two
    sections never share a name."""
    from commitdigest.git.mirror import ensure_mirror, is_url
    from commitdigest.git.repo import checked_web_links
    from commitdigest.store import default_cache_dir

    for s in specs:  # bad input fails before any clone
        if s.web_url:
            checked_web_links(s.web_url)
    repos = []
    for s in specs:
        path = s.path
        if is_url(s.path):
            path = ensure_mirror(s.path, cache_dir or default_cache_dir(), timeout=timeout).path
        repos.append(open_repo(path, s.branch, s.name, timeout=timeout, web_url=s.web_url))
    return distinct_names(repos)


def generate_report(
    request: ReportRequest,
    analyzer: Analyzer | None = None,
    progress: Progress | None = None,
    repos: list[Repo] | None = None,
) -> Report:
    started = time.monotonic()
    request.language = check_language(request.language)
    analyzer = analyzer or default_analyzer()
    window = make_window(request.since, request.until, request.zone)
    repos = repos if repos is not None else open_repos(request.repos, request.git_timeout)
    store = Store(request.cache_dir) if request.use_cache else None
    hosting = HostingSettings.resolve(request.hosting)
    outcomes: list[Outcome | None] = []
    results: list[RepoResult] = []
    hits = 0
    try:
        for repo in repos:
            if progress:
                progress.start(f"git log {repo.name}", 0)
            prefetch_window(repo.path, repo.rev, window, request.date_field, request.git_timeout)
            commits = gitlog.commits_in_window(repo, window, request.date_field,
                                               request.patch_limits, request.git_timeout)
            outcomes.append(attach_pull_requests(commits, repo, store, hosting))
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
    return with_pull_requests(build_report(
        results, window=window, zone=request.zone, language=request.language,
        since=request.since, until=request.until, date_field=request.date_field,
        analyzer=analyzer.name, version=__version__, usage=usage,
    ), results, outcomes)


def with_pull_requests(report: Report, results: Sequence[RepoResult], outcomes: Sequence[Outcome | None]) -> Report:
    """The report's commits with their pull requests, and the coverage line in its usage. With
    no outcome (the API not asked) the report is returned as it was."""
    from commitdigest.report.labels import LABELS

    line = coverage_line([c for r in results for c in r.commits], outcomes, LABELS[report.language]["pr_coverage"])
    if line is None:
        return report
    prs = {c.sha: c.pull_request for r in results for c in r.commits if c.pull_request is not None}
    for section in report.repos:
        for entry in section.commits:
            entry.pull_request = prs.get(entry.sha)
    report.usage = report.usage.model_copy(update={"pr_meta": line})
    return report


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
    hosting: HostingSettings | None = None,
    facts: dict[str, CommitFacts] | None = None,
) -> list[tuple[date, Report]]:
    """One report per day, every repository a section, in the order given.

    git runs once per repository for the whole span, not once per day: a year of daily reports
    costs two git processes per repository. A repository that fails to read becomes a section
    that says why; the others are unaffected."""
    language = check_language(language)
    analyzer = analyzer or default_analyzer()
    days = sorted(set(days))
    if not days:
        return []
    span = make_window(days[0], days[-1], zone)
    wanted = set(days)
    per_day: dict[date, dict[str, list[Commit]]] = {d: {} for d in days}
    errors: dict[str, str | None] = {}
    settings = HostingSettings.resolve(hosting)
    outcomes: list[Outcome | None] = []
    for t in tracked:
        errors[t.name] = t.error
        if t.repo is None:
            continue
        if progress:
            progress.start(f"git log {t.name}", 0)
        try:
            prefetch_window(t.repo.path, t.repo.rev, span, date_field, git_timeout)  # lean mirrors: one request
            commits = gitlog.commits_in_window(t.repo, span, date_field, limits, git_timeout)
        except RepoError as exc:
            errors[t.name] = exc.message
            continue
        kept = []
        for c in commits:
            when = (c.committer_time if date_field == "committer" else c.author_time).astimezone(zone.tz).date()
            if when in wanted and keep_commit(c, t.include, t.exclude):
                per_day[when].setdefault(t.name, []).append(c)
                kept.append(c)
        if facts is not None:  # read now: the patches are dropped once analysed
            facts.update((c.sha, commit_facts(c)) for c in kept)
        outcomes.append(attach_pull_requests(kept, t.repo, store, settings))
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
            reports.append((day, with_pull_requests(build_report(
                results, window=make_window(day, day, zone), zone=zone, language=language, since=day,
                until=day, date_field=date_field, analyzer=analyzer.name, version=__version__, usage=usage),
                results, outcomes)))
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
    """Render every format first, then write them all or none: no half-written report, and
    the Markdown renamed into place last, so it is never there without its twin."""
    rendered = render_report(report, formats)
    ensure_dir(out_dir)
    stem = report_stem(since, until)
    order = sorted(rendered, key=lambda suffix: suffix == "md")
    write_all({out_dir / f"{stem}.{suffix}": rendered[suffix] for suffix in order})
    written = [out_dir / f"{stem}.{suffix}" for suffix in rendered]
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
    hosting: HostingSettings | None = None,
) -> tuple[CommitEntry, Usage]:
    """One commit's facts and analysis, as the report would show it."""
    language = check_language(language)
    repo = open_repo(path, branch)
    analyzer = analyzer or default_analyzer()
    commits = gitlog.read_commits(repo, [resolve_rev(repo, rev)])
    store = Store(cache_dir) if use_cache else None
    try:
        outcome = attach_pull_requests(commits, repo, store, HostingSettings.resolve(hosting))
        analyses, hits = analyze_commits(commits, analyzer, language, store)
    finally:
        if store:
            store.close()
    from datetime import timedelta

    day = commits[0].committer_time.astimezone(zone.tz).date()
    result = _result(repo, commits, analyses)
    report = with_pull_requests(build_report(
        [result], window=make_window(day, day, zone), zone=zone,
        language=language, since=day, until=day + timedelta(0), date_field="committer",
        analyzer=analyzer.name, version=__version__, usage=Usage(),
    ), [result], [outcome])
    usage = analyzer.usage().model_copy(update={"cache_hits": hits})
    return report.repos[0].commits[0], usage


def generate_rollup(
    tracked: Sequence[Tracked],
    period: Period,
    zone: Zone,
    *,
    language: str = "zh",
    date_field: str = "committer",
    analyzer: Analyzer | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
    git_timeout: float = 300.0,
    hosting: HostingSettings | None = None,
) -> tuple[Rollup, list[tuple[date, Report]]]:
    """The rollup of ``period`` and the daily reports it was folded from.

    The days come through ``generate_days``, so analyses already in the cache cost nothing and
    the others are made first. The previous period is read for its counts only: tiers from the
    importance score over git facts, no analyzer."""
    from commitdigest.outputs.rollup import title as rollup_title
    from commitdigest.rollup import Rollup, fold, score_totals

    analyzer = analyzer or default_analyzer()
    facts: dict[str, CommitFacts] = {}
    daily = generate_days(tracked, period.days, zone, language=language, date_field=date_field, analyzer=analyzer,
                          store=store, progress=progress, git_timeout=git_timeout, hosting=hosting, facts=facts)
    before = period.previous()
    window = make_window(before.since, before.until, zone)
    previous: dict[str, Any] = {}
    lean = gitlog.PatchLimits(per_file=0, per_commit=0)  # counts only: no patch text is kept
    for t in tracked:
        previous[t.name] = None
        if t.repo is None:
            continue
        try:
            commits = gitlog.commits_in_window(t.repo, window, date_field, lean, git_timeout)
        except RepoError:
            continue
        scoring = analyzer.scoring.merged(t.importance) if t.importance else analyzer.scoring
        previous[t.name] = score_totals([c for c in commits if keep_commit(c, t.include, t.exclude)], scoring)
    rollup = Rollup(period=period, title=rollup_title(period, language), language=language, timezone=zone.name,
                    generator=analyzer.name, repos=fold(period, daily, previous, facts=facts))
    return rollup, daily
