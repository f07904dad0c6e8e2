"""``commitdigest run`` (and ``rollup``'s files): one flow, whatever the layout.

**plan** → **generate** → **write** → **announce**.

- *plan* (:func:`plan`): which days of the run's range each unit of the layout still needs (a day
  counts as reported when all its files exist and nothing in it failed), which rollups the
  range completes (their period's last day is in it, and over) and are not written yet, and
  which channels are owed which message. ``run --dry-run`` prints the plan and stops there:
  nothing is fetched, written or sent.
- *generate*: mirrors are updated first (a failed fetch becomes that repository's section
  error), then the days are read and analysed — once for every repository in the daily layout,
  once per repository in the per-repo one.
- *write*: every report rendered and written atomically, in every configured format, only for
  the days of the range; then the rollups (one whose repository could not be read is not
  written, so the next run that completes its period writes it); then the site of every folder
  that changed.
- *announce*: only then are notifications sent — a webhook that times out cannot cost a file.

A lock on the output directory keeps two runs (a slow cron job and the next one) apart.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from commitdigest import pipeline
from commitdigest.config import Config
from commitdigest.errors import EXIT_PARTIAL, CommitdigestError, InputError, LockedError, OutputError
from commitdigest.layout import Layout, Unit, repo_folders
from commitdigest.models import Report
from commitdigest.outputs import formats as formats_mod
from commitdigest.outputs.catalog import load_report
from commitdigest.outputs.files import check_regular, ensure_dir, remove_stale_temps, write_atomic, writing_inside

if TYPE_CHECKING:
    from commitdigest.context import RunContext
    from commitdigest.notify.config import Channel
    from commitdigest.pipeline import Tracked
    from commitdigest.rollup import Period, Rollup
    from commitdigest.window import Zone

__all__ = ["Plan", "RunResult", "days_to_do", "execute", "output_lock", "plan", "repo_folders", "write_rollups"]

log = logging.getLogger("commitdigest")


@dataclass
class RunResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)  # already reported, not --force
    repo_errors: dict[str, str] = field(default_factory=dict)
    delivery_errors: list[str] = field(default_factory=list)
    #: rollups not written, each with why (a repository could not be read)
    rollup_errors: list[str] = field(default_factory=list)
    reports: list[tuple[date, Report]] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.repo_errors or self.delivery_errors or self.rollup_errors)


# ------------------------------------------------------------------------------- the plan


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


_KINDS = {"weekly": "week_period", "monthly": "month_period"}


def rollup_kinds(config: Config) -> list[str]:
    """The rollups ``run`` writes: ``[output] rollups``, and those a channel is sent
    (``when = "weekly"``): a message needs its page."""
    from commitdigest.notify.config import parse_channels

    asked = {c.when for c in parse_channels(config.notify)}
    return [kind for kind in _KINDS if kind in config.output.rollups or kind in asked]


def completed(kind: str, days: Sequence[date], zone: Zone) -> list[Period]:
    """The periods of ``kind`` (``weekly``, ``monthly``) the run's days complete: those whose
    last day is one of them, and over by today. A range that stops mid-week completes no week
    there; one that starts mid-week completes that week (its other days come from earlier runs
    or the cache)."""
    from commitdigest import rollup as rollup_mod
    from commitdigest.window import parse_day

    today = parse_day("today", zone)
    make = getattr(rollup_mod, _KINDS[kind])
    found = {p.label: p for p in (make(day) for day in days) if p.until in days and p.until < today}
    return sorted(found.values(), key=lambda p: p.since)


@dataclass
class Delivery:
    """A message the run owes: the newest day's report, or a finished rollup, to channels."""

    what: str  # a day's stem, or "rollup <label>"
    channels: list[str]


@dataclass
class Plan:
    layout: Layout
    days: list[date]  # the run's range, oldest first
    todo: dict[Unit, list[date]]  # per unit of the layout, the days to generate
    skipped: list[date]  # reported already for every unit
    rollups: list[tuple[Period, Unit]]  # due: completed by the range and not written (all, with --force)
    deliveries: list[Delivery]

    @property
    def names(self) -> set[str]:
        """The repositories the plan reads."""
        return {n for unit, days in self.todo.items() if days for n in unit.names} | \
            {n for _, unit in self.rollups for n in unit.names}


def plan(ctx: RunContext, days: Sequence[date], *, force: bool = False, notify: bool = True) -> Plan:
    """What ``run`` would do for ``days``, from what is on disk; reads nothing else."""
    layout = ctx.layout()
    ordered = sorted(set(days))
    todo = {unit: days_to_do(ordered, ctx.out, ctx.formats, force, folder=partial(layout.day_folder, unit))[0]
            for unit in layout.units}
    skipped = [d for d in ordered if all(d not in todo[u] for u in layout.units)]
    periods = [p for kind in rollup_kinds(ctx.config) for p in completed(kind, ordered, ctx.zone)]
    periods.sort(key=lambda p: (p.since, p.kind))
    rollups = [(p, unit) for p in periods for unit in layout.units
               if force or not layout.rollup_twin(unit, p).is_file()]
    deliveries = _owed(ctx, layout, ordered, rollups) if notify and ctx.config.notify else []
    return Plan(layout=layout, days=ordered, todo=todo, skipped=skipped, rollups=rollups, deliveries=deliveries)


def describe(p: Plan, ctx: RunContext) -> list[str]:
    """The plan in lines, for ``run --dry-run``."""
    from commitdigest.outputs.rollup import FOLDER

    first, last = p.days[0], p.days[-1]
    span = first.isoformat() if first == last else f"{first.isoformat()} … {last.isoformat()}"
    to_report = sorted({d for ds in p.todo.values() for d in ds})
    lines = [f"days: {span} ({len(p.days)}): {len(to_report)} to report, {len(p.skipped)} already reported"
             + (" (--force regenerates)" if p.skipped else "")]
    lines.append(f"repositories ({len(ctx.sources)}):")
    lines += [f"  {s.name}: {s.location}" + (f" @ {s.branch}" if s.branch else "")
              + (f", your code: {', '.join(str(u) for u in s.uses)}" if s.uses else "") for s in ctx.sources]
    suffixes = formats_mod.report_files(ctx.formats)
    lines.append(f"files in {ctx.out}:")
    for unit, days in p.todo.items():
        by_folder: dict[Path, list[date]] = {}
        for day in days:
            by_folder.setdefault(p.layout.day_folder(unit, day), []).append(day)
        for folder, in_folder in by_folder.items():
            where = folder.relative_to(ctx.out).as_posix() + "/" if folder != ctx.out else ""
            lines += [f"  {where}{span}: <date>.{{{','.join(suffixes)}}}" for span in _runs(in_folder)]
    if not to_report:
        lines.append("  none: every day is reported already")
    site = [f.site_file for f in formats_mod.site_formats(ctx.formats) if f.site_file]
    if site and (to_report or p.rollups):
        lines.append(f"  {' and '.join(site)} of each folder written to")
    lines.append(f"rollups ({len(p.rollups)}):")
    lines += [f"  {period.label}: {(p.layout.rollup_folder(unit, period) / FOLDER).relative_to(ctx.out).as_posix()}/"
              f"{period.label}.*" + (f" ({', '.join(unit.names)})" if unit.folder else "") for period, unit in p.rollups]
    lines.append(f"deliveries ({sum(len(d.channels) for d in p.deliveries)}):")
    lines += [f"  {d.what} → {', '.join(d.channels)}" for d in p.deliveries]
    return lines


def _runs(days: Sequence[date]) -> list[str]:
    """Consecutive days as spans: "2026-05-06 … 2026-05-20", "2026-05-22"."""
    from datetime import timedelta

    spans: list[list[date]] = []
    for day in sorted(days):
        if spans and day - spans[-1][1] == timedelta(days=1):
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return [a.isoformat() if a == b else f"{a.isoformat()} … {b.isoformat()}" for a, b in spans]


# ------------------------------------------------------------------------ the run itself


def execute(ctx: RunContext, p: Plan) -> RunResult:
    """Generate, write and announce what ``p`` says, holding the output directory's lock."""
    from commitdigest.outputs.files import check_writable

    check_writable(ctx.out)
    with output_lock(ctx.out):
        return _execute(ctx, p)


def _execute(ctx: RunContext, p: Plan) -> RunResult:
    result = RunResult(skipped=p.skipped)
    layout = p.layout
    tracked = {t.name: t for t in ctx.open(only=p.names)} if p.names else {}
    touched: set[Path] = set()
    quiet: set[tuple[Unit, date]] = set()
    skip_empty = ctx.config.output.skip_empty
    for unit, days in p.todo.items():
        if not days:
            continue
        for day, report in ctx.generate_days([tracked[n] for n in unit.names], days):
            result.reports.append((day, report))
            for section in report.repos:
                if section.error:
                    result.repo_errors[section.name] = section.error
            if skip_empty and is_quiet(report):
                quiet.add((unit, day))
                continue
            folder = layout.day_folder(unit, day)
            result.written += pipeline.write_report(report, folder, ctx.formats, day, day, site=False)
            touched.add(folder)
    # rollups before the site: the index and the feed list them
    rollups = write_rollups(ctx, layout, p.rollups, tracked, result)
    touched |= {path.parent.parent for path in rollups}
    result.written += rollups
    for folder in sorted(touched):
        result.written += pipeline.write_site(folder, ctx.formats, ctx.language, ctx.base_url,
                                              feed_quiet_days=ctx.config.output.feed_quiet_days)
    if p.deliveries:
        newest = p.days[-1]
        in_memory = next((r for d, r in result.reports if d == newest), None) if len(layout.units) == 1 else None
        if not any((unit, newest) in quiet for unit in layout.units):  # no page to point to: nothing to announce
            result.delivery_errors = _notify(ctx, layout, newest, in_memory)
        result.delivery_errors += _notify_rollups(ctx, layout, p.days)
    return result


def write_rollups(ctx: RunContext, layout: Layout, due: Sequence[tuple[Period, Unit]], tracked: dict[str, Tracked],
                  result: RunResult, formats: Sequence[str] | None = None,
                  daily_formats: Sequence[str] | None = None) -> list[Path]:
    """Each due rollup's files, linked to the daily reports on disk. A rollup whose repository
    could not be read is not written (``result.rollup_errors`` says why). ``daily_formats``: the
    period's missing daily reports are written first, in those formats (``rollup`` does; ``run``
    writes no day outside its range)."""
    from commitdigest.outputs import rollup as rollup_out

    if formats is None:
        formats = [f for f in ctx.formats if f in formats_mod.rollup_names()] or ["md", "json"]
    written: list[Path] = []
    for period, unit in due:
        def missing_days(daily: list[tuple[date, Report]], unit: Unit = unit) -> None:
            if not daily_formats:
                return
            for day, report in daily:
                if any(s.error for s in report.repos) or not any(s.commits for s in report.repos):
                    continue
                if layout.day_file(unit, day, "md").is_file():
                    continue
                written.extend(pipeline.write_report(report, layout.day_folder(unit, day), daily_formats, day, day,
                                                     site=False))

        rollup, _daily = ctx.generate_rollup([tracked[n] for n in unit.names], period,
                                             links=layout.day_links(unit, period), before_fold=missing_days)
        failed = [(r.name, r.error) for r in rollup.repos if r.error]
        if failed:
            name, error = failed[0]
            result.rollup_errors.append(f"rollup {period.label} not written: {name} could not be read ({error}); "
                                        "the next run that completes the period writes it")
            continue
        written.extend(rollup_out.write(rollup, layout.rollup_folder(unit, period), formats))
    return written


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


LOCK_NAME = ".commitdigest.lock"


@contextmanager
def output_lock(out_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the output directory's lock: one writer at a time, so a ``report`` cannot interleave
    its files with a ``run``'s. Holding it, no other writer is alive here, so the temp files a
    killed one left behind can go."""
    ensure_dir(out_dir)
    check_regular(out_dir / LOCK_NAME, "a lock file")  # a link would have the lock opened elsewhere
    lock = FileLock(str(out_dir / LOCK_NAME))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise LockedError(f"{out_dir}: another commitdigest run is writing here; try again when it ends") from None
    except OSError as exc:
        raise OutputError(f"cannot lock {out_dir / LOCK_NAME}: {exc.strerror or exc}") from None
    try:
        remove_stale_temps(out_dir)
        with writing_inside(out_dir):
            yield
    finally:
        lock.release()


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


# ------------------------------------------------------------------------- announcements


DELIVERIES = ".commitdigest-deliveries.json"
# Delivery state keys: a day's stem ("2026-11-16"), or a rollup's label behind this prefix.
ROLLUP_KEY = "rollup-"


def _channel_key(index: int, channel) -> str:
    return f"{index}:{channel.type}:{channel.label}"


def _pending(state: dict[str, Any], key: str, channels: list) -> list[tuple[int, Any]]:
    done = state.get(key, {})
    return [(i, c) for i, c in channels if done.get(_channel_key(i, c)) != "ok"]


def _rollups_due(channels: list[tuple[int, Channel]], days: Sequence[date],
                 zone: Zone) -> Iterator[tuple[Period, list[tuple[int, Channel]]]]:
    """Each rollup kind's newest period the run's days complete, with the channels (by index)
    that take that kind; kinds no channel takes, or no period completes, are left out."""
    from commitdigest.notify.send import ROLLUP_WHEN

    for when in ROLLUP_WHEN:
        wanted = [(i, c) for i, c in channels if c.when == when]
        periods = completed(when, days, zone) if wanted else []
        if periods:
            yield periods[-1], wanted


def _owed(ctx: RunContext, layout: Layout, days: Sequence[date], rollups: Sequence[tuple[Period, Unit]]) -> list[Delivery]:
    """The messages the run would send: the newest day to the daily channels that have not had
    it, and each rollup kind's newest period the range completes to its channels."""
    from commitdigest.notify.config import parse_channels
    from commitdigest.notify.send import ROLLUP_WHEN

    channels = list(enumerate(parse_channels(ctx.config.notify)))
    state = _read_state(ctx.out / DELIVERIES)
    owed = []
    daily = [(i, c) for i, c in channels if c.when not in ROLLUP_WHEN]
    newest = days[-1]
    if (pending := _pending(state, pipeline.report_stem(newest, newest), daily)):
        owed.append(Delivery(newest.isoformat(), [c.label for _, c in pending]))
    due = {(p.label, u) for p, u in rollups}
    for period, wanted in _rollups_due(channels, days, ctx.zone):
        there = any((period.label, u) in due or layout.rollup_twin(u, period).is_file() for u in layout.units)
        if there and (pending := _pending(state, ROLLUP_KEY + period.label, wanted)):
            owed.append(Delivery(f"rollup {period.label}", [c.label for _, c in pending]))
    return owed


def _notify(ctx: RunContext, layout: Layout, day: date, report: Report | None) -> list[str]:
    """Announce the newest requested day on every channel that has not yet received it.

    Only that day: a backfill of a month must not post thirty messages. What each channel got is
    kept in ``.commitdigest-deliveries.json`` beside the reports, so a channel that failed (a
    webhook timing out at 07:30) is retried by the next run, and one that succeeded is not sent
    the same day twice. A day whose report is not on disk or in memory is not announced. Under
    ``layout = "per-repo"`` the day's repositories, each from its own twin, go out as one report
    (what the daily layout would have said), linked to the published directory."""
    from commitdigest.notify.config import parse_channels

    stem = pipeline.report_stem(day, day)
    state_path = ctx.out / DELIVERIES
    state = _read_state(state_path)
    pending = _pending(state, stem, list(enumerate(parse_channels(ctx.config.notify))))
    if not pending:
        return []
    units = layout.units
    if len(units) > 1:
        loaded = [r for r in (_loaded(layout.day_file(u, day, formats_mod.TWIN)) for u in units) if r is not None]
        if not loaded:
            return []
        merged = loaded[0].model_copy(update={"repos": [section for r in loaded for section in r.repos]})
        return _deliver(ctx, merged, pending, state, state_path, stem, layout.url(ctx.base_url), None, None)
    md_path, html_path, twin = (layout.day_file(units[0], day, ext) for ext in ("md", "html", formats_mod.TWIN))
    source = report if report is not None else _loaded(twin)
    if source is None:
        return []
    page = next((p for p in (html_path, md_path, twin) if p.is_file()), twin)
    markdown = md_path.read_text(encoding="utf-8") if md_path.is_file() else None
    html = html_path.read_text(encoding="utf-8") if html_path.is_file() else None
    return _deliver(ctx, source, pending, state, state_path, stem, layout.url(ctx.base_url, page), markdown, html)


def _loaded(twin: Path) -> Report | None:
    """The report of a twin written earlier; None when it is missing or damaged (nothing to announce)."""
    if not twin.is_file():
        return None
    try:
        return load_report(twin)
    except CommitdigestError:
        return None


def _deliver(ctx: RunContext, source: Report, pending, state, state_path, stem, report_url, markdown,
             html) -> list[str]:
    from commitdigest.notify import deliver

    return _send(lambda channels, on_delivery: deliver(
        source, channels, report_url=report_url, markdown=markdown, html=html, stem=stem,
        deadline=ctx.config.notify_deadline, on_delivery=on_delivery), pending, state, state_path, stem)


def _trimmed(state: dict[str, Any]) -> dict[str, Any]:
    """The 60 newest days and the 60 newest rollups: plenty to retry from, and a small file."""
    days = sorted(k for k in state if not k.startswith(ROLLUP_KEY))[-60:]
    rollups = sorted(k for k in state if k.startswith(ROLLUP_KEY))[-60:]
    return {k: state[k] for k in sorted(days + rollups)}


def _send(send: Callable[..., list], pending, state, state_path, key) -> list[str]:
    done = state.get(key, {})

    def record(n: int, d) -> None:
        # Saved as each channel finishes: a run killed during a slow channel must not make the
        # next one announce the day again on the channels that already had it.
        nonlocal state
        if d.skipped:
            return
        i, c = pending[n]
        done[_channel_key(i, c)] = "ok" if d.ok else "failed"
        state[key] = done
        state = _trimmed(state)
        try:
            write_atomic(state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")
        except OutputError:
            pass  # the message went out; at worst the next run sends it once more

    deliveries = send([c for _, c in pending], record)
    return [f"{d.channel}: {d.error}" for d in deliveries if not d.ok]


#: the deliveries record holds 120 keys at most (``_trimmed``): a few KB
DELIVERIES_BYTES = 4 << 20


def _read_state(state_path: Path) -> dict[str, Any]:
    """What each channel got, by day (``{stem: {channel key: "ok" | "failed"}}``). A record that is
    damaged — not JSON, too large or deep, or of another shape — is set aside with one warning and
    the run starts a new one: a channel may then get a day's message once more, never an error."""
    from commitdigest.outputs import jsonfile

    if not os.path.lexists(state_path):
        return {}
    try:
        state = jsonfile.load(state_path, max_bytes=DELIVERIES_BYTES)
        if not (isinstance(state, dict) and all(
                isinstance(done, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in done.items())
                for done in state.values())):
            raise InputError(f"{state_path}: not a record of deliveries")
    except InputError as exc:
        aside = state_path.with_name(f"{state_path.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        try:
            state_path.rename(aside)
            where = f"set aside as {aside.name}"
        except OSError as err:
            where = f"and cannot be set aside ({err.strerror or err})"
        log.warning("%s; %s: channels may get this day's message once more", exc.message, where)
        return {}
    return state


def _notify_rollups(ctx: RunContext, layout: Layout, days: Sequence[date]) -> list[str]:
    """Send each channel with ``when = "weekly"`` (``"monthly"``) the newest rollup of that kind
    the run's days complete, once it is written, once: like the daily message, what each channel
    got is kept in the deliveries file (under ``rollup-<label>``), so a failed channel is retried
    by the next run and a backfill does not post every week it wrote. Under ``layout =
    "per-repo"`` the period's rollups of every repository go out as one message."""
    from commitdigest.notify import deliver_rollup
    from commitdigest.notify.config import parse_channels
    from commitdigest.rollup import load_rollup

    channels = list(enumerate(parse_channels(ctx.config.notify)))
    state_path = ctx.out / DELIVERIES
    errors: list[str] = []
    for period, wanted in _rollups_due(channels, days, ctx.zone):
        key = ROLLUP_KEY + period.label
        state = _read_state(state_path)
        pending = _pending(state, key, wanted)
        twins = [layout.rollup_twin(u, period) for u in layout.units]
        loaded: list[Rollup] = []
        for twin in twins:
            try:
                loaded.append(load_rollup(twin))
            except CommitdigestError:
                continue  # not written (a repository could not be read) or damaged: nothing to announce
        if not pending or not loaded:
            continue
        rollup = loaded[0].model_copy(update={"repos": [r for one in loaded for r in one.repos]})
        markdown = html = None
        report_url = layout.url(ctx.base_url)
        if len(twins) == 1:
            md_path, html_path = twins[0].with_suffix(".md"), twins[0].with_suffix(".html")
            report_url = layout.url(ctx.base_url, html_path if html_path.is_file() else md_path)
            markdown = md_path.read_text(encoding="utf-8") if md_path.is_file() else None
            html = html_path.read_text(encoding="utf-8") if html_path.is_file() else None

        def send(channels, on_delivery, rollup=rollup, report_url=report_url, markdown=markdown, html=html,
                 label=period.label):
            return deliver_rollup(rollup, channels, report_url=report_url, markdown=markdown, html=html, stem=label,
                                  deadline=ctx.config.notify_deadline, on_delivery=on_delivery)

        errors += _send(send, pending, state, state_path, key)
    return errors
