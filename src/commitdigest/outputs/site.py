"""The site's front page: every report in the directory with the repositories it covers and its
counts, newest first. Days without commits come last, folded into one row, so a backfill of quiet
days does not push the days that matter off the first screen. Weekly and monthly rollups come
first: the newest of each kind with its charts, then all of them as a list."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup
from pydantic import BaseModel

from commitdigest.models import Importance
from commitdigest.outputs.catalog import scan
from commitdigest.outputs.html import csp, env
from commitdigest.outputs.text import clean
from commitdigest.rollup import Rollup
from commitdigest.vocab import EMOJI, words


class RollupLink(BaseModel):
    rollup: Rollup
    page: str  # relative to the directory

    @property
    def total(self) -> int:
        return sum(r.totals.commits for r in self.rollup.repos)

    def count(self, level: str) -> int:
        return sum(getattr(r.totals, level) for r in self.rollup.repos)


def rollup_links(reports_dir: Path) -> list[RollupLink]:
    """The rollups under ``reports_dir/rollups/``, newest period first (a month before the week
    that ends on the same day); a file that is not a rollup twin is skipped."""
    from commitdigest.outputs.rollup import written

    found = [RollupLink(rollup=rollup, page=page) for rollup, _twin, page in written(reports_dir)]
    found.sort(key=lambda r: (r.rollup.period.until, r.rollup.period.since), reverse=True)
    return found


def _latest_of_each_kind(links: list[RollupLink]) -> list[tuple[RollupLink, dict[str, Markup]]]:
    """The newest rollup of each kind with its charts (commits per day by tier, churn by area,
    change types), all repositories of it taken together."""
    from commitdigest.outputs.rollup import charts_of

    seen: set[str] = set()
    out = []
    for link in links:
        if link.rollup.period.kind not in seen and link.total:
            seen.add(link.rollup.period.kind)
            out.append((link, charts_of(link.rollup)))
    return out


def render_index(reports_dir: Path, language: str) -> str:
    catalog = scan(reports_dir)
    w = words(language)
    rollups = rollup_links(reports_dir)
    return clean(env().get_template("index.html.j2").render(
        rollups=rollups, latest=_latest_of_each_kind(rollups), W=w.rollup,
        catalog=catalog, title=w.html["index_title"], H=w.html, lang=w.html["html_lang"],
        active=[e for e in catalog.entries if not e.quiet], quiet=[e for e in catalog.entries if e.quiet],
        csp=csp(None), LEVELS=[(i.value, EMOJI[i], w.importance[i])
                               for i in (Importance.high, Importance.medium, Importance.low)],
    ))
