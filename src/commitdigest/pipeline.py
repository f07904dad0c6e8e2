"""The generation core: sources + windows → ``Report`` records → files.

This is the only module that strings the stages together. :func:`generate` is the core every
command calls — ``report`` (one window over N repositories), ``run`` (a window per day),
``analyze`` (one named commit) and rollups (the days of a period) — and :func:`open_source` the
one way a path or URL becomes a repository. The CLI only parses arguments and calls them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commitdigest import __version__
from commitdigest.analysis.base import Analyzer
from commitdigest.analysis.grounding import ground
from commitdigest.analysis.importance import Scoring
from commitdigest.analysis.uses_text import with_uses
from commitdigest.errors import InputError, RepoError
from commitdigest.git import log as gitlog
from commitdigest.git.mirror import MirrorKind, prefetch_commits, prefetch_window
from commitdigest.git.repo import Repo, distinct_names, open_repo, resolve_rev
from commitdigest.git.runner import DEFAULT_TIMEOUT as DEFAULT_GIT_TIMEOUT
from commitdigest.hosting import (
    HostingRun,
    HostingSettings,
    Outcome,
    attach_pull_requests,
    coverage_line,
)
from commitdigest.kinds import language_tag
from commitdigest.models import Commit, CommitAnalysis, CommitEntry, Language, Report, Usage
from commitdigest.outputs import formats as formats_mod
from commitdigest.outputs.files import ensure_dir, write_all, write_atomic
from commitdigest.progress import Progress
from commitdigest.report.build import RepoResult, build_report, make_entry
from commitdigest.rollup import CommitFacts, Period, commit_facts
from commitdigest.store import Store
from commitdigest.window import Zone, make_window

if TYPE_CHECKING:
    from commitdigest.rollup import DayLinks, Rollup
    from commitdigest.uses.stage import ReaderCode


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
    git_timeout: float = DEFAULT_GIT_TIMEOUT
    patch_limits: gitlog.PatchLimits = field(default_factory=gitlog.PatchLimits)
    #: the ``[hosting]`` table; tokens come from the environment (none: the API is not asked)
    hosting: HostingRun | HostingSettings | None = None


def default_analyzer() -> Analyzer:
    from commitdigest.analysis.heuristic import HeuristicAnalyzer

    return HeuristicAnalyzer()


def check_language(language: str) -> Language:
    """The report language for ``language`` (``zh`` or ``en``), accepting tags such as ``EN``, ``zh-CN``."""
    found = language_tag(language)
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
    semantic: bool = True,
    provisional: Collection[str] = (),
) -> tuple[list[CommitAnalysis], int]:
    """Analyses for ``commits`` in order, from the cache where possible; returns (analyses, hits).
    ``scoring`` is a repository's own importance weights (default: the analyzer's). Analyses
    made with the code left unread (``semantic`` False) are cached apart: a later run that reads
    it does not get them; those of ``provisional`` commits (their code could not be read this
    time) are not cached at all, so the next run reads it again. The commits' patch text is
    released afterwards: the report needs only their facts. An analysis made from the semantic
    facts is cached under the version of the stage that found them: facts found anew by a later
    version are told anew, offline or by the model."""
    mark = ":lines-only"
    if semantic:  # the stage is loaded only by the runs that read the code
        from commitdigest.semantic.stage import ENGINE_VERSION

        mark = f":semantic{ENGINE_VERSION}"
    fingerprint = analyzer.fingerprint(language, scoring) + mark
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
        store.put_many((keys[c.sha], fingerprint, by_sha[c.sha]) for c in todo
                       if not by_sha[c.sha].fallback and c.sha not in provisional)
    release_patches(commits)
    # The reader's code (``uses``) is a fact every analyzer's record states first; written from
    # the facts each time, never cached, so it always says what this run found.
    return [with_uses(by_sha[c.sha], c, language) for c in commits], len(commits) - len(todo)


# Analyzers whose answer depends on ``Commit.pull_request``: the offline summary takes its gist,
# the LLM prompt shows it. Their analyses of a commit are keyed by its PR too.
PR_AWARE_ANALYZERS = frozenset({"heuristic", "llm"})  # by kind: "llm:<model>" is "llm"
# Analyzers whose answer depends on ``Commit.uses``: the model is told the reader's lines.
USES_AWARE_ANALYZERS = frozenset({"llm"})


def cache_key(commit: Commit, analyzer: Analyzer | None = None) -> str:
    """The analysis cache key: the sha, and a hash of the pull request when the hosting API gave
    one to an analyzer that reads it, since its description changes what that analyzer says.
    Otherwise the sha alone, as it always was: a new token costs no model call. A commit that
    touches the reader's code (``uses``) is keyed by those uses too for an analyzer that is told
    them."""
    import hashlib

    key = commit.sha
    kind = analyzer.name.split(":", 1)[0] if analyzer is not None else None
    if commit.pull_request is not None and (kind is None or kind in PR_AWARE_ANALYZERS):
        key += f":pr{hashlib.sha256(commit.pull_request.model_dump_json().encode()).hexdigest()[:16]}"
    if commit.uses and (kind is None or kind in USES_AWARE_ANALYZERS):
        key += ":u" + hashlib.sha256("\n".join(u.model_dump_json() for u in commit.uses).encode()).hexdigest()[:16]
    return key


def release_patches(commits: Sequence[Commit]) -> None:
    """Drop the patch text once the analyzer is done with it: the report needs only the facts,
    and a long period (or many repositories) would otherwise hold every diff until the end."""
    for commit in commits:
        for f in commit.files:
            f.patch = ""


def open_source(location: str | Path, *, branch: str | None = None, name: str | None = None,
                web_url: str | None = None, cache_dir: Path | None = None, timeout: float = DEFAULT_GIT_TIMEOUT,
                mirror: MirrorKind | None = None, strict_links: bool = True,
                note: Callable[[str], None] | None = None) -> Repo:
    """Path or URL → repository: the one way every command opens a source, through the kinds of
    ``commitdigest.sources`` (a URL is mirrored into the cache first: cloned once, fetched after). ``web_url`` gives the commit and PR
    links; with ``strict_links`` one that names no GitHub or GitLab project is bad input,
    without it (a config file already checked for http) it is ignored and the remote's links
    stay. Raises the repository's error: the caller decides whether it is fatal."""
    from commitdigest import sources
    from commitdigest.git.repo import checked_web_links, web_links
    from commitdigest.store import default_cache_dir

    if web_url and strict_links:
        checked_web_links(web_url)
    elif web_url and web_links(web_url) is None:
        web_url = None
    fetching = sources.Fetch(cache_dir=cache_dir or default_cache_dir(), timeout=timeout, mirror=mirror or "auto",
                             note=note, label=name)
    path = sources.fetch(str(location), fetching)
    return open_repo(path, branch, name, timeout=timeout, web_url=web_url)


def open_repos(specs: Sequence[RepoSpec], timeout: float = DEFAULT_GIT_TIMEOUT, cache_dir: Path | None = None) -> list[Repo]:
    """Open every repository before any work starts, so bad input fails fast. Unnamed
    repositories are named after their remote (a mirror's is its URL), else their folder; two
    sections never share a name."""
    from commitdigest.git.repo import checked_web_links

    for s in specs:  # bad input fails before any clone
        if s.web_url:
            checked_web_links(s.web_url)
    return distinct_names([open_source(s.path, branch=s.branch, name=s.name, web_url=s.web_url,
                                       cache_dir=cache_dir, timeout=timeout) for s in specs])


@dataclass
class Tracked:
    """A source of a report: a repository opened, or the reason it could not be."""

    name: str
    repo: Repo | None = None
    error: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    #: the repository's own ``[importance]`` table, laid over the analyzer's scoring
    importance: dict[str, Any] = field(default_factory=dict)
    #: the commits to report instead of the windows' log (``analyze``: one named commit)
    commits: list[Commit] | None = None
    #: commits shown on the day they were first seen rather than on their date (``first_seen``)
    first_seen: dict[str, date] = field(default_factory=dict)
    #: the reader's code to look for uses of the changed symbols in (``uses``), when named
    uses: ReaderCode | None = None
    #: read the changed code (``Config.semantic``); False: the line facts only
    semantic: bool = True

    @classmethod
    def of(cls, repo: Repo) -> Tracked:
        return cls(name=repo.name, repo=repo)


@dataclass(frozen=True)
class Span:
    """A report's days, ``since`` to ``until`` inclusive."""

    since: date
    until: date


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


def _usage_sum(total: Usage | None, delta: Usage) -> Usage:
    """``total`` plus one analysis's ``delta``; the newest delta's other fields (format, served
    model, warnings: what the run recorded so far) stand."""
    if total is None:
        return delta
    cost = None if delta.cost is None else round((total.cost or 0.0) + delta.cost, 6)
    return delta.model_copy(update=dict(llm_calls=total.llm_calls + delta.llm_calls,
                                        prompt_tokens=total.prompt_tokens + delta.prompt_tokens,
                                        completion_tokens=total.completion_tokens + delta.completion_tokens,
                                        fallbacks=total.fallbacks + delta.fallbacks, cost=cost))


def _merge_outcomes(total: Outcome | None, part: Outcome | None) -> Outcome | None:
    """One repository's hosting outcome over its batches, as if its commits had been asked at
    once (the request budget is the settings' record per repository, so it holds across them)."""
    if part is None or total is None:
        return total or part
    total.numbers.update(part.numbers)
    total.found |= part.found
    total.requests += part.requests
    total.reason = total.reason or part.reason
    return total


@dataclass
class _Section:
    """What one window's report has of one source so far: its entries, in the order git listed
    their commits."""

    entries: list[CommitEntry] = field(default_factory=list)


@dataclass
class _WindowTally:
    """One window's model usage, cache hits and analysis time, added up over the batches, and
    the anchors its entries have taken (unique across its sections)."""

    usage: Usage | None = None
    hits: int = 0
    seconds: float = 0.0
    anchors: set[str] = field(default_factory=set)


class _DayIndex:
    """Day → the windows holding it, in order, worked out once per distinct day (a year of daily
    reports is 365 windows; trying each for every commit of the year adds up). Built as days
    are asked, not from the windows' spans, which may be centuries long."""

    def __init__(self, windows: Sequence[Span]):
        self.windows = windows
        self.known: dict[date, list[int]] = {}

    def __call__(self, day: date) -> list[int]:
        found = self.known.get(day)
        if found is None:
            found = self.known[day] = [i for i, w in enumerate(self.windows) if w.since <= day <= w.until]
        return found


def generate(
    windows: Sequence[Span],
    sources: Sequence[Tracked],
    analyzer: Analyzer | None = None,
    store: Store | None = None,
    *,
    zone: Zone,
    language: str = "zh",
    date_field: str = "committer",
    progress: Progress | None = None,
    limits: gitlog.PatchLimits | None = None,
    git_timeout: float = DEFAULT_GIT_TIMEOUT,
    hosting: HostingRun | HostingSettings | None = None,
    fail_fast: bool = False,
    facts: dict[str, CommitFacts] | None = None,
    batch_size: int = gitlog.BATCH,
    prepare: Callable[[Sequence[CommitEntry], str], None] | None = None,
) -> list[Report]:
    """The core every command calls: one report per window, every source a section, in order.

    git lists each repository's commits once for the whole span of the windows, not once per
    window, then reads them in batches of ``batch_size``: 1 + ⌈n / batch_size⌉ git processes
    per repository (a year of daily reports of a busy repository: a handful). Each batch is
    filtered, bucketed into its windows, given its pull requests, its ``facts`` (what a rollup
    lists) and its analyses before the next is read, and the analysis releases its patch text:
    at most one batch of patches is alive, however long the period. A source that fails to read
    becomes a section that says why (``fail_fast``: its error is raised instead, as ``report``
    wants); the others are unaffected. Analyses come from ``store`` where it has them. Each
    report carries its own model usage; with one window its time includes reading git.
    ``prepare`` gets each batch's entries as they are made (the output formats render their
    pieces of the files then, while git reads the next batch: see ``outputs.formats.preparer``)."""
    started = time.monotonic()
    language = check_language(language)
    analyzer = analyzer or default_analyzer()
    if not windows:
        return []
    span = make_window(min(w.since for w in windows), max(w.until for w in windows), zone)
    days = _DayIndex(windows)
    now = datetime.now(UTC)
    settings = HostingRun.of(hosting)  # the run's own, shared by all its passes, when it gives one
    # Pass 1 for every source first (metadata only, one git process each): the progress bar's
    # total, and bad input found before any analysis.
    listings: dict[int, gitlog.Listing] = {}
    errors: dict[int, str | None] = {j: t.error for j, t in enumerate(sources)}
    for j, t in enumerate(sources):
        if t.repo is None or t.commits is not None:
            continue
        if progress:
            progress.start(f"git log {t.name}", 0)
        try:
            listing = gitlog.list_window(t.repo, span, date_field, git_timeout, now=now)
            listing, t.first_seen = first_seen(listing, store, now.astimezone(zone.tz).date(), zone, days,
                                               git_timeout)
            # Commits of the span that fall in no window (the gaps between the days of a run) are
            # never read.
            listing = listing.only([bool(days(t.first_seen.get(m.sha) or w.astimezone(zone.tz).date()))
                                    for m, w in zip(listing.metas, listing.when(), strict=True)])
            prefetch_commits(t.repo.path, [m.sha for m in listing.metas], git_timeout)  # lean mirrors: one request
        except RepoError as exc:
            if fail_fast:
                raise
            errors[j] = exc.message
            continue
        listings[j] = listing
    _warm_semantic(sources, listings, store)
    scorings = [analyzer.scoring.merged(t.importance) if t.importance else None for t in sources]
    sections = [[_Section() for _ in sources] for _ in windows]
    tallies = [_WindowTally() for _ in windows]
    outcomes: list[Outcome | None] = []
    if progress:
        progress.start("analyse", sum(len(t.commits) for t in sources if t.repo is not None and t.commits is not None)
                       + sum(len(listing) for listing in listings.values()))
    try:
        for j, t in enumerate(sources):
            if t.repo is None or (t.commits is None and j not in listings):
                continue
            batches: Iterable[list[Commit]] = (
                [t.commits] if t.commits is not None
                else gitlog.read_batches(listings.pop(j), limits, git_timeout, batch_size, part=gitlog.PART))
            outcome: Outcome | None = None
            # A commit in two windows (a day and the period around it) is analysed once: its
            # patch text is released after the first analysis.
            done: dict[str, CommitAnalysis] = {}
            try:
                for batch in batches:
                    outcome = _merge_outcomes(outcome, _batch(
                        batch, t, days, len(windows), zone, date_field, analyzer, language, store, progress, scorings[j],
                        settings, facts, done, [s[j] for s in sections], tallies,
                        all_windows=t.commits is not None, git_timeout=git_timeout, prepare=prepare))
            except RepoError as exc:
                if fail_fast:
                    raise
                errors[j] = exc.message
                for s in sections:
                    s[j] = _Section()
            outcomes.append(outcome)
        reports = []
        for i, w in enumerate(windows):
            tally = tallies[i]
            seconds = time.monotonic() - started if len(windows) == 1 else tally.seconds
            usage = (tally.usage or _usage_delta(analyzer.usage(), analyzer.usage())).model_copy(update={
                "cache_hits": tally.hits, "seconds": round(seconds, 1)})
            results = []
            for j, t in enumerate(sources):
                sec = sections[i][j]
                if t.repo is not None and errors[j] is None:
                    results.append(_result(t.repo, sec.entries, t.uses))
                else:
                    results.append(RepoResult(name=t.name, branch=t.repo.branch if t.repo else "",
                                              error=errors[j] or "not read"))
            if (line := _pr_line(results, outcomes, language)) is not None:
                usage.pr_meta = line
            sections[i] = []
            reports.append(build_report(
                results, window=make_window(w.since, w.until, zone), zone=zone, language=language,
                since=w.since, until=w.until, analyzer=analyzer.name,
                version=__version__, usage=usage))
    finally:
        if progress:
            progress.stop()
    return reports


def first_seen(listing: gitlog.Listing, store: Store | None, today: date, zone: Zone,
               days: Callable[[date], list[int]], git_timeout: float = 300.0) -> tuple[gitlog.Listing, dict[str, date]]:
    """Commits dated after the run (2100, or year 10000 as git stores it) would be in no report
    until that day, if ever: each is shown instead on the day it is first seen, ``today`` in the
    report's zone, flagged. The cache records that day, so every later report puts it there
    too, and only there; without the cache it is shown on the day of each report that sees it.

    Returns the listing, with the commits first seen on a day of ``days`` that are dated after
    the window added, and the day each commit shown on a day other than its date's is shown on."""
    future = listing.future()
    asked = [*future, *listing.later]
    known = store.get_first_seen(asked) if store is not None and asked else {}
    new = {sha: today for sha in future if sha not in known}
    if store is not None and new:
        store.put_first_seen(new)
    seen = {**known, **new}
    wanted = [sha for sha in listing.later if sha in known and days(known[sha])]
    if wanted:
        listing = listing.with_commits(wanted, git_timeout)
    shown = {}
    for m, instant in zip(listing.metas, listing.when(), strict=True):
        day = seen.get(m.sha)
        if day is not None and day != instant.astimezone(zone.tz).date():
            shown[m.sha] = day
    return listing, shown


def _batch(batch: list[Commit], t: Tracked, days: _DayIndex, n_windows: int, zone: Zone, date_field: str,
           analyzer: Analyzer, language: str, store: Store | None, progress: Progress | None,
           scoring: Scoring | None, settings: HostingRun | None, facts: dict[str, CommitFacts] | None,
           done: dict[str, CommitAnalysis], sections: list[_Section], tallies: list[_WindowTally],
           all_windows: bool, git_timeout: float = 300.0,
           prepare: Callable[[Sequence[CommitEntry], str], None] | None = None) -> Outcome | None:
    """One batch of one source: kept, bucketed into windows, given its pull requests and facts,
    then analysed window by window so each report counts its own model usage, and made into
    each window's entries (the commits go with the batch)."""
    assert t.repo is not None
    kept: list[Commit] = []
    by_window: dict[int, list[Commit]] = {}
    for c in batch:
        if not keep_commit(c, t.include, t.exclude):
            continue
        c.first_seen = t.first_seen.get(c.sha)
        when = c.first_seen or (c.committer_time if date_field == "committer" else c.author_time).astimezone(zone.tz).date()
        hit = range(n_windows) if all_windows else days(when)
        for i in hit:
            by_window.setdefault(i, []).append(c)
        if hit:
            kept.append(c)
    if progress and len(batch) > len(kept):
        progress.advance(len(batch) - len(kept))  # left out by the path filters: nothing to analyse
    unread: set[str] = set()
    if t.semantic:
        attach_semantic(kept, t.repo, store, git_timeout)
        # git could not give this batch's blobs: its analyses say less than they will next time
        unread = {c.sha for c in kept if c.semantic is None}
    if t.uses is not None:
        from commitdigest.uses import stage as uses_stage

        uses_stage.attach(kept, t.repo, t.uses, store, git_timeout)
    if facts is not None:
        facts.update((c.sha, commit_facts(c)) for c in kept)
    outcome = attach_pull_requests(kept, t.repo, store, settings)
    for i in sorted(by_window):
        commits = by_window[i]
        todo = [c for c in commits if c.sha not in done]
        tally = tallies[i]
        if todo:
            began, before = time.monotonic(), analyzer.usage()
            fresh, n = analyze_commits(todo, analyzer, language, store, progress, scoring=scoring,
                                       semantic=t.semantic, provisional=unread)
            tally.usage = _usage_sum(tally.usage, _usage_delta(analyzer.usage(), before))
            tally.seconds += time.monotonic() - began
            done.update((c.sha, a) for c, a in zip(todo, fresh, strict=True))
            tally.hits += n
        tally.hits += len(commits) - len(todo)
        entries = [make_entry(c, done[c.sha], links=t.repo.links, zone=zone, date_field=date_field,
                              anchors=tally.anchors) for c in commits]
        if prepare is not None:
            prepare(entries, language)
        sections[i].entries.extend(entries)
    release_patches(batch)  # those the path filters left out: no batch's patches outlive it
    return outcome


def _warm_semantic(sources: Sequence[Tracked], listings: dict[int, gitlog.Listing], store: Store | None) -> None:
    """Start the semantic stage's workers while git reads the first batch, when some commit to
    report has no semantic facts in the cache yet."""
    wanted = [m.sha for j, listing in listings.items() if sources[j].semantic for m in listing.metas]
    if not wanted:
        return
    from commitdigest.semantic import stage, workers

    if store is not None and len(store.semantic_known(wanted, stage.ENGINE_VERSION)) == len(set(wanted)):
        return
    workers.warm()


def attach_semantic(commits: Sequence[Commit], repo: Repo, store: Store | None, git_timeout: float = 300.0) -> None:
    """Each commit's semantic facts (``commitdigest.semantic``): from the cache where it has
    them, else read off the blobs while the patches are still here. Facts of a commit git read
    whole are cached by sha: they cannot change."""
    from commitdigest.semantic import stage

    todo = [c for c in commits if c.semantic is None]
    if not todo:
        return
    if store is not None:
        cached = store.get_semantic([c.sha for c in todo], stage.ENGINE_VERSION)
        for c in todo:
            c.semantic = cached.get(c.sha)
        todo = [c for c in todo if c.semantic is None]
    if not todo:
        return
    stage.attach(repo.read_dir, todo, git_timeout)
    if store is not None:
        store.put_semantic(((c.sha, c.semantic) for c in todo
                            if c.semantic is not None and c.read_error is None and c.counts_known), stage.ENGINE_VERSION)


@contextmanager
def opened_store(use_cache: bool, cache_dir: Path | None) -> Iterator[Store | None]:
    """The analysis cache for a call that is not a command's (commands keep theirs in their
    run context), closed when it ends; None with ``use_cache`` off."""
    store = Store(cache_dir) if use_cache else None
    try:
        yield store
    finally:
        if store:
            store.close()


def generate_report(
    request: ReportRequest,
    analyzer: Analyzer | None = None,
    progress: Progress | None = None,
    repos: list[Repo] | None = None,
) -> Report:
    """``report``: one window over the request's repositories; a repository git cannot read
    fails the whole report, as bad input does."""
    request.language = check_language(request.language)
    repos = repos if repos is not None else open_repos(request.repos, request.git_timeout, request.cache_dir)
    with opened_store(request.use_cache, request.cache_dir) as store:
        return generate([Span(request.since, request.until)], [Tracked.of(r) for r in repos], analyzer, store,
                        zone=request.zone, language=request.language, date_field=request.date_field,
                        progress=progress, limits=request.patch_limits, git_timeout=request.git_timeout,
                        hosting=request.hosting, fail_fast=True)[0]


def _pr_line(results: Sequence[RepoResult], outcomes: Sequence[Outcome | None], language: str) -> str | None:
    """The report's pull-request coverage line for its usage; ``None`` when the API was not asked
    (then no commit has a pull request and the report is what it was without the API)."""
    from commitdigest.vocab import words

    return coverage_line([c.sha for r in results for c in r.entries], outcomes, words(language).report["pr_coverage"])


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
    git_timeout: float = DEFAULT_GIT_TIMEOUT,
    hosting: HostingRun | HostingSettings | None = None,
    facts: dict[str, CommitFacts] | None = None,
) -> list[tuple[date, Report]]:
    """``run``: one report per day, every repository a section, in the order given."""
    days = sorted(set(days))
    reports = generate([Span(d, d) for d in days], tracked, analyzer, store, zone=zone, language=language,
                       date_field=date_field, progress=progress, limits=limits, git_timeout=git_timeout,
                       hosting=hosting, facts=facts)
    return list(zip(days, reports, strict=True))


def _result(repo: Repo, entries: list[CommitEntry], uses: ReaderCode | None = None) -> RepoResult:
    return RepoResult(name=repo.name, branch=repo.branch, url=repo.links.base if repo.links else None,
                      entries=entries, uses=uses.summary() if uses is not None else None)


def report_stem(since: date, until: date) -> str:
    from commitdigest.layout import report_stem as stem

    return stem(since, until)


def report_files(formats: Sequence[str]) -> list[str]:
    """The per-report file suffixes the formats produce (see ``outputs.formats``)."""
    return formats_mod.report_files(formats)


def render_report(report: Report, formats: Sequence[str]) -> dict[str, str]:
    return formats_mod.render_report(report, formats)


def write_report(report: Report, out_dir: Path, formats: Sequence[str], since: date,
                 until: date, base_url: str | None = None, site: bool = True) -> list[Path]:
    """Write every format all or none: each is rendered into its temp file and let go before
    the next is rendered (a long period holds one rendered file at a time), then all are renamed
    into place, the Markdown last, so it is never there without its twin."""
    contents = formats_mod.report_contents(report, formats)
    ensure_dir(out_dir)
    stem = report_stem(since, until)
    order = sorted(contents, key=lambda suffix: suffix == "md")
    write_all({out_dir / f"{stem}.{suffix}": contents[suffix] for suffix in order})
    written = [out_dir / f"{stem}.{suffix}" for suffix in contents]
    if site:
        written += write_site(out_dir, formats, report.language, base_url)
    return written


def write_site(out_dir: Path, formats: Sequence[str], language: str, base_url: str | None = None,
               feed_quiet_days: bool = False) -> list[Path]:
    """The directory-level files (the HTML index, the feed), from every report in ``out_dir``."""
    ctx = formats_mod.SiteContext(language=language, base_url=base_url, feed_quiet_days=feed_quiet_days)
    return [write_atomic(out_dir / f.site_file, f.render_site(out_dir, ctx))
            for f in formats_mod.site_formats(formats) if f.site_file and f.render_site]


def read_one(path: str, rev: str, branch: str | None = None) -> Commit:
    """One commit's facts, read as a report reads them: its semantic facts too (uncached)."""
    repo = open_source(path, branch=branch)
    commits = read_named(repo, rev)
    attach_semantic(commits, repo, None)
    return commits[0]


def read_named(repo: Repo, rev: str, timeout: float = 300.0) -> list[Commit]:
    """The commit ``rev`` names, its file versions fetched first in one request when the
    repository is one of the tool's lean mirrors."""
    sha = resolve_rev(repo, rev, timeout)
    prefetch_commits(repo.path, [sha], timeout)
    return gitlog.read_commits(repo, [sha], timeout=timeout)


def analyze_one(
    path: str,
    rev: str,
    language: str,
    zone: Zone,
    analyzer: Analyzer | None = None,
    branch: str | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    hosting: HostingRun | HostingSettings | None = None,
) -> tuple[CommitEntry, Usage]:
    """One commit's facts and analysis, as the report of its day shows it: the core's report of
    that day with the commit as its only content."""
    repo = open_source(path, branch=branch, cache_dir=cache_dir)
    commits = read_named(repo, rev)
    day = commits[0].committer_time.astimezone(zone.tz).date()
    source = Tracked(name=repo.name, repo=repo, commits=commits)
    with opened_store(use_cache, cache_dir) as store:
        report = generate([Span(day, day)], [source], analyzer, store, zone=zone, language=language,
                          hosting=hosting, fail_fast=True)[0]
    return report.repos[0].commits[0], report.usage


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
    git_timeout: float = DEFAULT_GIT_TIMEOUT,
    hosting: HostingRun | HostingSettings | None = None,
    links: DayLinks | None = None,
    before_fold: Callable[[list[tuple[date, Report]]], None] | None = None,
) -> tuple[Rollup, list[tuple[date, Report]]]:
    """The rollup of ``period`` and the daily reports it was folded from.

    The days come through ``generate_days``, so analyses already in the cache cost nothing and
    the others are made first. The previous period is read for its counts only: tiers from the
    importance score over git facts, no analyzer. ``links`` say where each highlight's daily
    report is from the rollup's folder (``layout.DayLinks``), asked when the rollup is folded:
    after ``before_fold`` has had the daily reports (to write those the caller writes). Without
    it, days are plain text."""
    from commitdigest.outputs.rollup import title as rollup_title
    from commitdigest.rollup import Rollup, fold, score_totals

    analyzer = analyzer or default_analyzer()
    facts: dict[str, CommitFacts] = {}
    daily = generate_days(tracked, period.days, zone, language=language, date_field=date_field, analyzer=analyzer,
                          store=store, progress=progress, git_timeout=git_timeout, hosting=hosting, facts=facts)
    if before_fold is not None:
        before_fold(daily)
    before = period.previous()
    window = make_window(before.since, before.until, zone)
    previous: dict[str, Any] = {}
    for t in tracked:
        previous[t.name] = None
        if t.repo is None:
            continue
        try:  # counts only: git prints line counts and no patch (they need the file versions)
            prefetch_window(t.repo.path, t.repo.rev, window, date_field, git_timeout)
            commits = gitlog.commits_in_window(t.repo, window, date_field, gitlog.COUNTS_ONLY, git_timeout)
        except RepoError:
            continue
        scoring = analyzer.scoring.merged(t.importance) if t.importance else analyzer.scoring
        previous[t.name] = score_totals([c for c in commits if keep_commit(c, t.include, t.exclude)], scoring)
    rollup = Rollup(period=period, title=rollup_title(period, language), language=language, timezone=zone.name,
                    generator=analyzer.name, repos=fold(period, daily, previous, links=links, facts=facts))
    return rollup, daily
