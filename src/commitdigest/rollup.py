"""Weekly and monthly rollups: the days' reports of a period, folded into one record.

A rollup is built from the daily ``Report`` records of its days (which come from the analysis
cache when the days were reported before, so a rollup of reported days costs no model call), plus
the previous period's importance tiers, which the score gives from git facts alone. Pure
functions: days in, ``Rollup`` out; rendering and files live in ``outputs.rollup``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field, ValidationError

from commitdigest.errors import InputError
from commitdigest.models import Commit, Importance, Report
from commitdigest.paths import module
from commitdigest.uses.records import Use

# What a page (and a notification) shows of each list; the JSON twin keeps every item.
HIGHLIGHTS_MAX = 30
AREAS_MAX = 10
CONTRIBUTORS_MAX = 10
SHOWN_MAX = 30  # definitions or dependencies listed on a rollup page, per list

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Period(BaseModel):
    kind: str  # "week", "month" or "period"
    label: str  # "2026-W47", "2026-11", or "2026-11-01_2026-11-14"
    since: date
    until: date  # inclusive

    @property
    def year(self) -> str:
        """The year the label names (an ISO week's year, which may differ from its Monday's)."""
        return self.label[:4]

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(n) for n in range((self.until - self.since).days + 1)]

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "week":
            return week_period(self.since - timedelta(days=7))
        if self.kind == "month":
            return month_period(self.since - timedelta(days=1))
        span = self.until - self.since
        until = self.since - timedelta(days=1)
        return period_between(until - span, until)


def week_period(day: date) -> Period:
    year, week, _ = day.isocalendar()
    monday = day - timedelta(days=day.isoweekday() - 1)
    return Period(kind="week", label=f"{year}-W{week:02d}", since=monday, until=monday + timedelta(days=6))


def month_period(day: date) -> Period:
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return Period(kind="month", label=f"{first:%Y-%m}", since=first, until=nxt - timedelta(days=1))


def period_between(since: date, until: date) -> Period:
    return Period(kind="period", label=f"{since.isoformat()}_{until.isoformat()}", since=since, until=until)


def _in_range(period: Period, option: str, value: str) -> Period:
    """The days a report may cover (``window.FIRST_DAY`` to ``LAST_DAY``, as ``--date`` allows):
    past the last, Python's dates end before the period's window does."""
    from commitdigest.window import FIRST_DAY, LAST_DAY

    if not (FIRST_DAY <= period.since and period.until <= LAST_DAY):
        raise InputError(f"{option} '{value}': use a period between {FIRST_DAY} and {LAST_DAY}")
    return period


def parse_week(value: str) -> Period:
    m = _WEEK.match(value.strip())
    if not m:
        raise InputError(f"--week '{value}': use an ISO week like 2026-W47")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InputError(f"--week '{value}': no such ISO week") from None
    try:
        return _in_range(week_period(monday), "--week", value)
    except OverflowError:
        return _in_range(Period(kind="week", label=value, since=monday, until=date.max), "--week", value)


def parse_month(value: str) -> Period:
    m = _MONTH.match(value.strip())
    if not m:
        raise InputError(f"--month '{value}': use a month like 2026-11")
    try:
        first = date(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InputError(f"--month '{value}': no such month") from None
    try:
        return _in_range(month_period(first), "--month", value)
    except OverflowError:  # December 9999: the day after it does not exist
        return _in_range(Period(kind="month", label=value, since=first, until=date.max), "--month", value)


# -------------------------------------------------------------------------------- the record


class DayTiers(BaseModel):
    day: date
    high: int = 0
    medium: int = 0
    low: int = 0

    @property
    def total(self) -> int:
        return self.high + self.medium + self.low


class Highlight(BaseModel):
    """A high-importance change: its one line, and where its daily report tells more."""

    day: date
    sha: str
    short_sha: str
    subject: str
    summary: str
    url: str | None = None
    #: the daily report's Markdown file and anchor, relative to the rollup's folder; None when
    #: that day has no Markdown file (the page shows the day as plain text)
    report: str | None = None
    #: the same for the day's HTML page, when there is one
    page: str | None = None
    #: the reader's lines that use a symbol the change touched (``uses``), when it touched any
    uses: list[Use] = Field(default_factory=list)


class AreaChurn(BaseModel):
    area: str
    commits: int
    insertions: int
    deletions: int

    @property
    def lines(self) -> int:
        return self.insertions + self.deletions


class Totals(BaseModel):
    commits: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    insertions: int = 0
    deletions: int = 0
    contributors: int = 0


class DefinitionChange(BaseModel):
    """A public definition that came or went during the period (the last commit that did it)."""

    name: str
    day: date
    short_sha: str


class DependencyChange(BaseModel):
    """A dependency's version at the start and at the end of the period, as the diffs read."""

    name: str
    old: str | None  # None: added during the period
    new: str | None  # None: removed during the period
    day: date  # the last commit that changed it
    short_sha: str


class CommitFacts(BaseModel):
    """What a commit's diff states about the public surface, read before its patch is dropped:
    the same readers and the same file areas as the offline analysis's summary lines."""

    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    #: public definitions whose signature changed
    changed: list[str] = Field(default_factory=list)
    bumps: list[tuple[str, str | None, str | None]] = Field(default_factory=list)


def commit_facts(commit: Commit) -> CommitFacts:
    """The public definitions come from the commit's semantic facts (``Commit.semantic``), named
    as the language writes them, a function with ``()``; files in a language the semantic stage
    does not read keep the line-level reading of ``diff_facts``."""
    from commitdigest.analysis.diff_facts import commit_bumps, commit_definitions
    from commitdigest.semantic.languages import spec_for

    bumps = [(b.name, b.old, b.new) for b in commit_bumps(commit)]
    sem = commit.semantic
    if sem is None:
        defs = commit_definitions(commit)
        return CommitFacts(added=defs.added, removed=defs.removed, bumps=bumps)
    others = commit_definitions(commit, lambda path: spec_for(path) is None)

    def shown(name: str, kind: str) -> str:
        return name + ("()" if kind in ("function", "method") else "")

    public = [s for s in sem.symbols if s.public]
    added = [shown(s.name, s.kind) for s in public if s.change in ("added", "renamed")]
    removed = [shown(s.old_name if s.change == "renamed" and s.old_name else s.name, s.kind) for s in public
               if s.change in ("removed", "renamed")]
    changed = [shown(s.name, s.kind) for s in public if s.signature_before and s.signature_after]
    return CommitFacts(added=added + others.added, removed=removed + others.removed, changed=changed, bumps=bumps)


class RepoRollup(BaseModel):
    name: str
    url: str | None = None
    error: str | None = None
    days: list[DayTiers]
    totals: Totals
    #: the previous period of the same kind, tiers from the score alone; None when not read
    previous: Totals | None = None
    #: every change of the period that touches the reader's code (``uses``), listed first; None
    #: when no code was named for the repository
    yours: list[Highlight] | None = None
    #: every high-importance change of the period (pages show the first ``HIGHLIGHTS_MAX``)
    highlights: list[Highlight] = Field(default_factory=list)
    #: how many of them the pages leave out
    highlights_more: int = 0
    #: every area, most lines changed first (pages and charts show the first ``AREAS_MAX``)
    areas: list[AreaChurn] = Field(default_factory=list)
    types: dict[str, int] = Field(default_factory=dict)
    #: every contributor, most commits first (pages show the first ``CONTRIBUTORS_MAX``)
    contributors: list[tuple[str, int]] = Field(default_factory=list)
    #: public definitions the period's diffs added and removed, net (all of them: the pages show
    #: the first ``SHOWN_MAX`` of each list)
    definitions_added: list[DefinitionChange] = Field(default_factory=list)
    definitions_removed: list[DefinitionChange] = Field(default_factory=list)
    #: public definitions whose signature changed during the period (and are still there)
    definitions_changed: list[DefinitionChange] = Field(default_factory=list)
    dependencies: list[DependencyChange] = Field(default_factory=list)

    @property
    def shown_highlights(self) -> list[Highlight]:
        return self.highlights[:HIGHLIGHTS_MAX]


class DayLinks(Protocol):
    """Where a rollup's highlights link to: the day's Markdown and HTML page, relative to the
    rollup's folder, or None for a day without that file (``layout.DayLinks``)."""

    def markdown(self, day: date) -> str | None: ...

    def page(self, day: date) -> str | None: ...


class Rollup(BaseModel):
    period: Period
    title: str
    language: str
    timezone: str
    generator: str
    repos: list[RepoRollup]

    def to_json_dict(self) -> dict:
        return {"schema_version": 1, "kind": "rollup", **self.model_dump(mode="json")}


def load_rollup(path: str | Path) -> Rollup:
    """A rollup read back from its JSON twin (``outputs.rollup.path_of``); ``InputError`` when
    the file is unreadable or not a rollup twin."""
    from commitdigest.outputs import jsonfile

    source = Path(path)
    try:
        data = jsonfile.load(source)
    except InputError as exc:
        raise InputError(f"{source}: not a readable rollup ({exc.message.removeprefix(f'{source}: ')})") from None
    if not isinstance(data, dict) or data.get("kind") != "rollup":
        raise InputError(f"{source}: not a rollup twin")
    try:
        return Rollup.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: not a rollup twin ({exc.error_count()} problem(s), first at "
                         f"{'.'.join(map(str, exc.errors()[0]['loc']))})") from None


# ---------------------------------------------------------------------------- aggregation


def _counts_line():
    """The offline analyzer's file-count line ("1 added, 14 modified, …") and its largest-files
    line, in either language: facts the rollup's tables already give, not what changed."""
    from commitdigest.vocab import VOCAB

    offline = [v.offline for v in VOCAB.values()]
    counts = ["^" + re.escape(w["facts"]).replace(r"\{", "{").replace(r"\}", "}")
              .format(a=r"\d+", m=r"\d+", d=r"\d+", r=r"\d+", ins=r"\d+", dels=r"\d+") + "$" for w in offline]
    files = ["^" + re.escape(w["top_files"].split("{")[0]) for w in offline]
    return re.compile("|".join(counts + files))


_COUNTS = _counts_line()


def _one_line(summary: list[str]) -> str:
    """The first point of a commit's summary that says what changed; empty when none does."""
    text = next((s for s in summary if not _COUNTS.match(s.strip())), "")
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:159].rstrip() + "…"


def _surface(entries: list, facts: Mapping[str, CommitFacts]) -> tuple[list[DefinitionChange], list[DefinitionChange],
                                                                    list[DefinitionChange], list[DependencyChange]]:
    """Net changes of the period's diffs, commits replayed oldest first: a definition added and then
    removed again (or the reverse) is neither; a dependency bumped twice shows its first old and
    last new version, and one that ends where it started is left out."""
    defs: dict[str, tuple[str, date, str]] = {}  # name -> ("+" or "-", day, short sha) of its net change
    resigned: dict[str, tuple[date, str]] = {}  # name -> (day, short sha) of its last signature change
    deps: dict[str, list] = {}  # name -> [old, new, day, short sha]
    for day, c in entries:
        f = facts.get(c.sha)
        if f is None:
            continue
        for sign, names in (("+", f.added), ("-", f.removed)):
            for name in names:
                was = defs.pop(name, None)
                if was is None or was[0] == sign:
                    defs[name] = (sign, day, c.short_sha)
                resigned.pop(name, None)  # added or removed: that is the news about it
        for name in f.changed:
            if name not in defs:
                resigned[name] = (day, c.short_sha)
        for name, old, new in f.bumps:
            slot = deps.setdefault(name, [old, new, day, c.short_sha])
            slot[1:] = [new, day, c.short_sha]
    added = [DefinitionChange(name=n, day=d, short_sha=s) for n, (sign, d, s) in defs.items() if sign == "+"]
    removed = [DefinitionChange(name=n, day=d, short_sha=s) for n, (sign, d, s) in defs.items() if sign == "-"]
    changed = [DefinitionChange(name=n, day=d, short_sha=s) for n, (d, s) in resigned.items()]
    bumps = [DependencyChange(name=n, old=o, new=nw, day=d, short_sha=s)
             for n, (o, nw, d, s) in sorted(deps.items()) if o != nw]
    return added, removed, changed, bumps


def fold(period: Period, daily: list[tuple[date, Report]], previous: dict[str, Totals | None] | None = None,
         links: DayLinks | None = None, facts: Mapping[str, CommitFacts] | None = None) -> list[RepoRollup]:
    """The period's repositories, in the order of the daily reports' sections. ``links`` say
    where each day's report is (None: nowhere, every day as plain text); ``facts`` are the
    commits' ``commit_facts`` by sha, read while their patches were in memory."""
    found: dict[date, tuple[str | None, str | None]] = {}

    def link(day: date, anchor: str) -> tuple[str | None, str | None]:
        if day not in found:
            found[day] = (links.markdown(day), links.page(day)) if links is not None else (None, None)
        md, page = found[day]
        return (f"{md}#{anchor}" if md else None), (f"{page}#{anchor}" if page else None)

    names: list[str] = []
    urls: dict[str, str | None] = {}
    errors: dict[str, str | None] = {}
    checked: set[str] = set()  # repositories the reader's code was checked against
    per_repo: dict[str, list] = defaultdict(list)
    for day, report in sorted(daily, key=lambda dr: dr[0]):
        for section in report.repos:
            if section.name not in urls:
                names.append(section.name)
                urls[section.name] = section.url
            if section.error:
                errors[section.name] = section.error
            if section.uses is not None:
                checked.add(section.name)
            per_repo[section.name] += [(day, c) for c in section.commits]
    out = []
    for name in names:
        entries = per_repo[name]
        tiers = {d: DayTiers(day=d) for d in period.days}
        areas: dict[str, list[int]] = {}
        types: Counter[str] = Counter()
        people: Counter[str] = Counter()
        highlights = []
        yours: list[Highlight] = []
        totals = Totals()
        for day, c in entries:
            level = c.analysis.importance
            setattr(tiers[day], level.value, getattr(tiers[day], level.value) + 1)
            setattr(totals, level.value, getattr(totals, level.value) + 1)
            totals.commits += 1
            types[c.analysis.change_type.value] += 1
            people[c.author] += 1
            touched = set()
            for f in c.files:
                totals.insertions += f.insertions
                totals.deletions += f.deletions
                area = module(f.path)
                slot = areas.setdefault(area, [0, 0, 0])
                slot[1] += f.insertions
                slot[2] += f.deletions
                if area not in touched:
                    slot[0] += 1
                    touched.add(area)
            if level == Importance.high or c.uses:
                md, page = link(day, c.anchor)
                item = Highlight(day=day, sha=c.sha, short_sha=c.short_sha, subject=c.subject,
                                 summary=_one_line(c.analysis.summary), url=c.url, report=md, page=page,
                                 uses=list(c.uses or []))
                if level == Importance.high:
                    highlights.append(item)
                if c.uses:
                    yours.append(item)
        totals.contributors = len(people)
        ranked_areas = sorted(areas.items(), key=lambda kv: (-(kv[1][1] + kv[1][2]), -kv[1][0], kv[0]))
        highlights.sort(key=lambda h: (h.day, h.sha))
        yours.sort(key=lambda h: (h.day, h.sha))
        added, removed, changed, bumps = _surface(entries, facts or {})
        out.append(RepoRollup(
            name=name, url=urls[name], error=errors.get(name), days=list(tiers.values()), totals=totals,
            previous=(previous or {}).get(name), yours=yours if name in checked else None,
            highlights=highlights, highlights_more=max(len(highlights) - HIGHLIGHTS_MAX, 0),
            areas=[AreaChurn(area=a, commits=v[0], insertions=v[1], deletions=v[2]) for a, v in ranked_areas],
            types=dict(types.most_common()),
            contributors=people.most_common(),
            definitions_added=added, definitions_removed=removed, definitions_changed=changed, dependencies=bumps,
        ))
    return out


def score_totals(commits: list, scoring) -> Totals:
    """Counts of a period from git facts and the importance score alone (no analyzer)."""
    from commitdigest.analysis.importance import score

    totals = Totals(commits=len(commits))
    people = set()
    for c in commits:
        level = score(c, scoring).tier.value
        setattr(totals, level, getattr(totals, level) + 1)
        totals.insertions += c.insertions
        totals.deletions += c.deletions
        people.add(c.author)
    totals.contributors = len(people)
    return totals
