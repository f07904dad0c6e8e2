"""Where a run's files go, and how its pages reach each other: the one statement of the layout.

``layout = "daily"`` (the default): one report a day with a section per repository,
``DIR/<date>.{md,json,html}``; rollups in ``DIR/rollups/``; the site (``index.html``,
``feed.xml``) in ``DIR``.

``layout = "per-repo"``: one report per repository per day, ``DIR/<year>/<repo>/<date>.*`` (the
earlier system's places); each repository's rollups in ``DIR/<year>/<repo>/rollups/`` (the year
the label names: ``2025-W01`` goes to ``2025/``), and a site in each of those folders.

Either way the work comes in :class:`Unit` s — the repositories reported together into one folder
(all of them, or one) — and everything that names a place asks this module: ``run``'s "already
reported" check and its writes, the rollups' links to their days, the site, and the links the
notifications carry. A link to a day that has no file is ``None``: the page shows plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from commitdigest.rollup import Period

Kind = Literal["daily", "per-repo"]
ROLLUPS = "rollups"  # the rollups' folder inside a unit's folder (outputs.rollup.FOLDER)


def report_stem(since: date, until: date) -> str:
    """A report's file name without its suffix: the day, or ``<since>_<until>`` for a period."""
    return since.isoformat() if since == until else f"{since.isoformat()}_{until.isoformat()}"


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


@dataclass(frozen=True)
class Unit:
    """Repositories reported together into one folder: every repository of the run (daily), or
    one (per-repo, ``folder`` its folder name under each year)."""

    names: tuple[str, ...]
    folder: str | None = None

    @property
    def label(self) -> str:
        return self.folder or "all"


@dataclass(frozen=True)
class Layout:
    out: Path
    kind: Kind = "daily"
    names: tuple[str, ...] = ()

    @property
    def units(self) -> list[Unit]:
        if self.kind != "per-repo":
            return [Unit(self.names)]
        return [Unit((name,), folder) for name, folder in repo_folders(self.names).items()]

    # ------------------------------------------------------------------------------- days

    def day_folder(self, unit: Unit, day: date) -> Path:
        return self.out if unit.folder is None else self.out / f"{day.year:04d}" / unit.folder

    def day_file(self, unit: Unit, day: date, suffix: str) -> Path:
        return self.day_folder(unit, day) / f"{report_stem(day, day)}.{suffix}"

    # ---------------------------------------------------------------------------- rollups

    def rollup_folder(self, unit: Unit, period: Period) -> Path:
        """The folder whose ``rollups/`` holds the unit's rollup of ``period`` (and whose site lists it)."""
        return self.out if unit.folder is None else self.out / period.year / unit.folder

    def rollup_twin(self, unit: Unit, period: Period) -> Path:
        """The rollup's JSON twin: its presence says the rollup was written."""
        return self.rollup_folder(unit, period) / ROLLUPS / f"{period.label}.json"

    def day_links(self, unit: Unit, period: Period) -> DayLinks:
        """How the unit's rollup of ``period`` reaches its days' reports."""
        return DayLinks(self, unit, self.rollup_folder(unit, period) / ROLLUPS)

    # ----------------------------------------------------------------------- publishing

    def url(self, base_url: str | None, path: Path | None = None) -> str | None:
        """Where ``path`` (a file under the output directory; None: the directory itself) is
        published under ``base_url``; None without a base URL."""
        if not base_url:
            return None
        base = base_url.rstrip("/") + "/"
        return base if path is None else base + path.relative_to(self.out).as_posix()


@dataclass(frozen=True)
class DayLinks:
    """Links from one rollup's folder to the daily reports of its unit: to the Markdown and to
    the HTML page of a day, each only when that file is there."""

    layout: Layout
    unit: Unit
    start: Path

    def markdown(self, day: date) -> str | None:
        return self._link(day, "md")

    def page(self, day: date) -> str | None:
        return self._link(day, "html")

    def _link(self, day: date, suffix: str) -> str | None:
        # Up to the output directory, then down to the day: the same shape from every rollup of a
        # layout, whichever year the day falls in (``../../../2024/alpha/2024-12-31.md``).
        target = self.layout.day_file(self.unit, day, suffix)
        if not target.is_file():
            return None
        up = "../" * len(self.start.relative_to(self.layout.out).parts)
        return up + target.relative_to(self.layout.out).as_posix()
