"""The command line: parse, call the library, turn domain errors into one line and an exit code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from commitdigest import __version__, pipeline
from commitdigest.analysis.factory import analyzer_from_options, llm_options
from commitdigest.errors import (
    EXIT_INTERNAL,
    EXIT_PARTIAL,
    EXIT_USAGE,
    CommitdigestError,
    InputError,
)
from commitdigest.outputs import check_formats
from commitdigest.outputs.files import check_writable, write_atomic
from commitdigest.window import make_window, parse_day, parse_zone

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  internal error (set COMMITDIGEST_DEBUG=1 for a traceback)
  2  bad input: option, date, time zone, language or format
  3  repository problem: missing path, not git, empty, unknown branch or revision
  4  configuration problem
  5  output problem: directory or cache not writable
  6  LLM settings problem
  7  partial failure: a repository or a delivery failed, the rest was written
  8  another run holds the lock on the output directory"""


class _Progress(pipeline.Progress):
    """A rich progress bar on stderr: only for a human watching a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._task = None
        self._bar.start()

    def start(self, label: str, total: int) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total or None)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def stop(self) -> None:
        self._bar.stop()


def _progress(quiet: bool) -> pipeline.Progress | None:
    if quiet or not sys.stderr.isatty():
        return None
    return _Progress()


def _window_days(date_: str | None, since: str | None, until: str | None, zone) -> tuple:
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

    cfg = config_mod.load_optional(config_path)
    if cfg and ctx.get_parameter_source("analyzer") == click.core.ParameterSource.DEFAULT:
        llm_kwargs["analyzer"] = cfg.analyzer
    return analyzer_from_options(llm_kwargs, file_values=cfg.llm if cfg else None)


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
@click.option("--config", "config_path", metavar="FILE",
              help="Read the analyzer and [llm] settings from this config file [env COMMITDIGEST_CONFIG; "
                   "default: ./commitdigest.toml when present].")
@llm_options
@click.pass_context
def report(ctx, repos, branch, names, web_urls, date_, since, until, tz, date_field, lang, formats, base_url,
           out_dir, no_cache, cache_dir, quiet, config_path, **llm_kwargs) -> None:
    """Write the report of a day (or a period) for one or more repositories.

    Files are named DIR/<date>.md and DIR/<date>.json (a period: DIR/<since>_<until>.*);
    their paths are printed on stdout. Several --repo give one report with a section each.

    \b
    Examples:
      commitdigest report                                  # today, current repository
      commitdigest report --repo . --date 2026-01-13 --tz Asia/Shanghai
      commitdigest report --repo a --repo b --since 2026-01-12 --until 2026-01-18 --lang en
      commitdigest report --repo . --date yesterday --format md --out /srv/reports
      commitdigest report --repo https://github.com/ai-dynamo/dynamo --date yesterday --tz Asia/Shanghai
      COMMITDIGEST_LLM_BASE_URL=http://127.0.0.1:8080/v1 COMMITDIGEST_LLM_MODEL=qwen \\
        commitdigest report --repo . --analyzer llm --llm-min-importance medium
    """
    zone = parse_zone(tz)
    first, last = _window_days(date_, since, until, zone)
    pipeline.check_language(lang)
    fmts = check_formats(formats.split(","))
    request = pipeline.ReportRequest(
        repos=_repo_specs(repos or (".",), branch, names, web_urls),
        since=first, until=last, zone=zone, language=lang, date_field=date_field,
        use_cache=not no_cache, cache_dir=_cache_dir(cache_dir),
    )
    make_window(first, last, zone)  # reject --since after --until before touching any repository
    analyzer = _analyzer(ctx, config_path, llm_kwargs)  # bad LLM settings fail before any git work
    opened = pipeline.open_repos(request.repos, cache_dir=request.cache_dir)
    check_writable(Path(out_dir))
    progress = _progress(quiet)
    result = pipeline.generate_report(request, analyzer=analyzer, progress=progress, repos=opened)
    for path in pipeline.write_report(result, Path(out_dir), fmts, first, last, base_url=base_url):
        click.echo(str(path))


def _repo_specs(repos, branch, names, web_urls) -> list:
    """--name and --web-url pair with --repo by position: the first with the first, and so on."""
    for flag, given in (("--name", names), ("--web-url", web_urls)):
        if len(given) > len(repos):
            raise InputError(f"{flag} given {len(given)} times for {len(repos)} --repo; give at most one per --repo")
    return [pipeline.RepoSpec(path=p, branch=branch, name=names[i] if i < len(names) else None,
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
@click.option("--config", "config_path", metavar="FILE",
              help="Read the analyzer and [llm] settings from this config file (default: ./commitdigest.toml when present).")
@llm_options
@click.pass_context
def analyze(ctx, rev, repo, lang, tz, fmt, no_cache, cache_dir, show_prompt, config_path, **llm_kwargs) -> None:
    """Print the analysis of one commit REV (a sha, branch, tag or HEAD~3).

    \b
    Examples:
      commitdigest analyze HEAD
      commitdigest analyze 7fdc742 --repo ~/src/dynamo --lang en --format json
      commitdigest analyze HEAD --analyzer llm --show-prompt
    """
    zone = parse_zone(tz)
    pipeline.check_language(lang)
    analyzer = _analyzer(ctx, config_path, llm_kwargs)
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

        click.echo(render_commit_markdown(entry, lang), nl=False)


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
@click.option("--tz", metavar="ZONE", help="Override the config's time zone.")
@click.option("--format", "formats", metavar="LIST", help="Override the config's formats: md,json,html,feed.")
@click.option("--out", "out_dir", metavar="DIR", help="Override the config's output directory.")
@click.option("--no-cache", is_flag=True, help="Analyse every commit again; do not read or write the cache.")
@click.option("--cache-dir", metavar="DIR", help="Cache directory [env COMMITDIGEST_CACHE_DIR].")
@click.option("--no-notify", is_flag=True, help="Write the reports but send no notification.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@llm_options
@click.pass_context
def run(ctx, config_path, date_, since, until, backfill, force, tz, formats, out_dir, no_cache, cache_dir,
        no_notify, quiet, **llm_kwargs) -> None:
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
    fmts = check_formats(formats.split(",") if formats else cfg.output.formats)
    analyzer = _analyzer(ctx, config_path, llm_kwargs)
    out = Path(out_dir) if out_dir else cfg.resolve(cfg.output.dir)
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
    if result.partial:
        sys.exit(EXIT_PARTIAL)


def _fail(message: str, code: int) -> None:
    click.echo(f"commitdigest: error: {message}", err=True)
    sys.exit(code)


def _warnings_to_stderr() -> None:
    """Library warnings (a cache that cannot be written…) as one line each, like errors."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("commitdigest: warning: %(message)s"))
    logger = logging.getLogger("commitdigest")
    if not logger.handlers:
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


def main(argv: list[str] | None = None) -> None:
    _warnings_to_stderr()
    try:
        code = cli.main(args=argv, prog_name="commitdigest", standalone_mode=False)
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
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the promise is one line, never a traceback
        if os.environ.get("COMMITDIGEST_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set COMMITDIGEST_DEBUG=1 for a traceback)",
              EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
