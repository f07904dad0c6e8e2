"""The library interface: what a program that imports commitdigest calls.

    import commitdigest

    report = commitdigest.build_report("~/src/dynamo", since="2026-11-16", until="2026-11-22",
                                       tz="Asia/Shanghai", language="en")
    for section in report.repos:
        for c in section.commits:
            print(c.analysis.importance, c.subject)
    entry = commitdigest.analyze_commit("~/src/dynamo", "HEAD")
    again = commitdigest.load_report("reports/2026-11-16.json")
    week = commitdigest.build_rollup("~/src/dynamo", week="2026-W47")

Every function takes plain values (paths, dates as ``date`` or strings, zone names), uses the
offline analyzer unless given another, and raises ``commitdigest.errors.CommitdigestError``
subclasses for bad input — the same checks and messages as the command line.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from commitdigest import pipeline
from commitdigest.analysis.base import Analyzer
from commitdigest.errors import InputError
from commitdigest.models import CommitEntry, Report
from commitdigest.outputs.catalog import load_report, report_from_json
from commitdigest.window import Zone, parse_day, parse_zone

__all__ = ["analyze_commit", "build_report", "build_rollup", "load_report", "report_from_json"]


def _day(value: date | str, zone: Zone) -> date:
    return value if isinstance(value, date) else parse_day(value, zone)


def build_report(repos: str | Path | list[str | Path], since: date | str, until: date | str | None = None, *,
                 tz: str | None = None, language: str = "zh", analyzer: Analyzer | None = None,
                 branch: str | None = None, use_cache: bool = True, cache_dir: Path | None = None) -> Report:
    """The report of one or more repositories (paths or URLs) over whole days, ``since`` to
    ``until`` inclusive (``until`` defaults to ``since``: one day)."""
    zone = parse_zone(tz)
    first = _day(since, zone)
    last = _day(until, zone) if until is not None else first
    paths = repos if isinstance(repos, list) else [repos]
    request = pipeline.ReportRequest(
        repos=[pipeline.RepoSpec(path=_location(p), branch=branch) for p in paths],
        since=first, until=last, zone=zone, language=pipeline.check_language(language), use_cache=use_cache,
        cache_dir=cache_dir)
    return pipeline.generate_report(request, analyzer=analyzer)


def analyze_commit(repo: str | Path, rev: str, *, tz: str | None = None, language: str = "zh",
                   analyzer: Analyzer | None = None, use_cache: bool = True,
                   cache_dir: Path | None = None) -> CommitEntry:
    """One commit's facts and analysis, as a report shows it."""
    entry, _ = pipeline.analyze_one(_location(repo), rev, pipeline.check_language(language),
                                    parse_zone(tz), analyzer=analyzer, use_cache=use_cache, cache_dir=cache_dir)
    return entry


def build_rollup(repos: str | Path | list[str | Path], *, week: str | None = None, month: str | None = None,
                 since: date | str | None = None, until: date | str | None = None, tz: str | None = None,
                 language: str = "zh", analyzer: Analyzer | None = None, use_cache: bool = True,
                 cache_dir: Path | None = None):
    """The rollup (``commitdigest.rollup.Rollup``) of a week (``"2026-W47"``), a month
    (``"2026-11"``) or a period of days."""
    from commitdigest import rollup

    zone = parse_zone(tz)
    if sum(v is not None for v in (week, month, since)) != 1:
        raise InputError("give exactly one of week, month or since")
    if week:
        period = rollup.parse_week(week)
    elif month:
        period = rollup.parse_month(month)
    else:
        assert since is not None
        first = _day(since, zone)
        period = rollup.period_between(first, _day(until, zone) if until is not None else first)
    paths = repos if isinstance(repos, list) else [repos]
    opened = pipeline.open_repos([pipeline.RepoSpec(path=_location(p)) for p in paths], cache_dir=cache_dir)
    tracked = [pipeline.Tracked.of(r) for r in opened]
    with pipeline.opened_store(use_cache, cache_dir) as store:
        result, _ = pipeline.generate_rollup(tracked, period, zone, language=pipeline.check_language(language),
                                             analyzer=analyzer, store=store)
    return result


def _location(value: str | Path) -> str:
    """A path (``~`` expanded) or a URL, as ``pipeline.open_source`` takes it."""
    from commitdigest.sources import is_path

    return str(Path(value).expanduser()) if is_path(str(value)) else str(value)
