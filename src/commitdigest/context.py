"""One command's settings, resolved once: flags > environment > config file > defaults.

``report``, ``run``, ``rollup`` and ``analyze`` each build a :class:`RunContext` with
:func:`resolve`, the same way, so a ``commitdigest.toml`` in the working directory (or
``--config``, or ``$COMMITDIGEST_CONFIG``) means the same thing to each: its repositories, zone,
language, date field, git time limit, cache, hosting settings, importance weights, analyzer and
output settings. The environment (``config.environment``: one prefix, ``__`` between nested
keys) lies over the file, and the command's flags over both. Every stage then reads the context
instead of being handed the same keyword arguments again.

Per-repository settings are resolved here too, into one :class:`Source` per repository: flags
that apply to the run (``--branch``) over the repository's ``[[repos]]`` table over the
defaults. A new per-repository setting is one field of ``config.RepoConfig``, one field of
``Source`` and one line of :func:`_sources`.

The context also holds what a run shares between its passes: the analysis cache, opened once
and closed when the command ends, and the hosting API's state (requests spent, limits met).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commitdigest import config as config_mod
from commitdigest.config import Config
from commitdigest.errors import CommitdigestError, InputError
from commitdigest.kinds import Language

if TYPE_CHECKING:
    from commitdigest.analysis.base import Analyzer
    from commitdigest.git.mirror import MirrorKind
    from commitdigest.hosting import HostingRun
    from commitdigest.layout import Layout
    from commitdigest.models import Report
    from commitdigest.pipeline import Span, Tracked
    from commitdigest.progress import Progress
    from commitdigest.rollup import CommitFacts, DayLinks, Period, Rollup
    from commitdigest.store import Store
    from commitdigest.window import Zone


@dataclass(frozen=True)
class Flags:
    """What a command's flags say about the shared settings; ``None`` (or empty) is "not given"."""

    config: str | None = None
    repos: tuple[str, ...] = ()
    branch: str | None = None
    names: tuple[str, ...] = ()
    web_urls: tuple[str, ...] = ()
    tz: str | None = None
    lang: str | None = None
    date_field: str | None = None
    formats: str | None = None
    out: str | None = None
    base_url: str | None = None
    no_cache: bool = False
    cache_dir: str | None = None
    quiet: bool = False
    #: ``--no-semantic`` (False); None: the config's ``semantic``
    semantic: bool | None = None
    #: ``--uses``: the reader's code, checked against every repository of the run
    uses: tuple[str, ...] = ()
    #: the analyzer and LLM flags (``analysis.factory.llm_options``)
    llm: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """One repository of the run with every setting of it resolved."""

    location: str  # a URL, or a path made absolute
    name: str | None = None
    branch: str | None = None
    web_url: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    importance: dict[str, Any] = field(default_factory=dict)
    mirror: MirrorKind = "auto"
    #: folders of the reader's code to find uses of the changed symbols in (absolute)
    uses: tuple[Path, ...] = ()
    #: named on the command line: a bad web URL is bad input, and an unreadable repository ends
    #: the command (from a config, a repository that cannot be read is a section's error)
    from_flags: bool = False


@dataclass
class RunContext:
    config: Config
    sources: list[Source]
    zone: Zone
    language: Language
    date_field: str
    git_timeout: float
    cache_dir: Path
    use_cache: bool
    analyzer: Analyzer
    hosting: HostingRun
    out: Path
    formats: list[str]
    base_url: str | None
    lock_wait: float
    #: read the changed code (``Config.semantic``)
    semantic: bool = True
    progress: Progress | None = None
    _store: Store | None = None
    _store_opened: bool = False
    #: the reader's code indexed this run, shared by the repositories checked against it
    _code_indexes: dict = field(default_factory=dict)

    # ----------------------------------------------------------------------- the store

    @property
    def store(self) -> Store | None:
        """The analysis cache, opened on first use and kept for the command (None: --no-cache)."""
        if self.use_cache and not self._store_opened:
            from commitdigest.store import Store

            self._store = Store(self.cache_dir)
            self._store_opened = True
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def __enter__(self) -> RunContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------- the repositories

    def layout(self) -> Layout:
        """Where ``run`` puts its files (``[output] layout``), for the config's repositories."""
        from commitdigest.layout import Layout

        return Layout(self.out, self.config.output.layout, tuple(self.names()))

    def names(self) -> list[str]:
        """The sections' names, known before any repository is opened (config repositories)."""
        return [s.name or Path(s.location).name for s in self.sources]

    def note(self, message: str) -> None:
        """A progress line for the user (a mirror being cloned), when a progress bar is shown."""
        if self.progress is not None:
            self.progress.start(message, 0)

    def open(self, only: set[str] | None = None) -> list[Tracked]:
        """Every source (or the ``only`` ones, by name) as a report source. Remote ones are
        mirrored into the cache first. A source named by a flag that cannot be opened raises
        (bad input: exit 3); one from the config becomes its section's error."""
        from commitdigest import pipeline
        from commitdigest.git.mirror import redact_url
        from commitdigest.git.repo import checked_web_links, distinct_names

        for s in self.sources:  # bad input fails before any clone
            if s.from_flags and s.web_url:
                checked_web_links(s.web_url)
        tracked: list[Tracked] = []
        for s in self.sources:
            if only is not None and s.name not in only:
                continue
            t = pipeline.Tracked(name=s.name or "", include=list(s.include), exclude=list(s.exclude),
                                 importance=dict(s.importance), semantic=self.semantic,
                                 uses=_reader_code(s.uses, self._code_indexes))
            try:
                t.repo = pipeline.open_source(s.location, branch=s.branch, name=s.name, web_url=s.web_url,
                                              cache_dir=self.cache_dir, timeout=self.git_timeout, mirror=s.mirror,
                                              strict_links=s.from_flags, note=self.note)
            except CommitdigestError as exc:
                if s.from_flags:
                    raise
                t.error = redact_url(exc.message)
            tracked.append(t)
        opened = [t.repo for t in tracked if t.repo is not None]
        if len(opened) == len(tracked) and all(s.from_flags for s in self.sources):
            # sections named by their remotes: two of them never share a name
            named = distinct_names(opened)
            for t, repo in zip(tracked, named, strict=True):
                t.repo, t.name = repo, repo.name
        else:
            for t in tracked:
                if t.repo is not None and not t.name:
                    t.name = t.repo.name
        return tracked

    # ------------------------------------------------------------------ the generation core

    def generate(self, windows: Sequence[Span], tracked: Sequence[Tracked], *, fail_fast: bool = False,
                 facts: dict[str, CommitFacts] | None = None) -> list[Report]:
        """``pipeline.generate`` with this context's zone, language, analyzer, cache, git limit,
        hosting state and progress; the pieces of its formats' files rendered as it goes."""
        from commitdigest import pipeline
        from commitdigest.outputs.formats import preparer

        return pipeline.generate(windows, tracked, self.analyzer, self.store, zone=self.zone, language=self.language,
                                 date_field=self.date_field, progress=self.progress, git_timeout=self.git_timeout,
                                 hosting=self.hosting, fail_fast=fail_fast, facts=facts,
                                 prepare=preparer(self.formats))

    def generate_days(self, tracked: Sequence[Tracked], days: Sequence[date]) -> list[tuple[date, Report]]:
        from commitdigest.pipeline import Span

        ordered = sorted(set(days))
        return list(zip(ordered, self.generate([Span(d, d) for d in ordered], tracked), strict=True))

    def generate_rollup(self, tracked: Sequence[Tracked], period: Period, links: DayLinks | None = None,
                        before_fold: Callable[[list[tuple[date, Report]]], None] | None = None,
                        ) -> tuple[Rollup, list[tuple[date, Report]]]:
        """The rollup of ``period`` over ``tracked``. ``before_fold`` gets the period's daily
        reports before the rollup is folded (to write those the command writes); ``links`` are
        asked while it is folded, so the rollup links to what is on disk by then."""
        from commitdigest import pipeline

        return pipeline.generate_rollup(tracked, period, self.zone, language=self.language, date_field=self.date_field,
                                        analyzer=self.analyzer, store=self.store, progress=self.progress,
                                        git_timeout=self.git_timeout, hosting=self.hosting, links=links,
                                        before_fold=before_fold)


def _reader_code(roots: tuple[Path, ...], indexes: dict) -> Any:
    if not roots:
        return None
    from commitdigest.uses.stage import ReaderCode

    return ReaderCode(roots=roots, indexes=indexes)


# ------------------------------------------------------------------------------ resolution


def resolve(flags: Flags, *, default_formats: str | None = None) -> RunContext:
    """The command's context. Every check of a setting happens here, before any repository is
    read: a bad zone, language, format or LLM setting is one message and its exit code.
    ``default_formats`` is a command's own default when neither flags nor the environment nor
    the file name formats (``rollup``'s pages)."""
    from commitdigest.analysis.factory import analyzer_from_options
    from commitdigest.hosting import HostingRun
    from commitdigest.outputs import check_formats
    from commitdigest.outputs.urls import is_web_url
    from commitdigest.pipeline import check_language
    from commitdigest.store import default_cache_dir
    from commitdigest.window import parse_zone

    cfg = config_mod.settings(flags.config)
    zone = parse_zone(flags.tz or cfg.timezone)
    language = check_language(flags.lang) if flags.lang else cfg.language
    if flags.formats is not None:
        formats = check_formats(flags.formats.split(","))
    elif default_formats is not None and "formats" not in cfg.output.model_fields_set:
        formats = check_formats(default_formats.split(","))
    else:
        formats = list(cfg.output.formats)
    if flags.out is not None:
        if not flags.out.strip():
            raise InputError("--out: give a directory (an empty one would mean the current directory)")
        out = Path(flags.out).expanduser()
    else:
        out = cfg.resolve(cfg.output.dir, "output.dir")
    if flags.base_url is not None and not is_web_url(flags.base_url):
        raise InputError(f"--base-url: '{flags.base_url}' is not an http:// or https:// URL")
    if flags.cache_dir:
        cache = Path(flags.cache_dir).expanduser()
    elif cfg.cache_dir:
        cache = cfg.resolve(cfg.cache_dir, "cache_dir")
    else:
        cache = default_cache_dir()
    # Built now: bad LLM settings fail before any git work. The environment's [llm] values are in
    # the config already (one reading of the environment), laid over the file's.
    analyzer = analyzer_from_options(dict(flags.llm), env={}, file_values={**cfg.llm, **cfg.llm_env},
                                     importance=cfg.importance, default=cfg.analyzer)
    semantic = cfg.semantic if flags.semantic is None else flags.semantic
    sources = _sources(cfg, flags)
    if not semantic and any(s.uses for s in sources):
        raise InputError("uses needs the changed code read: drop --no-semantic (or semantic = false) "
                         "or the uses folders")
    return RunContext(
        config=cfg, sources=sources, zone=zone, language=language, semantic=semantic,
        date_field=flags.date_field or cfg.date_field.value, git_timeout=cfg.git_timeout, cache_dir=cache,
        use_cache=not flags.no_cache, analyzer=analyzer, hosting=HostingRun.with_tokens(cfg.hosting, os.environ),
        out=out, formats=formats, base_url=flags.base_url or cfg.output.base_url, lock_wait=cfg.lock_wait)


def _sources(cfg: Config, flags: Flags) -> list[Source]:
    """The run's repositories: ``--repo`` (paths relative to the working directory), else the
    config's ``[[repos]]`` (paths relative to the file), else the working directory. Each
    repository's settings are resolved here and nowhere else: a flag for the whole run
    (``--branch``) over the repository's own table over the run's (``mirror``) over the default."""
    from commitdigest.sources import is_path

    for flag, given in (("--name", flags.names), ("--web-url", flags.web_urls)):
        if len(given) > len(flags.repos):
            if not flags.repos:
                raise InputError(f"{flag} names a --repo: give it with --repo")
            raise InputError(f"{flag} given {len(given)} times for {len(flags.repos)} --repo; "
                             "give at most one per --repo")
    uses = _uses_flags(flags.uses)
    if flags.repos:
        return [Source(location=str(Path(r).expanduser().absolute()) if is_path(r) else r, branch=flags.branch,
                       name=flags.names[i] if i < len(flags.names) else None,
                       web_url=flags.web_urls[i] if i < len(flags.web_urls) else None,
                       mirror=cfg.mirror, uses=uses, from_flags=True)
                for i, r in enumerate(flags.repos)]
    if not cfg.repos:
        return [Source(location=str(Path(".").absolute()), branch=flags.branch, mirror=cfg.mirror, uses=uses,
                       from_flags=True)]
    base = cfg.source.parent if cfg.source else None
    return [Source(location=rc.location(base), name=rc.display_name(), branch=flags.branch or rc.branch,
                   web_url=rc.web_url, include=tuple(rc.include), exclude=tuple(rc.exclude),
                   importance=dict(rc.importance), mirror=rc.mirror or cfg.mirror,
                   uses=uses or tuple(cfg.resolve(u).absolute() for u in rc.uses))
            for rc in cfg.repos]


def _uses_flags(given: tuple[str, ...]) -> tuple[Path, ...]:
    """``--uses`` folders, made absolute; one that is not a folder is bad input."""
    out: list[Path] = []
    for u in given:
        if not u.strip():
            raise InputError("--uses: give the folder of your code")
        p = Path(u).expanduser().absolute()
        if not p.is_dir():
            raise InputError(f"--uses: {u} is not a folder")
        if p not in out:
            out.append(p)
    return tuple(out)


@contextmanager
def opened(flags: Flags, **options: Any) -> Iterator[RunContext]:
    """``resolve``, closed when the command ends (the cache, the progress bar)."""
    ctx = resolve(flags, **options)
    try:
        yield ctx
    finally:
        ctx.close()
