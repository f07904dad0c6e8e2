"""The command line: parse, call the library, turn domain errors into one line and an exit code."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.progress import TaskID

# Only what declaring the commands needs is imported here: `--help` and `--version` must not
# load the report stack (pydantic models, jinja, git). Each command imports what it runs.
from commitdigest import __version__
from commitdigest.analysis.factory import llm_options
from commitdigest.errors import (
    EXIT_INTERNAL,
    EXIT_OUTPUT,
    EXIT_USAGE,
    CommitdigestError,
    InputError,
)
from commitdigest.outputs import check_formats
from commitdigest.outputs.files import check_writable, write_atomic
from commitdigest.outputs.urls import is_web_url
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


# Escape sequences (CSI such as ESC[2J, OSC such as a window title, 8-bit CSI) and the other
# control characters: commit text and repository names are someone else's input, and must
# not clear, retitle or otherwise drive the user's terminal.
_TERMINAL_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, ended by BEL or ST (or not at all)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"      # DCS, SOS, PM, APC strings
    r"|\x1b.?"                         # any other escape
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"      # other C0 and C1 controls (tab and newline stay)
)


def terminal_safe(text: str) -> str:
    return _TERMINAL_CONTROL.sub("", text)


def _out_dir(value: str) -> Path:
    if not value.strip():
        raise InputError("--out: give a directory (an empty one would mean the current directory)")
    return Path(value)


def _warn_model_trouble(reports, partial: bool = False) -> None:
    """One line on stderr, -q or not, when the model failed on most commits: an outage
    otherwise hides behind reports that look normal. Then exits with ``job.exit_status`` when it
    is not 0 (the one decision ``report`` and ``run`` share)."""
    from commitdigest.job import exit_status, model_trouble

    message = model_trouble(reports)
    if message:
        click.echo(f"commitdigest: warning: {message}", err=True)
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


def _analyzer(ctx: click.Context, config_path: str | None, llm_kwargs: dict):
    """Flags, then the environment, then the config file's analyzer and [llm] table."""
    from commitdigest import config as config_mod
    from commitdigest.analysis.factory import analyzer_from_options

    cfg = config_mod.load_optional(config_path)
    if cfg and ctx.get_parameter_source("analyzer") == click.core.ParameterSource.DEFAULT:
        llm_kwargs["analyzer"] = cfg.analyzer
    return analyzer_from_options(llm_kwargs, file_values=cfg.llm if cfg else None,
                                 importance=cfg.importance if cfg else None)


LOCK_WAIT_ENV = "COMMITDIGEST_LOCK_WAIT"


def _lock_wait() -> float:
    """Seconds `report` waits for a `run` holding the output directory (default 10)."""
    value = os.environ.get(LOCK_WAIT_ENV, "")
    try:
        return max(0.0, float(value)) if value else 10.0
    except ValueError:
        raise InputError(f"{LOCK_WAIT_ENV}={value!r}: give a number of seconds") from None


def _cache_dir(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="commitdigest")
def cli() -> None:
    """Daily update reports of the commits landing in the Git repositories you track.

    Every commit of the day is listed and analysed: change type, importance, summary, impact
    scope, risks and recommendations, in Chinese (default) or English, as Markdown, JSON, an
    HTML site and an Atom feed; `run` follows the repositories of a config file every day and
    announces the report on chat webhooks or by e-mail.

    \b
    Examples:
      commitdigest report --repo . --date yesterday
      commitdigest report --repo ~/src/dynamo --since 2026-01-13 --until 2026-01-19 --lang en
      commitdigest analyze HEAD --repo .
      commitdigest init && commitdigest run --backfill 7
      commitdigest rollup --week 2026-W47
    """


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--repo", "repos", multiple=True, metavar="PATH|URL",
              help="Local repository (working copy or bare), or a remote URL (mirrored into the cache). "
                   "Repeat for several; default: current directory.")
@click.option("--branch", help="Branch to report on (default: the repository's HEAD branch).")
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
@click.option("--tz", metavar="ZONE", help="IANA zone (Asia/Shanghai) or offset (+08:00); default: this machine's zone.")
@click.option("--date-field", type=click.Choice(["committer", "author"]), default="committer",
              show_default=True, help="Which commit date selects commits into the window.")
@click.option("--lang", default="zh", show_default=True, metavar="zh|en", help="Report language.")
@click.option("--format", "formats", default="md,json", show_default=True, metavar="LIST",
              help="Comma-separated output formats: md, json, html (a page per report and the "
                   "site's index.html), feed (Atom feed.xml). html and feed also write the JSON twin.")
@click.option("--base-url", metavar="URL", help="Where DIR is published; feed links point there.")
@click.option("--out", "out_dir", default="reports", show_default=True, metavar="DIR",
              help="Directory the report files are written to.")
@click.option("--no-cache", is_flag=True, help="Analyse every commit again; do not read or write the cache.")
@click.option("--cache-dir", envvar="COMMITDIGEST_CACHE_DIR", metavar="DIR",
              help="Cache directory [env COMMITDIGEST_CACHE_DIR; default: the user cache dir].")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("--dry-run", "--stdout", "dry_run", is_flag=True,
              help="Print the Markdown report on stdout and write no report file (--format and --out are ignored).")
@click.option("--config", "config_path", metavar="FILE",
              help="Read the analyzer and [llm] settings from this config file [env COMMITDIGEST_CONFIG; "
                   "default: ./commitdigest.toml when present].")
@llm_options
@click.pass_context
def report(ctx, repos, branch, names, web_urls, date_, since, until, tz, date_field, lang, formats, base_url,
           out_dir, no_cache, cache_dir, quiet, dry_run, config_path, **llm_kwargs) -> None:
    """Write the report of a day (or a period) for one or more repositories.

    Files are named DIR/<date>.md and DIR/<date>.json (a period: DIR/<since>_<until>.*);
    their paths are printed on stdout. Several --repo give one report with a section each.

    \b
    Examples:
      commitdigest report                                  # today, current repository
      commitdigest report --repo . --date 2026-01-13 --tz Asia/Shanghai
      commitdigest report --repo a --repo b --since 2026-01-12 --until 2026-01-18 --lang en
      commitdigest report --repo . --date yesterday --format md --out /srv/reports
      commitdigest report --repo . --date yesterday --dry-run | less   # look first, write nothing
      commitdigest report --repo https://github.com/ai-dynamo/dynamo --date yesterday --tz Asia/Shanghai
      COMMITDIGEST_LLM_BASE_URL=http://127.0.0.1:8080/v1 COMMITDIGEST_LLM_MODEL=qwen \\
        commitdigest report --repo . --analyzer llm --llm-min-importance medium
    """
    from commitdigest import pipeline
    from commitdigest.window import check_not_future, make_window, parse_zone

    allow_future = llm_kwargs.pop("allow_future")  # not an LLM setting: keep it out of those
    zone = parse_zone(tz)
    first, last = _window_days(date_, since, until, zone)
    if not allow_future:
        check_not_future(last, zone, "--until" if since else "--date")
    lang = pipeline.check_language(lang)
    out = _out_dir(out_dir)
    fmts = check_formats(formats.split(","))
    if base_url is not None and not is_web_url(base_url):
        raise InputError(f"--base-url: '{base_url}' is not an http:// or https:// URL")
    request = pipeline.ReportRequest(
        repos=_repo_specs(repos or (".",), branch, names, web_urls),
        since=first, until=last, zone=zone, language=lang, date_field=date_field,
        use_cache=not no_cache, cache_dir=_cache_dir(cache_dir),
    )
    make_window(first, last, zone)  # reject --since after --until before touching any repository
    analyzer = _analyzer(ctx, config_path, llm_kwargs)  # bad LLM settings fail before any git work
    opened = pipeline.open_repos(request.repos, cache_dir=request.cache_dir)
    if not dry_run:
        check_writable(out)
    progress = _progress(quiet)
    result = pipeline.generate_report(request, analyzer=analyzer, progress=progress, repos=opened)
    if dry_run:
        from commitdigest.report.render import render_markdown

        click.echo(render_markdown(result), nl=False)
        _warn_model_trouble([result])
        return
    from commitdigest.job import output_lock

    # A `run` may hold the directory (writing its own reports and index): wait a little for it.
    with output_lock(out, wait=_lock_wait()):
        written = pipeline.write_report(result, out, fmts, first, last, base_url=base_url)
    for path in written:
        click.echo(str(path))
    _warn_model_trouble([result])


def _repo_specs(repos, branch, names, web_urls) -> list:
    """--name and --web-url pair with --repo by position: the first with the first, and so on."""
    for flag, given in (("--name", names), ("--web-url", web_urls)):
        if len(given) > len(repos):
            raise InputError(f"{flag} given {len(given)} times for {len(repos)} --repo; give at most one per --repo")
    from commitdigest.pipeline import RepoSpec

    return [RepoSpec(path=p, branch=branch, name=names[i] if i < len(names) else None,
                              web_url=web_urls[i] if i < len(web_urls) else None)
            for i, p in enumerate(repos)]


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("rev")
@click.option("--repo", default=".", show_default=True, metavar="PATH", help="Local repository.")
@click.option("--lang", default="zh", show_default=True, metavar="zh|en", help="Language of the analysis.")
@click.option("--tz", metavar="ZONE", help="Zone for the commit time shown (default: this machine's).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="Print the commit's Markdown block or its JSON record.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--cache-dir", envvar="COMMITDIGEST_CACHE_DIR", metavar="DIR", help="Cache directory.")
@click.option("--show-prompt", is_flag=True,
              help="Print the request an LLM analyzer would send for REV (JSON), and send nothing.")
@click.option("--explain", is_flag=True,
              help="Print the facts and each weight of REV's importance score, and analyse nothing.")
@click.option("--config", "config_path", metavar="FILE",
              help="Read the analyzer and [llm] settings from this config file (default: ./commitdigest.toml when present).")
@llm_options
@click.pass_context
def analyze(ctx, rev, repo, lang, tz, fmt, no_cache, cache_dir, show_prompt, explain, config_path,
            **llm_kwargs) -> None:
    """Print the analysis of one commit REV (a sha, branch, tag or HEAD~3).

    \b
    Examples:
      commitdigest analyze HEAD
      commitdigest analyze 7fdc742 --repo ~/src/dynamo --lang en --format json
      commitdigest analyze HEAD --analyzer llm --show-prompt
      commitdigest analyze HEAD --explain                 # why this tier: the score, weight by weight
    """
    from commitdigest import pipeline
    from commitdigest.window import parse_zone

    zone = parse_zone(tz)
    lang = pipeline.check_language(lang)
    analyzer = _analyzer(ctx, config_path, llm_kwargs)
    if explain:
        _explain(pipeline.read_one(repo, rev), analyzer.scoring, lang, fmt)
        return
    if show_prompt:
        preview = getattr(analyzer, "request_preview", None)
        if preview is None:
            raise InputError("--show-prompt needs an LLM analyzer: add --analyzer llm and its settings")
        commit = pipeline.read_one(repo, rev)
        click.echo(json.dumps(preview(commit, lang), ensure_ascii=False, indent=2))
        return
    entry, _ = pipeline.analyze_one(repo, rev, lang, zone, analyzer=analyzer, use_cache=not no_cache,
                                    cache_dir=_cache_dir(cache_dir))
    if fmt == "json":
        click.echo(json.dumps(entry.model_dump(mode="json", exclude={"anchor", "pr_url_base"}),
                              ensure_ascii=False, indent=2))
    else:
        from commitdigest.report.render import render_commit_markdown

        click.echo(terminal_safe(render_commit_markdown(entry, lang)), nl=False)


def _explain(commit, scoring, lang: str, fmt: str) -> None:
    from commitdigest.analysis import importance

    sc = importance.score(commit, scoring)
    if fmt == "json":
        click.echo(json.dumps({"sha": commit.sha, "subject": commit.subject, "tier": sc.tier.value,
                               "score": sc.record().model_dump(), "reason": importance.reason(sc, lang),
                               "facts": {"type": sc.commit_type, "insertions": sc.insertions,
                                         "deletions": sc.deletions, "files": sc.files,
                                         "file_class": sc.file_class, "class_counts": sc.class_counts,
                                         "signals": sc.signals}},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"{commit.short_sha} {commit.subject}")
    rows = importance.explain(sc, scoring)
    width = max(len(r[0]) for r in rows)
    facts = max(len(r[1]) for r in rows)
    for part, fact, weight in rows:
        click.echo(f"  {part:<{width}}  {fact:<{facts}}  {weight:>3}")
    click.echo(importance.reason(sc, lang))


@cli.command(epilog=EXIT_CODES_HELP)
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

    path = Path(target)
    if path.exists() and not force:
        raise InputError(f"{path} already exists: edit it, or pass --force to overwrite it")
    check_writable(path.parent if str(path.parent) else Path("."))
    write_atomic(path, files("commitdigest").joinpath("sample_config.toml").read_text(encoding="utf-8"))
    click.echo(str(path))


@cli.command(epilog=EXIT_CODES_HELP)
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
@click.option("--no-cache", is_flag=True, help="Analyse every commit again; do not read or write the cache.")
@click.option("--cache-dir", metavar="DIR", help="Cache directory [env COMMITDIGEST_CACHE_DIR].")
@click.option("--no-notify", is_flag=True, help="Write the reports but send no notification.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@llm_options
@click.pass_context
def run(ctx, config_path, date_, since, until, backfill, force, allow_future, tz, formats, out_dir, no_cache,
        cache_dir, no_notify, quiet, **llm_kwargs) -> None:
    """Report every repository of the config file, one report per day, then notify.

    Days already reported (all files exist, no repository or model call failed) are skipped unless
    --force, so a rerun, or a cron job that runs twice, writes nothing new and calls no analyzer. Remote repositories are
    mirrored in the cache directory and fetched incrementally. A repository that cannot be
    fetched or read is reported in its section and in the exit status (7); the others are still
    written. Notifications announce the newest report written.

    \b
    Examples:
      commitdigest run                             # yesterday, as configured
      commitdigest run --backfill 30               # the last 30 days, skipping those done
      commitdigest run --date 2026-01-13 --force --no-notify
      commitdigest run --config /etc/commitdigest.toml --quiet   # from cron
    """
    from datetime import timedelta

    from commitdigest import config as config_mod
    from commitdigest import job
    from commitdigest.window import check_not_future, make_window, parse_day, parse_zone

    cfg = config_mod.load(config_path)
    zone = parse_zone(tz or cfg.timezone)
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
    fmts = check_formats(formats.split(",") if formats else cfg.output.formats)
    analyzer = _analyzer(ctx, config_path, llm_kwargs)
    out = _out_dir(out_dir) if out_dir is not None else cfg.resolve(cfg.output.dir)
    cache = _cache_dir(cache_dir) or (cfg.resolve(cfg.cache_dir) if cfg.cache_dir else None)
    progress = _progress(quiet)
    if progress:  # mirrors can take a while on a first clone: say which one
        progress.start("mirrors", 0)
    try:
        result = job.run(cfg, days, zone, analyzer, formats=fmts, out_dir=out, force=force,
                         use_cache=not no_cache, cache_dir=cache, notify=not no_notify, progress=progress,
                         note=(lambda m: progress.start(m, 0)) if progress else (lambda _m: None))
    finally:
        if progress:
            progress.stop()  # also when every day was already reported and nothing else stopped it
    for path in result.written:
        click.echo(str(path))
    if result.skipped and not quiet:
        shown = ", ".join(d.isoformat() for d in result.skipped[:5]) + (" …" if len(result.skipped) > 5 else "")
        click.echo(f"commitdigest: {len(result.skipped)} day(s) already reported, skipped: {shown} "
                   "(--force regenerates)", err=True)
    for name, error in result.repo_errors.items():
        click.echo(f"commitdigest: warning: {name}: {error}", err=True)
    for error in result.delivery_errors:
        click.echo(f"commitdigest: warning: notification {error}", err=True)
    _warn_model_trouble([r for _, r in result.reports], result.partial)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--week", metavar="YYYY-Www", help="An ISO week, e.g. 2026-W47 (Monday to Sunday).")
@click.option("--month", metavar="YYYY-MM", help="A calendar month, e.g. 2026-11.")
@click.option("--since", metavar="D", help="First day of a custom period; same forms as report's --date.")
@click.option("--until", metavar="D", help="Last day of a custom period (default: yesterday).")
@click.option("--repo", "repos", multiple=True, metavar="PATH|URL",
              help="Repository to roll up; repeat for several. Default: the config file's repositories, "
                   "else the current directory.")
@click.option("--config", "config_path", metavar="FILE",
              help="Config file [env COMMITDIGEST_CONFIG; default: ./commitdigest.toml when present].")
@click.option("--tz", metavar="ZONE", help="IANA zone or offset; default: the config's, else this machine's.")
@click.option("--lang", metavar="zh|en", help="Language; default: the config's, else zh.")
@click.option("--format", "formats", default="md,json,html", show_default=True, metavar="LIST",
              help="Any of md, json, html (with inline SVG charts).")
@click.option("--out", "out_dir", metavar="DIR", help="Output directory (default: the config's, else reports); "
                                                       "the rollup goes to DIR/rollups/, or under layout = "
                                                       "\"per-repo\" to DIR/<year>/<repo>/rollups/.")
@click.option("--no-cache", is_flag=True, help="Analyse every commit again; do not read or write the cache.")
@click.option("--cache-dir", envvar="COMMITDIGEST_CACHE_DIR", metavar="DIR", help="Cache directory.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@llm_options
@click.pass_context
def rollup(ctx, week, month, since, until, repos, config_path, tz, lang, formats, out_dir, no_cache, cache_dir,
           quiet, **llm_kwargs) -> None:
    """Write the weekly, monthly or custom-period rollup of the daily reports.

    Per repository: commits per day by tier, the high-importance changes with a line each and a
    link to their daily report, the areas that changed most, the public definitions and
    dependency versions the period changed, the change-type mix, contributors, and the
    difference from the previous period; the HTML page and the site index draw them as charts.
    Built from the daily analyses in the cache (no model call for days already analysed); days
    not analysed yet are analysed first, and their daily reports are written when missing.
    Default: last week.

    \b
    Examples:
      commitdigest rollup                                  # last week, from commitdigest.toml
      commitdigest rollup --week 2026-W47 --lang en
      commitdigest rollup --month 2026-11 --repo ~/src/dynamo --out reports
      commitdigest rollup --since 2026-11-01 --until 2026-11-14 --format md
    """
    from commitdigest import config as config_mod
    from commitdigest import job, pipeline
    from commitdigest import rollup as rollup_mod
    from commitdigest.outputs import rollup as rollup_out
    from commitdigest.window import make_window, parse_day, parse_zone

    chosen = [name for name, v in (("--week", week), ("--month", month), ("--since", since)) if v]
    if len(chosen) > 1:
        raise InputError(f"use only one of --week, --month and --since/--until, not {' and '.join(chosen)}")
    if until and not since:
        raise InputError("--until needs --since")
    cfg = config_mod.load_optional(config_path)
    zone = parse_zone(tz or (cfg.timezone if cfg else None))
    language = pipeline.check_language(lang or (cfg.language if cfg else "zh"))
    fmts = check_formats(formats.split(","), rollup_out.FORMATS)
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
    analyzer = _analyzer(ctx, config_path, llm_kwargs)
    out = _out_dir(out_dir) if out_dir is not None else (cfg.resolve(cfg.output.dir) if cfg else Path("reports"))
    cache = _cache_dir(cache_dir) or (cfg.resolve(cfg.cache_dir) if cfg and cfg.cache_dir else None)
    check_writable(out)
    if repos or not cfg:
        tracked = [pipeline.Tracked.of(r)
                   for r in pipeline.open_repos([pipeline.RepoSpec(path=p) for p in repos or (".",)], cache_dir=cache)]
    else:
        from commitdigest.store import default_cache_dir

        tracked = job.open_tracked(cfg, cache or default_cache_dir(), 300.0)
    progress = _progress(quiet)
    written = []
    with job.output_lock(out, wait=_lock_wait()):
        # the config's layout decides where its repositories' rollups go; --repo: the flat one
        for place in job.rollup_places(None if repos else cfg, out, period):
            written += job.write_rollup(tracked, period, zone, analyzer, language=language,
                                        date_field=cfg.date_field if cfg else "committer", formats=fmts, out_dir=out,
                                        use_cache=not no_cache, cache_dir=cache, progress=progress,
                                        hosting=cfg.hosting if cfg else None, place=place)
        written += job.site_after_rollups(written, fmts, language, cfg.output.base_url if cfg else None,
                                          cfg.output.feed_quiet_days if cfg else False)
    for path in written:
        click.echo(str(path))


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


class _SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(super().format(record))


def _warnings_to_stderr() -> None:
    """Library warnings (a cache that cannot be written…) as one line each, like errors."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("commitdigest: warning: %(message)s"))
    logger = logging.getLogger("commitdigest")
    if not logger.handlers:
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def main(argv: list[str] | None = None) -> None:
    _warnings_to_stderr()
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
