"""The output formats: name → how its files are made. The one place a format is described.

A format writes a file per report (``<stem>.<suffix>``), a file for the whole directory built
from every report's JSON twin there (``index.html``, ``feed.xml``), or both. Directory-level
files read the twins, so a format that has one implies writing the twin. Rollups use the same
names with their own renderers (``rollup``), for the formats that have one.

Adding a format is one new module with its renderer and one entry point naming its ``Format``
(``[project.entry-points."commitdigest.formats"]``, see ``commitdigest.plugins``), in this
package's ``pyproject.toml`` or another package's; the built-in ones are the lines of
:data:`FORMATS`. Renderers are imported on first use: naming the formats (``--help``, the config
check) must not load jinja or the report models, and installed formats are looked up only when
a name is not a built-in one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commitdigest.models import CommitEntry, Report


def _lazy(target: str) -> Callable[..., Any]:
    """``"module:function"`` → a callable that imports the module on its first call."""
    module, name = target.split(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


@dataclass(frozen=True)
class SiteContext:
    """What a directory-level file knows besides the twins on disk."""

    language: str
    base_url: str | None = None
    feed_quiet_days: bool = False


@dataclass(frozen=True)
class Format:
    name: str
    #: per-report file suffix and its renderer (Report → text, or bytes already UTF-8 encoded,
    #: which are written as they are); None: no per-report file
    suffix: str | None = None
    render: Callable[[Report], str | bytes | bytearray] | None = None
    #: directory-level file name and its renderer (directory, SiteContext → text)
    site_file: str | None = None
    render_site: Callable[[Path, SiteContext], str] | None = None
    #: the rollup's renderer (Rollup → text) when this format has a rollup page
    rollup: Callable[[Any], str] | None = None
    #: renders each commit's piece of the per-report file ahead (entries, language), kept on the
    #: entry for ``render``: called as each batch is analysed, while git reads the next one, so
    #: a long period's files are mostly made by the time git is done
    prepare: Callable[[Sequence[CommitEntry], str], None] | None = None

    @property
    def needs_twin(self) -> bool:
        """Directory-level files are built from the JSON twins, so they need one per report."""
        return self.site_file is not None


def _index(directory: Path, ctx: SiteContext) -> str:
    return _lazy("commitdigest.outputs.site:render_index")(directory, ctx.language)


def _feed(directory: Path, ctx: SiteContext) -> str:
    return _lazy("commitdigest.outputs.feed:render_feed")(directory, ctx.language, ctx.base_url,
                                                          quiet_days=ctx.feed_quiet_days)


# The registry, in the order files are listed and written (the Markdown is renamed into place
# last whatever its position: readers look for it first).
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("md", suffix="md", render=_lazy("commitdigest.report.render:render_markdown"),
           rollup=_lazy("commitdigest.outputs.rollup:render_markdown"),
           prepare=_lazy("commitdigest.report.render:prepare_markdown")),
    Format("json", suffix="json", render=_lazy("commitdigest.report.render:render_json_bytes"),
           rollup=_lazy("commitdigest.outputs.rollup:render_json")),
    Format("html", suffix="html", render=_lazy("commitdigest.outputs.html:render_html"),
           site_file="index.html", render_site=_index, rollup=_lazy("commitdigest.outputs.rollup:render_html")),
    Format("feed", site_file="feed.xml", render_site=_feed),
)}

TWIN = "json"
_discovered = False


def discover() -> dict[str, Format]:
    """The registry with the formats installed packages add (read once; a built-in name wins)."""
    global _discovered
    if not _discovered:
        from commitdigest import plugins

        for _ep, fmt in plugins.load(plugins.FORMATS, Format):
            FORMATS.setdefault(fmt.name, fmt)
        _discovered = True
    return FORMATS


def get(name: str) -> Format | None:
    """The format called ``name``, built in or installed."""
    return FORMATS.get(name) or discover().get(name)


def _wanted(formats: Sequence[str]) -> set[str]:
    wanted = {f for f in formats if get(f) is not None}
    if any(FORMATS[f].needs_twin for f in wanted):
        wanted.add(TWIN)
    return wanted


def report_formats(formats: Sequence[str]) -> list[Format]:
    """The formats that write a per-report file, the twin included when another needs it."""
    wanted = _wanted(formats)
    return [f for f in FORMATS.values() if f.name in wanted and f.suffix]


def report_files(formats: Sequence[str]) -> list[str]:
    """The per-report file suffixes ``formats`` produce."""
    return [f.suffix for f in report_formats(formats) if f.suffix]


def preparer(formats: Sequence[str]) -> Callable[[Sequence[CommitEntry], str], None] | None:
    """What renders ahead the pieces of the per-report files ``formats`` write (``Format.prepare``);
    ``None`` when none of them does."""
    steps = [f.prepare for f in report_formats(formats) if f.render and f.prepare]
    if not steps:
        return None

    def prepare(entries: Sequence[CommitEntry], language: str) -> None:
        for step in steps:
            step(entries, language)

    return prepare


def render_report(report: Report, formats: Sequence[str]) -> dict[str, str]:
    """suffix → text of every per-report file."""
    return {suffix: _text(make()) for suffix, make in report_contents(report, formats).items()}


def _text(content: str | bytes | bytearray) -> str:
    return content if isinstance(content, str) else content.decode("utf-8")


def report_contents(report: Report, formats: Sequence[str]) -> dict[str, Callable[[], str | bytes | bytearray]]:
    """suffix → a function that renders that per-report file (text or UTF-8 bytes). Nothing is
    rendered until it is called: the writer renders each file in turn and lets it go before the
    next, so a long period's report never holds its Markdown, twin and page at once."""
    return {f.suffix: partial(f.render, report) for f in report_formats(formats) if f.suffix and f.render}


def site_formats(formats: Sequence[str]) -> list[Format]:
    _wanted(formats)  # installed formats asked for are in the registry from here
    return [FORMATS[f] for f in FORMATS if f in formats and FORMATS[f].site_file]


def rollup_names() -> tuple[str, ...]:
    """The formats that have a rollup page, installed ones included."""
    return tuple(f.name for f in discover().values() if f.rollup)


def render_rollup(rollup: Any, formats: Sequence[str]) -> dict[str, str]:
    """suffix → text of the rollup's files; an HTML page implies its JSON twin, as for reports."""
    wanted = {f for f in formats if (fmt := get(f)) is not None and fmt.rollup}
    if any(FORMATS[f].needs_twin for f in wanted):
        wanted.add(TWIN)
    return {f.suffix: f.rollup(rollup) for f in FORMATS.values() if f.name in wanted and f.suffix and f.rollup}
