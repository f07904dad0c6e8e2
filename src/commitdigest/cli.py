"""The command line: parse, call the library, turn domain errors into one line and an exit code."""

from __future__ import annotations

import errno
import functools
import os
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import TaskID

# Only what declaring the commands needs is imported here, and nothing click does not load
# itself: `--help` and `--version` must not load the report stack (pydantic models, jinja, git),
# nor logging, json, pathlib or tempfile (bench/help_speed.py). Each command imports what it runs.
from commitdigest import __version__
from commitdigest.analysis.factory import llm_options
from commitdigest.errors import (
    EXIT_INTERNAL,
    EXIT_OUTPUT,
    EXIT_PARTIAL,
    EXIT_USAGE,
    CommitdigestError,
    InputError,
)
from commitdigest.progress import Progress

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  internal error (set COMMITDIGEST_DEBUG=1 for a traceback)
  2  bad input: option, date (or a day after today), time zone, language or format
  3  repository problem: missing path, not git, empty, unknown branch or revision
  4  configuration problem
  5  output problem: output directory not writable or full, or standard output full
     (a cache that cannot be written is one warning; the run goes on without it)
  6  LLM settings problem
  7  partial failure: a repository or a delivery failed, or the model failed on more than
     half the commits (the offline analysis stood in); the rest was written
  8  another run holds the lock on the output directory"""


class _Progress(Progress):
    """A rich progress bar on stderr: only for a human watching a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._task: TaskID | None = None
        self._bar.start()

    def start(self, label: str, total: int) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(terminal_safe(label), total=total or None)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def stop(self) -> None:
        self._bar.stop()


def terminal_safe(text: str) -> str:
    """Commit text and repository names are someone else's input: no escape sequence (CSI such as
    ESC[2J, OSC such as a window title or a hyperlink, 8-bit CSI), carriage return, backspace or
    bell may clear, retitle, overwrite or otherwise drive the user's terminal, and bidirectional
    controls are shown as escapes (outputs/text.py)."""
    from commitdigest.outputs.text import clean

    return clean(text)


def terminal_json(value: object) -> str:
    from commitdigest.outputs.text import terminal_json as as_json

    return as_json(value)


def _warn_model_trouble(reports, partial: bool = False) -> None:
    """One line on stderr, -q or not, when the model failed on most commits: an outage
    otherwise hides behind reports that look normal. Then exits with ``job.exit_status`` when it
    is not 0 (the one decision ``report`` and ``run`` share)."""
    from commitdigest.job import exit_status, model_trouble

    message = model_trouble(reports)
    if message:
        click.echo(terminal_safe(f"commitdigest: warning: {message}"), err=True)
    code = exit_status(reports, partial)
    if code:
        sys.exit(code)


def _progress(quiet: bool) -> Progress | None:
    if quiet or not sys.stderr.isatty():
        return None
    return _Progress()


def _window_days(date_: str | None, since: str | None, until: str | None, zone) -> tuple:
    from commitdigest.window import parse_day

    if date_ and (since or until):
        raise InputError("use either --date or --since/--until, not both")
    if until and not since:
        raise InputError("--until needs --since")
    if since:
        start = parse_day(since, zone)
        end = parse_day(until, zone) if until else parse_day("today", zone)
        return start, end
    day = parse_day(date_ or "today", zone)
    return day, day


def _warn(lines) -> None:
    for line in lines:
        click.echo(terminal_safe(f"commitdigest: warning: {line}"), err=True)


# The options every command that reads the shared settings takes, worded once.
_CONFIG_HELP = ("Config file [env COMMITDIGEST_CONFIG; default: ./commitdigest.toml when present]: its repositories, "
                "zone, language, analyzer, [llm], [hosting] and [output] apply unless a flag says otherwise.")
_CACHE_DIR_HELP = "Cache directory [env COMMITDIGEST_CACHE_DIR; config cache_dir; default: the user cache dir]."


def _reading_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """How ``report``, ``run`` and ``rollup`` read commits: the cache, the code, the reader's own code."""
    options = [
        click.option("--no-cache", is_flag=True, help="Analyse every commit again; do not read or write the cache."),
        click.option("--no-semantic", "no_semantic", is_flag=True,
                     help="Do not read the changed code: line facts only, no symbols, values or uses; a long "
                          "period's first report takes about a third of the time [config semantic; default: read]."),
        click.option("--cache-dir", metavar="DIR", help=_CACHE_DIR_HELP),
        click.option("--uses", "uses", multiple=True, metavar="DIR",
                     help="Your code that uses the repositories (a local checkout, read-only; repeat for several): "
                          "each commit that changes a symbol it uses says where [config repos.uses]."),
    ]
    for option in reversed(options):  # click lists options in the order their decorators are written
        f = option(f)
    return f


def _command() -> Callable[[Callable[..., Any]], click.Command]:
    """``cli.command`` for a command that runs: library warnings become one stderr line each
    once it starts (not for ``--help``, which must not import logging)."""
    def decorate(f: Callable[..., Any]) -> click.Command:
        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            _warnings_to_stderr()
            return f(*args, **kwargs)

        return cli.command(epilog=EXIT_CODES_HELP)(run)

    return decorate


def _help_width(widest: int = 100) -> int:
    """The width click would wrap help at, worked out as shutil.get_terminal_size does (COLUMNS,
    else the terminal, else 80) without importing shutil and the compression modules it brings:
    `--help` pays for every module it loads."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(min(columns or 80, widest) - 2, 50)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "terminal_width": _help_width()},
             epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="commitdigest")
def cli() -> None:
    """Daily update reports of the commits landing in the Git repositories you track.

    Every commit of the day is listed and analysed: change type, importance, summary, impact
    scope, risks and recommendations, in Chinese (default) or English, as Markdown, JSON, an
    HTML site and an Atom feed; `run` follows the repositories of a config file every day and
    announces the report on chat webhooks or by e-mail. Settings come from flags, then
    COMMITDIGEST_* environment variables, then commitdigest.toml, the same way for every command.

    \b
    Examples:
      commitdigest report --repo . --date yesterday
      commitdigest report --repo ~/src/dynamo --since 2026-01-13 --until 2026-01-19 --lang en
      commitdigest analyze HEAD --repo .
      commitdigest init && commitdigest run --backfill 7
      commitdigest rollup --week 2026-W47
    """


@_command()
@click.option("--repo", "repos", multiple=True, metavar="PATH|URL",
              help="Local repository (working copy or bare), or a remote URL (mirrored into the cache). "
                   "Repeat for several; default: the config file's repositories, else the current directory.")
@click.option("--branch", help="Branch to report on (default: the config's, else the repository's HEAD branch).")
@click.option("--name", "names", multiple=True, metavar="NAME",
              help="Section name of the repository; repeat in the order of --repo "
                   "[default: owner/name from remote.origin.url, else the folder].")
@click.option("--web-url", "web_urls", multiple=True, metavar="URL",
              help="Web page of the repository (https://github.com/OWNER/NAME or a GitLab project) for "
                   "commit and PR links; repeat in the order of --repo [default: from remote.origin.url].")
@click.option("--date", "date_", metavar="D", help="Day to report: YYYY-MM-DD, today, yesterday or Nd (N days ago); default: today.")
@click.option("--since", metavar="D", help="First day of a period report (inclusive); same forms as --date.")
@click.option("--until", metavar="D", help="Last day of a period report (inclusive; default: today).")
@click.option("--allow-future", is_flag=True, help="Accept a day after today (refused by default: usually a typo).")
@click.option("--tz", metavar="ZONE", help="IANA zone (Asia/Shanghai) or offset (+08:00) [env COMMITDIGEST_TIMEZONE; "
                                            "config timezone; default: this machine's zone].")
@click.option("--date-field", type=click.Choice(["committer", "author"]),
              help="Which commit date selects commits into the window [config date_field; default committer].")
@click.option("--lang", metavar="zh|en", help="Report language; tags such as zh-CN or en-US too "
                                              "[env COMMITDIGEST_LANGUAGE; config language; default zh].")
@click.option("--format", "formats", metavar="LIST",
              help="Comma-separated output formats: md, json, html (a page per report and the "
                   "site's index.html), feed (Atom feed.xml). html and feed also write the JSON twin "
                   "[config output.formats; default md,json].")
@click.option("--base-url", metavar="URL", help="Where DIR is published; feed links point there [config output.base_url].")
@click.option("--out", "out_dir", metavar="DIR",
              help="Directory the report files are written to [config output.dir; default reports].")
@_reading_options
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("--dry-run", "--stdout", "dry_run", is_flag=True,
              help="Print the Markdown report on stdout and write no report file (--format and --out are ignored).")
@click.option("--config", "config_path", metavar="FILE", help=_CONFIG_HELP)
@llm_options
def report(repos, branch, names, web_urls, date_, since, until, allow_future, tz, date_field, lang, formats, base_url,
           out_dir, no_cache, no_semantic, cache_dir, uses, quiet, dry_run, config_path, **llm_kwargs) -> None:
    """Write the report of a day (or a period) for one or more repositories.

    Files are named DIR/<date>.md and DIR/<date>.json (a period: DIR/<since>_<until>.*);
    their paths are printed on stdout. Several repositories give one report with a section each.
    Without --repo, the repositories of commitdigest.toml (in its zone and language) when there
    is one, else the current directory.

    \b
    Examples:
      commitdigest report                                  # today: the config's repositories, or this one
      commitdigest report --repo . --date 2026-01-13 --tz Asia/Shanghai
      commitdigest report --repo a --repo b --since 2026-01-12 --until 2026-01-18 --lang en
      commitdigest report --repo . --date yesterday --format md --out /srv/reports
      commitdigest report --repo . --date yesterday --dry-run | less   # look first, write nothing
      commitdigest report --repo . --since 2025-01-01 --until 2025-12-31 --no-semantic   # a year, fast
      commitdigest report --repo https://github.com/ai-dynamo/dynamo --date yesterday --tz Asia/Shanghai
      COMMITDIGEST_LLM__BASE_URL=http://127.0.0.1:8080/v1 COMMITDIGEST_LLM__MODEL=qwen \\
        commitdigest report --repo . --analyzer llm --llm-min-importance medium
    """
    from commitdigest import context, pipeline
    from commitdigest.job import output_lock
    from commitdigest.window import check_not_future, make_window

    flags = context.Flags(config=config_path, repos=repos, branch=branch, names=names, web_urls=web_urls, tz=tz,
                          lang=lang, date_field=date_field, formats=formats, out=out_dir, base_url=base_url,
                          no_cache=no_cache, cache_dir=cache_dir, quiet=quiet, uses=uses, llm=llm_kwargs,
                          semantic=False if no_semantic else None)
    with context.opened(flags) as ctx:
        first, last = _window_days(date_, since, until, ctx.zone)
        if not allow_future:
            check_not_future(last, ctx.zone, "--until" if since else "--date")
        make_window(first, last, ctx.zone)  # reject --since after --until before touching any repository
        tracked = ctx.open()
        if not dry_run:
            from commitdigest.outputs.files import check_writable

            check_writable(ctx.out)
        ctx.progress = _progress(quiet)
        strict = all(s.from_flags for s in ctx.sources)  # a repository named by a flag that git cannot read: exit 3
        [result] = ctx.generate([pipeline.Span(first, last)], tracked, fail_fast=strict)
        ctx.close()  # the progress bar goes before anything is printed
        failed = [(s.name, s.error) for s in result.repos if s.error]
        if dry_run:
            from commitdigest.report.render import render_markdown

            click.echo(render_markdown(result), nl=False)
        else:
            # A `run` may hold the directory (writing its own reports and index): wait a little for it.
            with output_lock(ctx.out, wait=ctx.lock_wait):
                written = pipeline.write_report(result, ctx.out, ctx.formats, first, last, site=False)
                written += pipeline.write_site(ctx.out, ctx.formats, ctx.language, ctx.base_url,
                                               feed_quiet_days=ctx.config.output.feed_quiet_days)
            for path in written:
                click.echo(str(path))
        _warn(f"{name}: {error}" for name, error in failed)
    # a repository of the config could not be read (its section says why, the rest is written),
    # or the model failed on most commits: exit 7, the one decision `run` makes too
    _warn_model_trouble([result], bool(failed))


@_command()
@click.argument("rev")
@click.option("--repo", default=".", show_default=True, metavar="PATH", help="Local repository.")
@click.option("--lang", metavar="zh|en", help="Language of the analysis [env COMMITDIGEST_LANGUAGE; config language; "
                                              "default zh].")
@click.option("--tz", metavar="ZONE", help="Zone for the commit time shown [env COMMITDIGEST_TIMEZONE; config timezone; "
                                           "default: this machine's].")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="Print the commit's Markdown block or its JSON record.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--cache-dir", metavar="DIR", help=_CACHE_DIR_HELP)
@click.option("--show-prompt", is_flag=True,
              help="Print the request an LLM analyzer would send for REV (JSON), and send nothing.")
@click.option("--explain", is_flag=True,
              help="Print the facts and each weight of REV's importance score, and analyse nothing.")
@click.option("--config", "config_path", metavar="FILE", help=_CONFIG_HELP)
@llm_options
def analyze(rev, repo, lang, tz, fmt, no_cache, cache_dir, show_prompt, explain, config_path, **llm_kwargs) -> None:
    """Print the analysis of one commit REV (a sha, branch, tag or HEAD~3).

    \b
    Examples:
      commitdigest analyze HEAD
      commitdigest analyze 7fdc742 --repo ~/src/dynamo --lang en --format json
      commitdigest analyze HEAD --analyzer llm --show-prompt
      commitdigest analyze HEAD --explain                 # why this tier: the score, weight by weight
    """

    from commitdigest import context, pipeline

    flags = context.Flags(config=config_path, repos=(repo,), tz=tz, lang=lang, no_cache=no_cache, cache_dir=cache_dir,
                          llm=llm_kwargs)
    with context.opened(flags) as ctx:
        [source] = ctx.open()
        assert source.repo is not None
        commits = pipeline.read_named(source.repo, rev, ctx.git_timeout)
        if explain:
            _explain(commits[0], ctx.analyzer.scoring, ctx.language, fmt)
            return
        if show_prompt:
            preview = getattr(ctx.analyzer, "request_preview", None)
            if preview is None:
                raise InputError("--show-prompt needs an LLM analyzer: add --analyzer llm and its settings")
            # the request a report would send: with the commit's semantic facts, as its fact sheet
            pipeline.attach_semantic(commits, source.repo, ctx.store, ctx.git_timeout)
            click.echo(terminal_json(preview(commits[0], ctx.language)))
            return
        day = commits[0].committer_time.astimezone(ctx.zone.tz).date()
        source.commits = commits
        [result] = ctx.generate([pipeline.Span(day, day)], [source], fail_fast=True)
        entry = result.repos[0].commits[0]
    if fmt == "json":
        click.echo(terminal_json(entry.model_dump(mode="json", exclude={"anchor", "pr_url_base"})))
    else:
        from commitdigest.report.render import render_commit_markdown

        click.echo(terminal_safe(render_commit_markdown(entry, ctx.language)), nl=False)


def _explain(commit, scoring, lang: str, fmt: str) -> None:

    from commitdigest.analysis import importance

    sc = importance.score(commit, scoring)
    if fmt == "json":
        click.echo(terminal_json({"sha": commit.sha, "subject": commit.subject, "tier": sc.tier.value,
                                  "score": sc.record().model_dump(), "reason": importance.reason(sc, lang),
                                  "facts": {"type": sc.commit_type, "insertions": sc.insertions,
                                            "deletions": sc.deletions, "files": sc.files,
                                            "file_class": sc.file_class, "class_counts": sc.class_counts,
                                            "signals": sc.signals}}))
        return
    click.echo(terminal_safe(f"{commit.short_sha} {commit.subject}"))
    rows = importance.explain(sc, scoring)
    width = max(len(r[0]) for r in rows)
    facts = max(len(r[1]) for r in rows)
    for part, fact, weight in rows:
        click.echo(terminal_safe(f"  {part:<{width}}  {fact:<{facts}}  {weight:>3}"))
    click.echo(terminal_safe(importance.reason(sc, lang)))


@_command()
@click.option("--force", is_flag=True, help="Overwrite commitdigest.toml if it exists.")
@click.option("--path", "target", default="commitdigest.toml", show_default=True, metavar="FILE",
              help="Where to write the sample.")
def init(force, target) -> None:
    """Write a sample commitdigest.toml that explains every key.

    \b
    Examples:
      commitdigest init && $EDITOR commitdigest.toml && commitdigest run
    """
    from importlib.resources import files
    from pathlib import Path

    from commitdigest.outputs.files import check_regular, check_writable, write_atomic

    path = Path(target)
    if os.path.lexists(path) and not force:
        raise InputError(f"{path} already exists: edit it, or pass --force to overwrite it")
    check_regular(path, "the config file")  # --force replaces a file, never a device or a link
    check_writable(path.parent if str(path.parent) else Path("."))
    write_atomic(path, files("commitdigest").joinpath("sample_config.toml").read_text(encoding="utf-8"))
    click.echo(str(path))


@_command()
@click.option("--config", "config_path", metavar="FILE",
              help="Config file [env COMMITDIGEST_CONFIG; default: ./commitdigest.toml].")
@click.option("--date", "date_", metavar="D", help="Day to report: YYYY-MM-DD, today, yesterday or Nd; default: yesterday.")
@click.option("--since", metavar="D", help="First day of a range: one report per day.")
@click.option("--until", metavar="D", help="Last day of the range (inclusive; default: yesterday).")
@click.option("--backfill", type=click.IntRange(1, 3660), metavar="N",
              help="The N days before today (yesterday included).")
@click.option("--force", is_flag=True, help="Regenerate days that are already reported.")
@click.option("--allow-future", is_flag=True, help="Accept a day after today (refused by default: usually a typo).")
@click.option("--tz", metavar="ZONE", help="Override the config's time zone.")
@click.option("--format", "formats", metavar="LIST", help="Override the config's formats: md,json,html,feed.")
@click.option("--out", "out_dir", metavar="DIR", help="Override the config's output directory.")
@_reading_options
@click.option("--no-notify", is_flag=True, help="Write the reports but send no notification.")
@click.option("--dry-run", is_flag=True,
              help="Print the plan (days, repositories, files, rollups, deliveries) and write, fetch and send nothing.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@llm_options
def run(config_path, date_, since, until, backfill, force, allow_future, tz, formats, out_dir, no_cache,
        no_semantic, cache_dir, no_notify, uses, dry_run, quiet, **llm_kwargs) -> None:
    """Report every repository of the config file, one report per day, then notify.

    Days already reported (all files exist, no repository or model call failed) are skipped unless
    --force, so a rerun, or a cron job that runs twice, writes nothing new and calls no analyzer. Remote repositories are
    mirrored in the cache directory and fetched incrementally. A repository that cannot be
    fetched or read is reported in its section and in the exit status (7); the others are still
    written. Files are written only for the days asked for, and a rollup only for a week or month
    those days complete. Notifications announce the newest report written.

    \b
    Examples:
      commitdigest run                             # yesterday, as configured
      commitdigest run --backfill 30               # the last 30 days, skipping those done
      commitdigest run --since 2026-05-06 --until 2026-05-20 --dry-run   # what it would do
      commitdigest run --date 2026-01-13 --force --no-notify
      commitdigest run --config /etc/commitdigest.toml --quiet   # from cron
    """
    from datetime import timedelta

    from commitdigest import config as config_mod
    from commitdigest import context, job
    from commitdigest.window import check_not_future, make_window, parse_day

    config_mod.find(config_path)  # run follows a config file's repositories: there must be one
    flags = context.Flags(config=config_path, tz=tz, formats=formats, out=out_dir, no_cache=no_cache,
                          cache_dir=cache_dir, quiet=quiet, uses=uses, llm=llm_kwargs,
                          semantic=False if no_semantic else None)
    with context.opened(flags) as ctx:
        zone = ctx.zone
        chosen = [name for name, v in (("--date", date_), ("--since", since), ("--backfill", backfill)) if v]
        if len(chosen) > 1:
            raise InputError(f"use only one of --date, --since/--until and --backfill, not {' and '.join(chosen)}")
        if until and not since:
            raise InputError("--until needs --since")
        yesterday = parse_day("yesterday", zone)
        if backfill:
            days = [yesterday - timedelta(days=i) for i in range(backfill)]
        elif since:
            first, last = parse_day(since, zone), parse_day(until, zone) if until else yesterday
            make_window(first, last, zone)  # rejects a reversed range with its own message
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        else:
            days = [parse_day(date_, zone) if date_ else yesterday]
        if not allow_future:
            check_not_future(max(days), zone, "--until" if since else "--date")
        plan = job.plan(ctx, days, force=force, notify=not no_notify)
        if dry_run:
            click.echo("commitdigest run --dry-run: the plan; nothing is fetched, written or sent")
            for line in job.describe(plan, ctx):
                click.echo(terminal_safe(line))
            return
        ctx.progress = _progress(quiet)
        ctx.note("mirrors")  # mirrors can take a while on a first clone: say which one
        result = job.execute(ctx, plan)
        ctx.close()  # also when every day was already reported and nothing else stopped the bar
    for path in result.written:
        click.echo(str(path))
    if result.skipped and not quiet:
        shown = ", ".join(d.isoformat() for d in result.skipped[:5]) + (" …" if len(result.skipped) > 5 else "")
        click.echo(f"commitdigest: {len(result.skipped)} day(s) already reported, skipped: {shown} "
                   "(--force regenerates)", err=True)
    _warn(f"{name}: {error}" for name, error in result.repo_errors.items())
    _warn(result.rollup_errors)
    _warn(f"notification {error}" for error in result.delivery_errors)
    _warn_model_trouble([r for _, r in result.reports], result.partial)


@_command()
@click.option("--week", metavar="YYYY-Www", help="An ISO week, e.g. 2026-W47 (Monday to Sunday).")
@click.option("--month", metavar="YYYY-MM", help="A calendar month, e.g. 2026-11.")
@click.option("--since", metavar="D", help="First day of a custom period; same forms as report's --date.")
@click.option("--until", metavar="D", help="Last day of a custom period (default: yesterday).")
@click.option("--repo", "repos", multiple=True, metavar="PATH|URL",
              help="Repository to roll up; repeat for several. Default: the config file's repositories, "
                   "else the current directory.")
@click.option("--branch", help="Branch to roll up (default: the config's, else the repository's HEAD branch).")
@click.option("--config", "config_path", metavar="FILE", help=_CONFIG_HELP)
@click.option("--tz", metavar="ZONE", help="IANA zone or offset [env COMMITDIGEST_TIMEZONE; config timezone; "
                                           "default: this machine's].")
@click.option("--lang", metavar="zh|en", help="Language [env COMMITDIGEST_LANGUAGE; config language; default zh].")
@click.option("--format", "formats", metavar="LIST",
              help="Any of md, json, html (with inline SVG charts) [default: those of the config's "
                   "output.formats, else md,json,html].")
@click.option("--out", "out_dir", metavar="DIR", help="Output directory (default: the config's, else reports); "
                                                       "the rollup goes to DIR/rollups/, or under layout = "
                                                       "\"per-repo\" to DIR/<year>/<repo>/rollups/.")
@_reading_options
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@llm_options
def rollup(week, month, since, until, repos, branch, config_path, tz, lang, formats, out_dir, no_cache, cache_dir,
           no_semantic, uses, quiet, **llm_kwargs) -> None:
    """Write the weekly, monthly or custom-period rollup of the daily reports.

    Per repository: commits per day by tier, the high-importance changes with a line each and a
    link to their daily report, the areas that changed most, the public definitions and
    dependency versions the period changed, the change-type mix, contributors, and the
    difference from the previous period; the HTML page and the site index draw them as charts.
    Built from the daily analyses in the cache (no model call for days already analysed); days
    not analysed yet are analysed first, and their daily reports are written when missing, in
    the config's formats. A rollup whose repository cannot be read is not written (exit 7).
    Default: last week.

    \b
    Examples:
      commitdigest rollup                                  # last week, from commitdigest.toml
      commitdigest rollup --week 2026-W47 --lang en
      commitdigest rollup --month 2026-11 --repo ~/src/dynamo --out reports --branch master
      commitdigest rollup --since 2026-11-01 --until 2026-11-14 --format md
    """
    from commitdigest import context, job
    from commitdigest import rollup as rollup_mod
    from commitdigest.layout import Layout
    from commitdigest.outputs import check_formats
    from commitdigest.outputs.files import check_writable
    from commitdigest.outputs.formats import rollup_names
    from commitdigest.window import make_window, parse_day

    chosen = [name for name, v in (("--week", week), ("--month", month), ("--since", since)) if v]
    if len(chosen) > 1:
        raise InputError(f"use only one of --week, --month and --since/--until, not {' and '.join(chosen)}")
    if until and not since:
        raise InputError("--until needs --since")
    pages = rollup_names()
    if formats is not None:
        formats = ",".join(check_formats(formats.split(","), pages))
    flags = context.Flags(config=config_path, repos=repos, branch=branch, tz=tz, lang=lang, formats=formats,
                          out=out_dir, no_cache=no_cache, cache_dir=cache_dir, quiet=quiet, uses=uses, llm=llm_kwargs,
                          semantic=False if no_semantic else None)
    with context.opened(flags, default_formats="md,json,html") as ctx:
        zone = ctx.zone
        fmts = [f for f in ctx.formats if f in pages] or ["md", "json"]
        yesterday = parse_day("yesterday", zone)
        if week:
            period = rollup_mod.parse_week(week)
        elif month:
            period = rollup_mod.parse_month(month)
        elif since:
            first, last = parse_day(since, zone), parse_day(until, zone) if until else yesterday
            make_window(first, last, zone)  # rejects a reversed range with its own message
            period = rollup_mod.period_between(first, last)
        else:
            period = rollup_mod.week_period(yesterday).previous() if yesterday.isoweekday() != 7 \
                else rollup_mod.week_period(yesterday)
        if period.since > parse_day("today", zone):  # a typo in the year, not a quiet period
            raise InputError(f"{chosen[0] if chosen else '--week'} {period.label} starts after today "
                             f"({parse_day('today', zone).isoformat()} in {zone.name}): check the year")
        check_writable(ctx.out)
        tracked = {t.name: t for t in ctx.open()}
        # the config's layout decides where its repositories' rollups go; --repo: the flat one
        layout = ctx.layout() if not repos and ctx.config.repos else Layout(ctx.out, "daily", tuple(tracked))
        ctx.progress = _progress(quiet)
        result = job.RunResult()
        with job.output_lock(ctx.out, wait=ctx.lock_wait):
            written = job.write_rollups(ctx, layout, [(period, unit) for unit in layout.units], tracked, result,
                                        formats=fmts, daily_formats=ctx.config.output.formats)
            written += job.site_after_rollups(written, [*fmts, *ctx.config.output.formats], ctx.language,
                                              ctx.base_url, ctx.config.output.feed_quiet_days)
        ctx.close()
    for path in written:
        click.echo(str(path))
    _warn(result.rollup_errors)
    if result.rollup_errors:
        sys.exit(EXIT_PARTIAL)


def _fail(message: str, code: int) -> None:
    click.echo(terminal_safe(f"commitdigest: error: {message}"), err=True)
    sys.exit(code)


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's final flush of what is still buffered does
    not fail a second time (and print a traceback-like 'Exception ignored')."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _reader_gone() -> bool:
    """Is stdout a pipe whose reader has exited? (poll reports POLLERR for it on Linux.)"""
    import select

    try:
        poller = select.poll()
        if sys.__stdout__ is None:  # no stdout at all (pythonw, a closed descriptor): no reader to lose
            return False
        poller.register(sys.__stdout__.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


_DEVICE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG})


def _stdout_failed() -> bool:
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return False


def _warnings_to_stderr() -> None:
    """Library warnings (a cache that cannot be written…) as one line each, like errors."""
    import logging

    class SafeFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return terminal_safe(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("commitdigest: warning: %(message)s"))
    logger = logging.getLogger("commitdigest")
    if not logger.handlers:
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="commitdigest", standalone_mode=False)
        sys.stdout.flush()  # a full device or a closed pipe shows here, not in the exit-time flush
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except click.UsageError as exc:
        hint = f" (see 'commitdigest {exc.ctx.command.name} --help')" if exc.ctx and exc.ctx.command.name != "cli" else " (see 'commitdigest --help')"
        _fail(exc.format_message().replace("\n", " ") + hint, EXIT_USAGE)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except CommitdigestError as exc:
        _fail(exc.message, exc.exit_code)
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        _silence_stdout()
        sys.exit(0)
    except SystemExit as exc:
        # click meets a closed pipe inside a command with a silent exit 1; it is the same quiet end.
        if exc.code == 1 and _reader_gone():
            _silence_stdout()
            sys.exit(0)
        raise
    except OSError as exc:
        # Files and the cache turn their own OSErrors into messages; one that gets here with
        # a full-device errno comes from writing stdout (> /dev/full, a full disk, a dead tty).
        if exc.errno not in _DEVICE_ERRORS and not _stdout_failed():
            _internal(exc)
        _silence_stdout()
        _fail(f"cannot write to standard output: {exc.strerror or exc}", EXIT_OUTPUT)
    except Exception as exc:  # the promise is one line, never a traceback
        if os.environ.get("COMMITDIGEST_DEBUG"):
            raise
        _internal(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _internal(exc: Exception) -> None:
    if os.environ.get("COMMITDIGEST_DEBUG"):
        raise exc
    _fail(f"internal error: {type(exc).__name__}: {exc} (set COMMITDIGEST_DEBUG=1 for a traceback)", EXIT_INTERNAL)
