"""``commitdigest run``: every configured repository into one report per day, published.

The order matters for "nothing lost when something fails": mirrors are updated first (a failed
fetch becomes that repository's section error), every report is rendered and written atomically,
and only then are notifications sent — a webhook that times out cannot cost a report file.
A lock on the output directory keeps two runs (a slow cron job and the next one) apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from commitdigest import pipeline
from commitdigest.analysis.base import Analyzer
from commitdigest.config import Config
from commitdigest.errors import EXIT_PARTIAL, CommitdigestError, LockedError, OutputError
from commitdigest.git.mirror import redact_url
from commitdigest.models import Report
from commitdigest.outputs import formats as formats_mod
from commitdigest.outputs.catalog import load_report
from commitdigest.outputs.files import (
    check_writable,
    ensure_dir,
    remove_stale_temps,
    write_atomic,
)
from commitdigest.store import Store, default_cache_dir
from commitdigest.window import Zone

if TYPE_CHECKING:
    from commitdigest.rollup import Period


@dataclass
class RunResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)  # already reported, not --force
    repo_errors: dict[str, str] = field(default_factory=dict)
    delivery_errors: list[str] = field(default_factory=list)
    reports: list[tuple[date, Report]] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.repo_errors or self.delivery_errors)


def _had_failures(twin: Path) -> bool:
    """A day whose JSON twin records an unreadable repository, or a commit whose model analysis
    failed (the offline stand-in, ``fallback``), is not finished: the next run tries again, so an
    outage costs a delay, not a hole in the history. Good analyses come from the cache."""
    if not twin.is_file():
        return False
    try:
        report = load_report(twin)
    except CommitdigestError:
        return True  # a damaged twin: regenerate it
    return any(r.error or any(c.analysis.fallback for c in r.commits) for r in report.repos)


def days_to_do(days: Sequence[date], out_dir: Path, formats: Sequence[str], force: bool,
               folder: Callable[[date], Path] | None = None) -> tuple[list[date], list[date]]:
    """(to generate, skipped): a day counts as reported when all its files exist and none of
    its repositories failed. ``folder`` gives a day's directory when it is not ``out_dir``."""
    suffixes = formats_mod.report_files(formats)
    todo: list[date] = []
    skipped: list[date] = []
    for day in sorted(set(days)):
        stem = pipeline.report_stem(day, day)
        where = folder(day) if folder else out_dir
        done = all((where / f"{stem}.{s}").is_file() for s in suffixes) and not _had_failures(where / f"{stem}.{formats_mod.TWIN}")
        (skipped if done and not force else todo).append(day)
    return todo, skipped


def repo_folders(names: Sequence[str]) -> dict[str, str]:
    """``layout = "per-repo"``: each repository's folder name. The last part of its name
    (``vllm`` for vllm-project/vllm), as the earlier one-file-per-repository reports had it;
    the whole name, slashes as dashes, when two repositories share that last part. Only plain
    characters: a name from a config or a URL must not climb out of the output directory."""

    def safe(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "repo"

    short = {n: safe(n.rstrip("/").rsplit("/", 1)[-1]) for n in names}
    folders, taken = {}, set()
    for n in names:
        pick = short[n] if list(short.values()).count(short[n]) == 1 else safe(n.replace("/", "-"))
        while pick in taken:
            pick += "-2"
        taken.add(pick)
        folders[n] = pick
    return folders


def open_tracked(config: Config, cache_dir: Path, timeout: float,
                 note: Callable[[str], None] = lambda _m: None,
                 only: set[str] | None = None) -> list[pipeline.Tracked]:
    """Mirror the remote repositories and open every repository (or the ``only`` ones, by
    name); failures become section errors."""
    tracked = []
    for rc in config.repos:
        name = rc.display_name()
        if only is not None and name not in only:
            continue
        t = pipeline.Tracked(name=name, include=rc.include, exclude=rc.exclude, importance=rc.importance)
        try:
            t.repo = pipeline.open_source(rc.url or config.resolve(rc.path or "."), branch=rc.branch, name=name,
                                          web_url=rc.web_url, cache_dir=cache_dir, timeout=timeout,
                                          mirror=rc.mirror or config.mirror, strict_links=False, note=note)
        except CommitdigestError as exc:
            t.error = redact_url(exc.message)
        tracked.append(t)
    return tracked


def run(
    config: Config,
    days: Sequence[date],
    zone: Zone,
    analyzer: Analyzer,
    *,
    formats: Sequence[str],
    out_dir: Path,
    force: bool = False,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    notify: bool = True,
    progress: pipeline.Progress | None = None,
    note: Callable[[str], None] = lambda _m: None,
    git_timeout: float = 300.0,
) -> RunResult:
    check_writable(out_dir)
    with output_lock(out_dir):
        return _run_locked(config, days, zone, analyzer, formats=formats, out_dir=out_dir, force=force,
                           use_cache=use_cache, cache_dir=cache_dir, notify=notify, progress=progress,
                           note=note, git_timeout=git_timeout)


LOCK_NAME = ".commitdigest.lock"


@contextmanager
def output_lock(out_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the output directory's lock: one writer at a time, so a ``report`` cannot interleave
    its files with a ``run``'s. Holding it, no other writer is alive here, so the temp files a
    killed one left behind can go."""
    ensure_dir(out_dir)
    lock = FileLock(str(out_dir / LOCK_NAME))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise LockedError(f"{out_dir}: another commitdigest run is writing here; try again when it ends") from None
    try:
        remove_stale_temps(out_dir)
        yield
    finally:
        lock.release()


def _run_locked(config, days, zone, analyzer, *, formats, out_dir, force, use_cache, cache_dir, notify,
                progress, note, git_timeout) -> RunResult:
    if config.output.layout == "per-repo":
        return _run_per_repo(config, days, zone, analyzer, formats=formats, out_dir=out_dir, force=force,
                             use_cache=use_cache, cache_dir=cache_dir, notify=notify, progress=progress,
                             note=note, git_timeout=git_timeout)
    result = RunResult()
    todo, result.skipped = days_to_do(days, out_dir, formats, force)
    if not todo:
        rollups = _due_rollups(config, days, zone, analyzer, out_dir=out_dir, force=force, use_cache=use_cache,
                               cache_dir=cache_dir, progress=progress, git_timeout=git_timeout, note=note)
        result.written += rollups + site_after_rollups(rollups, formats, config.language, config.output.base_url,
                                                       config.output.feed_quiet_days)
        if notify and config.notify:
            result.delivery_errors = _notify(config, max(days), None, out_dir)
            result.delivery_errors += _notify_rollups(config, days, zone, out_dir)
        return result
    cache_root = cache_dir or default_cache_dir()
    tracked = open_tracked(config, cache_root, git_timeout, note)
    store = Store(cache_dir) if use_cache else None
    try:
        result.reports = pipeline.generate_days(
            tracked, todo, zone, language=config.language, date_field=config.date_field,
            analyzer=analyzer, store=store, progress=progress, git_timeout=git_timeout, hosting=config.hosting)
    finally:
        if store:
            store.close()
    for t in tracked:
        section_error = next((r.error for _, rep in result.reports for r in rep.repos
                              if r.name == t.name and r.error), None)
        if section_error:
            result.repo_errors[t.name] = section_error
    base_url = config.output.base_url
    quiet_days = {day for day, report in result.reports if config.output.skip_empty and is_quiet(report)}
    for day, report in result.reports:
        if day not in quiet_days:
            result.written += pipeline.write_report(report, out_dir, formats, day, day, site=False)
    # rollups before the site: the feed lists them
    result.written += _due_rollups(config, days, zone, analyzer, out_dir=out_dir, force=force, use_cache=use_cache,
                                   cache_dir=cache_dir, progress=progress, git_timeout=git_timeout, note=note,
                                   tracked=tracked)
    result.written += pipeline.write_site(out_dir, formats, config.language, base_url,
                                          feed_quiet_days=config.output.feed_quiet_days)
    newest = max(days)
    if notify and config.notify and newest not in quiet_days:  # no page to point to: nothing to announce
        in_memory = next((r for d, r in result.reports if d == newest), None)
        result.delivery_errors = _notify(config, newest, in_memory, out_dir)
    if notify and config.notify:
        result.delivery_errors += _notify_rollups(config, days, zone, out_dir)
    return result


@dataclass
class RollupPlace:
    """Where one rollup goes and how it reaches its daily reports.

    The flat layout: ``DIR/rollups/<label>.*``, the days at ``DIR/<date>.md``. ``layout =
    "per-repo"``: one rollup per repository, ``DIR/<year>/<repo>/rollups/<label>.*`` (the year
    the label names), beside that repository's daily reports; a day of another year (an ISO week
    across New Year) is reached through ``../../../<year>/<repo>/``."""

    folder: Path  # the rollup goes to folder/rollups/
    report_link: str  # from folder/rollups/ to a day's Markdown: {day} and {year} filled in
    day_folder: Callable[[date], Path]  # where a day's report is written when it is missing
    only: str | None = None  # the one repository of a per-repo rollup


def rollup_places(config: Config | None, out_dir: Path, period) -> list[RollupPlace]:
    if config is None or config.output.layout != "per-repo":
        return [RollupPlace(folder=out_dir, report_link="../{day}.md", day_folder=lambda _day: out_dir)]
    folders = repo_folders([rc.display_name() for rc in config.repos])

    def day_folder(folder: str) -> Callable[[date], Path]:
        return lambda day: out_dir / f"{day.year:04d}" / folder

    return [RollupPlace(folder=out_dir / period.year / f, report_link=f"../../../{{year}}/{f}/{{day}}.md",
                        day_folder=day_folder(f), only=name)
            for name, f in folders.items()]


def write_rollup(tracked: Sequence[pipeline.Tracked], period, zone: Zone, analyzer: Analyzer, *, language: str,
                 date_field: str, formats: Sequence[str], out_dir: Path, use_cache: bool = True,
                 cache_dir: Path | None = None, progress: pipeline.Progress | None = None,
                 git_timeout: float = 300.0, hosting=None, place: RollupPlace | None = None) -> list[Path]:
    """One rollup's files, and the daily reports it links to when they are not on disk yet."""
    from commitdigest.outputs import rollup as rollup_out

    place = place or rollup_places(None, out_dir, period)[0]
    if place.only is not None:
        tracked = [t for t in tracked if t.name == place.only]
    store = Store(cache_dir) if use_cache else None
    try:
        rollup, daily = pipeline.generate_rollup(tracked, period, zone, language=language, date_field=date_field,
                                                 analyzer=analyzer, store=store, progress=progress,
                                                 git_timeout=git_timeout, hosting=hosting,
                                                 report_link=place.report_link)
    finally:
        if store:
            store.close()
    written: list[Path] = []
    for day, report in daily:
        folder = place.day_folder(day)
        if any(r.commits for r in report.repos) and not (folder / f"{pipeline.report_stem(day, day)}.md").is_file():
            written += pipeline.write_report(report, folder, ["md", "json"], day, day, site=False)
    return written + rollup_out.write(rollup, place.folder, formats)


_KINDS = {"weekly": "week_period", "monthly": "month_period"}


def site_after_rollups(written: Sequence[Path], formats: Sequence[str], language: str, base_url: str | None,
                       feed_quiet_days: bool = False) -> list[Path]:
    """The index and the feed of each folder a rollup was just written to (they list rollups):
    the ones ``formats`` ask for, and the ones already there."""
    from commitdigest.outputs.rollup import FOLDER

    out: list[Path] = []
    for folder in sorted({p.parent.parent for p in written if p.parent.name == FOLDER}):
        site = [f.name for f in formats_mod.FORMATS.values()
                if f.site_file and (f.name in formats or (folder / f.site_file).is_file())]
        if site:
            out += pipeline.write_site(folder, site, language, base_url, feed_quiet_days=feed_quiet_days)
    return out


def rollup_kinds(config: Config) -> list[str]:
    """The rollups ``run`` writes: ``[output] rollups``, and those a channel is sent
    (``when = "weekly"``): a message needs its page."""
    from commitdigest.notify.config import parse_channels

    asked = {c.when for c in parse_channels(config.notify)}
    return [kind for kind in _KINDS if kind in config.output.rollups or kind in asked]


def _periods_over(kind: str, days: Sequence[date], zone: Zone) -> list[Period]:
    """The periods of ``kind`` of the run's days, and the one before each, that are over."""
    from commitdigest import rollup as rollup_mod
    from commitdigest.window import parse_day

    today = parse_day("today", zone)
    make = getattr(rollup_mod, _KINDS[kind])
    found = {p.label: p for day in days for p in (make(day), make(day).previous()) if p.until < today}
    return sorted(found.values(), key=lambda p: p.since)


def _due_rollups(config: Config, days: Sequence[date], zone: Zone, analyzer: Analyzer, *, out_dir: Path,
                 force: bool, use_cache: bool, cache_dir: Path | None, progress, git_timeout: float, note,
                 tracked: Sequence[pipeline.Tracked] | None = None) -> list[Path]:
    """``[output] rollups``: every period of the run's days, and the one before, that is over
    and not written yet (all of them with --force); per repository under ``layout = "per-repo"``."""
    from commitdigest.outputs import rollup as rollup_out

    over = {p.label: p for kind in rollup_kinds(config) for p in _periods_over(kind, days, zone)}
    if not over:
        return []
    due = [(period, place) for period in sorted(over.values(), key=lambda p: (p.since, p.kind))
           for place in rollup_places(config, out_dir, period)
           if force or not rollup_out.path_of(place.folder, period.label).is_file()]
    if not due:
        return []
    if tracked is None:
        only = {place.only for _, place in due if place.only is not None} or None
        tracked = open_tracked(config, cache_dir or default_cache_dir(), git_timeout, note, only=only)
    fmts = [f for f in config.output.formats if f in rollup_out.FORMATS] or ["md", "json"]
    written: list[Path] = []
    for period, place in due:
        written += write_rollup(tracked, period, zone, analyzer, language=config.language,
                                date_field=config.date_field, formats=fmts, out_dir=out_dir, use_cache=use_cache,
                                cache_dir=cache_dir, progress=progress, git_timeout=git_timeout,
                                hosting=config.hosting, place=place)
    return written


def is_quiet(report: Report) -> bool:
    """No commits and nothing that went wrong: a day ``skip_empty`` writes no files for."""
    return not any(section.commits or section.error for section in report.repos)


# What a fallback reason says went wrong, in the words of the warning (first match wins).
_TROUBLE = (("API key", "API key missing or refused"), ("host unknown", "unknown host"),
            ("connection", "connection refused or dropped"), ("timed out", "timeouts"),
            ("deadline", "timeouts"), ("answer", "invalid answers"), ("HTTP", "HTTP errors"))


def model_trouble(reports: Sequence[Report]) -> str | None:
    """A sentence when the model failed on more than half the commits it was asked about (the
    offline analysis standing in): a server that is down otherwise goes unnoticed for days
    behind reports that look normal. None when all is well or no model was involved."""
    from collections import Counter

    asked = failed = 0
    causes: Counter[str] = Counter()
    said: dict[str, str] = {}  # cause → the first reason given for it
    for report in reports:
        commits = [c for section in report.repos for c in section.commits]
        asked += len(commits) - report.usage.cache_hits  # cached analyses did not ask the model
        for c in commits:
            if c.analysis.fallback:
                failed += 1
                reason = c.analysis.fallback_reason
                label = next((label for word, label in _TROUBLE if word in reason), "other errors")
                causes[label] += 1
                said.setdefault(label, reason)
    if not failed or failed * 2 <= asked:
        return None
    named = ", ".join(f"{label}: {n}" for label, n in causes.most_common())
    # The key and the host are the user's to fix, and the reason says how (the variable to set,
    # the host that does not resolve): it is given as it stands.
    fix = next((said[label] for label in ("API key missing or refused", "unknown host") if label in said), None)
    check = f"{fix[0].upper()}{fix[1:]}" if fix else "Check the model server"
    return (f"the model failed on {failed} of {asked} commits ({named}); the offline analysis stood in. "
            f"{check}; the next run retries those commits")


def exit_status(reports: Sequence[Report], partial: bool = False) -> int:
    """The exit status ``report`` and ``run`` end with: 7 when a repository or a delivery failed
    (``partial``) or the model failed on more than half the commits it was asked about, else 0."""
    return EXIT_PARTIAL if partial or model_trouble(reports) else 0


def _run_per_repo(config, days, zone, analyzer, *, formats, out_dir, force, use_cache, cache_dir, notify,
                  progress, note, git_timeout) -> RunResult:
    """``layout = "per-repo"``: ``DIR/<year>/<repo>/<date>.md`` (and its other formats), one
    report per repository per day. Each repository is its own report — its own counts and
    model usage — and a day is skipped per repository, so a repository added to the config is
    backfilled without touching the others' files. The site and feed are per folder."""
    result = RunResult()
    folders = repo_folders([rc.display_name() for rc in config.repos])

    def where(name: str) -> Callable[[date], Path]:
        return lambda day: out_dir / f"{day.year:04d}" / folders[name]

    todo = {name: days_to_do(days, out_dir, formats, force, folder=where(name))[0] for name in folders}
    todo = {n: d for n, d in todo.items() if d}
    result.skipped = sorted(set(days) - {d for ds in todo.values() for d in ds})  # done for every repository
    if todo:
        tracked = open_tracked(config, cache_dir or default_cache_dir(), git_timeout, note, only=set(todo))
        store = Store(cache_dir) if use_cache else None
        touched: set[Path] = set()
        try:
            for t in tracked:
                reports = pipeline.generate_days(
                    [t], todo[t.name], zone, language=config.language, date_field=config.date_field,
                    analyzer=analyzer, store=store, progress=progress, git_timeout=git_timeout,
                    hosting=config.hosting)
                for day, report in reports:
                    folder = where(t.name)(day)
                    result.written += pipeline.write_report(report, folder, formats, day, day, site=False)
                    touched.add(folder)
                    result.reports.append((day, report))
                    error = next((r.error for r in report.repos if r.error), None)
                    if error:
                        result.repo_errors[t.name] = error
        finally:
            if store:
                store.close()
        for folder in sorted(touched):
            result.written += pipeline.write_site(folder, formats, config.language, config.output.base_url)
    rollups = _due_rollups(config, days, zone, analyzer, out_dir=out_dir, force=force, use_cache=use_cache,
                           cache_dir=cache_dir, progress=progress, git_timeout=git_timeout, note=note)
    result.written += rollups + site_after_rollups(rollups, formats, config.language, config.output.base_url)
    if notify and config.notify:
        newest = max(days)
        pages = [where(name)(newest) / pipeline.report_stem(newest, newest) for name in folders]
        result.delivery_errors = _notify(config, newest, None, out_dir, pages=pages)
        result.delivery_errors += _notify_rollups(config, days, zone, out_dir)
    return result


DELIVERIES = ".commitdigest-deliveries.json"


def _channel_key(index: int, channel) -> str:
    return f"{index}:{channel.type}:{channel.label}"


def _notify(config: Config, day: date, report: Report | None, out_dir: Path,
            pages: Sequence[Path] | None = None) -> list[str]:
    """Announce the newest requested day on every channel that has not yet received it.

    Only that day: a backfill of a month must not post thirty messages. What each channel got is
    kept in ``.commitdigest-deliveries.json`` beside the reports, so a channel that failed (a
    webhook timing out at 07:30) is retried by the next run, and one that succeeded is not sent
    the same day twice. A day whose report is not on disk or in memory is not announced."""
    from commitdigest.notify.config import parse_channels

    stem = pipeline.report_stem(day, day)
    state_path = out_dir / DELIVERIES
    state = _read_state(state_path)
    done = state.get(stem, {})
    channels = parse_channels(config.notify)
    pending = [(i, c) for i, c in enumerate(channels) if done.get(_channel_key(i, c)) != "ok"]
    if not pending:
        return []
    if pages is not None and len(pages) != 1:
        # per-repo layout: one announcement for the day, from every repository's JSON twin
        return _notify_pages(config, day, pages, out_dir, state, state_path, done, pending)
    base = pages[0] if pages else out_dir / stem
    md_path, html_path, twin = (base.with_name(f"{stem}.{ext}") for ext in ("md", "html", "json"))
    source = report if report is not None else _loaded(twin)
    if source is None:
        return []
    base_url = config.output.base_url
    report_url = None
    if base_url:
        page = next((p for p in (html_path, md_path, twin) if p.is_file()), twin)
        report_url = f"{base_url.rstrip('/')}/{page.relative_to(out_dir).as_posix()}"
    markdown = md_path.read_text(encoding="utf-8") if md_path.is_file() else None
    html = html_path.read_text(encoding="utf-8") if html_path.is_file() else None
    return _deliver(config, source, pending, state, state_path, done, stem, report_url, markdown, html)


def _notify_pages(config: Config, day: date, pages: Sequence[Path], out_dir: Path, state, state_path, done,
                  pending) -> list[str]:
    """The day's repositories, each from its own twin, announced as one report (what a daily
    layout would have said); the link points at the published directory."""
    stem = pipeline.report_stem(day, day)
    loaded = [r for r in (_loaded(base.with_name(f"{stem}.{formats_mod.TWIN}")) for base in pages) if r is not None]
    if not loaded:
        return []
    merged = loaded[0].model_copy(update={"repos": [section for r in loaded for section in r.repos]})
    base_url = config.output.base_url
    report_url = f"{base_url.rstrip('/')}/" if base_url else None
    return _deliver(config, merged, pending, state, state_path, done, stem, report_url, None, None)


def _loaded(twin: Path) -> Report | None:
    """The report of a twin written earlier; None when it is missing or damaged (nothing to announce)."""
    if not twin.is_file():
        return None
    try:
        return load_report(twin)
    except CommitdigestError:
        return None


def _deliver(config, source: Report, pending, state, state_path, done, stem, report_url, markdown, html) -> list[str]:
    from commitdigest.notify import deliver

    return _send(lambda channels, on_delivery: deliver(
        source, channels, report_url=report_url, markdown=markdown, html=html, stem=stem,
        deadline=config.notify_deadline, on_delivery=on_delivery), pending, state, state_path, done, stem)


# Delivery state keys: a day's stem ("2026-11-16"), or a rollup's label behind this prefix.
ROLLUP_KEY = "rollup-"


def _trimmed(state: dict[str, Any]) -> dict[str, Any]:
    """The 60 newest days and the 60 newest rollups: plenty to retry from, and a small file."""
    days = sorted(k for k in state if not k.startswith(ROLLUP_KEY))[-60:]
    rollups = sorted(k for k in state if k.startswith(ROLLUP_KEY))[-60:]
    return {k: state[k] for k in sorted(days + rollups)}


def _send(send: Callable[..., list], pending, state, state_path, done, stem) -> list[str]:
    def record(n: int, d) -> None:
        # Saved as each channel finishes: a run killed during a slow channel must not make the
        # next one announce the day again on the channels that already had it.
        nonlocal state
        if d.skipped:
            return
        i, c = pending[n]
        done[_channel_key(i, c)] = "ok" if d.ok else "failed"
        state[stem] = done
        state = _trimmed(state)
        try:
            write_atomic(state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")
        except OutputError:
            pass  # the message went out; at worst the next run sends it once more

    deliveries = send([c for _, c in pending], record)
    return [f"{d.channel}: {d.error}" for d in deliveries if not d.ok]


def _read_state(state_path: Path) -> dict[str, Any]:
    try:
        state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    except (OSError, ValueError):
        state = {}
    return state if isinstance(state, dict) else {}


def _send_rollup(rollup, channels, on_delivery, **options) -> list:
    from commitdigest.notify import deliver_rollup

    return deliver_rollup(rollup, channels, on_delivery=on_delivery, **options)


def _notify_rollups(config: Config, days: Sequence[date], zone: Zone, out_dir: Path) -> list[str]:
    """Send each channel with ``when = "weekly"`` (``"monthly"``) the newest rollup of that kind
    the run's days reach that is over and written, once: like the daily message, what each
    channel got is kept in the deliveries file (under ``rollup-<label>``), so a failed channel is
    retried by the next run and a backfill does not post every week it wrote. Under ``layout =
    "per-repo"`` the period's rollups of every repository go out as one message."""
    from commitdigest.notify.config import parse_channels
    from commitdigest.notify.send import ROLLUP_WHEN
    from commitdigest.outputs import rollup as rollup_out
    from commitdigest.rollup import load_rollup

    channels = parse_channels(config.notify)
    state_path = out_dir / DELIVERIES
    errors: list[str] = []
    for when in ROLLUP_WHEN:
        wanted = [(i, c) for i, c in enumerate(channels) if c.when == when]
        periods = _periods_over(when, days, zone) if wanted else []
        if not periods:
            continue
        period = periods[-1]
        stem = ROLLUP_KEY + period.label
        state = _read_state(state_path)
        done = state.get(stem, {})
        pending = [(i, c) for i, c in wanted if done.get(_channel_key(i, c)) != "ok"]
        places = rollup_places(config, out_dir, period)
        twins = [rollup_out.path_of(place.folder, period.label) for place in places]
        loaded = []
        for twin in twins:
            try:
                loaded.append(load_rollup(twin))
            except CommitdigestError:
                continue  # not written (no repository could be read) or damaged: nothing to announce
        if not pending or not loaded:
            continue
        rollup = loaded[0].model_copy(update={"repos": [r for one in loaded for r in one.repos]})
        base_url = config.output.base_url
        page = twins[0].with_suffix(".html") if len(twins) == 1 and twins[0].with_suffix(".html").is_file() \
            else twins[0].with_suffix(".md")
        report_url = None
        if base_url:
            report_url = (f"{base_url.rstrip('/')}/{page.relative_to(out_dir).as_posix()}" if len(twins) == 1
                          else f"{base_url.rstrip('/')}/")
        markdown = html = None
        if len(twins) == 1:
            md_path, html_path = twins[0].with_suffix(".md"), twins[0].with_suffix(".html")
            markdown = md_path.read_text(encoding="utf-8") if md_path.is_file() else None
            html = html_path.read_text(encoding="utf-8") if html_path.is_file() else None
        send = partial(_send_rollup, rollup, report_url=report_url, markdown=markdown, html=html,
                       stem=period.label, deadline=config.notify_deadline)
        errors += _send(send, pending, state, state_path, done, stem)
    return errors
