"""A ``Rollup`` → Markdown, its JSON twin, and an HTML page with inline SVG charts.

Files go to ``DIR/rollups/<label>.{md,json,html}`` (``2026-W47``, ``2026-11``), beside the daily
reports they link to, and never among them: the site index and the feed read the daily twins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from commitdigest.kinds import AnalyzerKind
from commitdigest.outputs import charts
from commitdigest.outputs import formats as _registry
from commitdigest.outputs.files import ensure_dir, write_all
from commitdigest.outputs.html import csp
from commitdigest.outputs.text import clean, clean_tree
from commitdigest.outputs.urls import web_url_or_none
from commitdigest.report.render import md_cell, md_code, md_heading, md_inline, md_link_text, thousands
from commitdigest.rollup import AREAS_MAX, CONTRIBUTORS_MAX, SHOWN_MAX, Period, RepoRollup, Rollup
from commitdigest.vocab import EMOJI, counted, words

FOLDER = "rollups"
# The built-in formats that have a rollup page; ``formats.rollup_names()`` adds installed ones.
FORMATS = tuple(f.name for f in _registry.FORMATS.values() if f.rollup)

def title(rollup_period: Period, language: str) -> str:
    w = words(language).rollup["title"][rollup_period.kind]
    return w.format(label=rollup_period.label, since=rollup_period.since.isoformat(),
                    until=rollup_period.until.isoformat())


def _delta(now: int, before: int) -> str:
    d = now - before
    return f"+{d}" if d > 0 else str(d) if d < 0 else "±0"


def _summary(repo: RepoRollup, rollup: Rollup) -> str:
    w, t = words(rollup.language).rollup, repo.totals
    return w["summary"].format(this=w["this"][rollup.period.kind], n=t.commits, high=t.high, medium=t.medium,
                               low=t.low, people=t.contributors, ins=thousands(t.insertions),
                               dels=thousands(t.deletions), s="" if t.commits == 1 else "s",
                               ps="" if t.contributors == 1 else "s")


def _versus(repo: RepoRollup, rollup: Rollup) -> str:
    w, t, p = words(rollup.language).rollup, repo.totals, repo.previous
    prev = w["prev"][rollup.period.kind]
    if p is None:
        return w["no_previous"].format(prev=prev)
    return w["versus"].format(prev=prev, commits=_delta(t.commits, p.commits), high=_delta(t.high, p.high),
                              medium=_delta(t.medium, p.medium), low=_delta(t.low, p.low), n=p.commits)


def _charts(repo: RepoRollup, rollup: Rollup) -> dict[str, Markup]:
    v = words(rollup.language)
    w = v.rollup
    tier_names = {i.value: word for i, word in v.importance.items()}
    days = [(d.day.isoformat(), {"high": d.high, "medium": d.medium, "low": d.low}) for d in repo.days]
    type_words = {str(t): word for t, word in v.change_type.items()}  # the rollup counts types by name
    types = [(type_words.get(k, k), n) for k, n in repo.types.items()]
    return {
        "days": Markup(charts.stacked_days(days, w["chart_days"], tier_names)),
        "areas": Markup(charts.hbars([(a.area, a.lines) for a in repo.areas[:AREAS_MAX]], w["chart_areas"], w["lines"])),
        "types": Markup(charts.hbars(types, w["chart_types"], w["commits_word"], color="#6f42c1")),
    }


def _common(rollup: Rollup) -> dict:
    v = words(rollup.language)
    analyzer = (v.report["offline"] if rollup.generator == AnalyzerKind.heuristic
                else rollup.generator.removeprefix("llm:"))
    from commitdigest.analysis.uses_text import symbols

    return dict(r=rollup, analyzer=analyzer, W=v.rollup, EMOJI=EMOJI, IMP=v.importance, TYPE=v.change_type,
                summary=lambda repo: _summary(repo, rollup), versus=lambda repo: _versus(repo, rollup),
                counted=counted, SHOWN=SHOWN_MAX, AREAS=AREAS_MAX, PEOPLE=CONTRIBUTORS_MAX, U=v.uses,
                uses_symbols=lambda uses: symbols(uses, rollup.language))


@lru_cache(maxsize=1)
def _md_env() -> Environment:
    e = Environment(loader=PackageLoader("commitdigest", "outputs/templates"), autoescape=False,
                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    e.filters.update(inline=md_inline, cell=md_cell, code=md_code, heading=md_heading, link_text=md_link_text,
                     thousands=thousands, web_url=web_url_or_none)
    return e


@lru_cache(maxsize=1)
def _html_env() -> Environment:
    e = Environment(loader=PackageLoader("commitdigest", "outputs/templates"),
                    autoescape=select_autoescape(default=True, default_for_string=True),
                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    from commitdigest.outputs.html import prose

    e.filters.update(thousands=thousands, web_url=web_url_or_none, prose=prose)
    return e


def render_markdown(rollup: Rollup) -> str:
    return clean(_md_env().get_template("rollup.md.j2").render(**_common(rollup)))


def render_html(rollup: Rollup) -> str:
    return clean(_html_env().get_template("rollup.html.j2").render(
        **_common(rollup), charts=lambda repo: _charts(repo, rollup), lang=words(rollup.language).html["html_lang"],
        H=words(rollup.language).html, csp=csp(None)))


def combined(rollup: Rollup) -> RepoRollup:
    """The period's repositories as one: the days' tiers, types and totals summed, the areas of
    all of them ranked together (named ``repo: area`` when there are several)."""
    from collections import Counter

    from commitdigest.rollup import AreaChurn, DayTiers, Totals

    repos = rollup.repos
    days = {d: DayTiers(day=d) for d in rollup.period.days}
    for r in repos:
        for t in r.days:
            if t.day in days:
                for tier in ("high", "medium", "low"):
                    setattr(days[t.day], tier, getattr(days[t.day], tier) + getattr(t, tier))
    totals = Totals(**{f: sum(getattr(r.totals, f) for r in repos) for f in Totals.model_fields})
    types: Counter[str] = Counter()
    for r in repos:
        types.update(r.types)
    areas = [a.model_copy(update={"area": f"{r.name}: {a.area}"}) if len(repos) > 1 else a
             for r in repos for a in r.areas]
    areas.sort(key=lambda a: (-a.lines, -a.commits, a.area))
    return RepoRollup(name="", days=list(days.values()), totals=totals, types=dict(types.most_common()),
                      areas=[AreaChurn.model_validate(a.model_dump()) for a in areas[:AREAS_MAX]])


def charts_of(rollup: Rollup) -> dict[str, Markup]:
    """The three charts of a rollup's repositories taken together (the site index shows them)."""
    return _charts(combined(rollup), rollup)


def render_json(rollup: Rollup) -> str:
    return json.dumps(clean_tree(rollup.to_json_dict()), ensure_ascii=False, indent=2) + "\n"


def render(rollup: Rollup, formats: Sequence[str] = FORMATS) -> dict[str, str]:
    """suffix → text, through the registry of formats (an HTML page implies its JSON twin)."""
    from commitdigest.outputs.formats import render_rollup

    return render_rollup(rollup, formats)


def write(rollup: Rollup, out_dir: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """The rollup's files under ``out_dir/rollups/``: written together, or not at all. Under
    ``layout = "per-repo"`` ``out_dir`` is the repository's folder of the period's year."""
    rendered = render(rollup, formats)  # everything rendered before the first byte is written
    folder = ensure_dir(out_dir / FOLDER)
    order = sorted(rendered, key=lambda suffix: suffix == "md")  # the Markdown last: never without its twin
    return write_all({folder / f"{rollup.period.label}.{suffix}": rendered[suffix] for suffix in order})


def written(out_dir: Path) -> list[tuple[Rollup, Path, str]]:
    """The rollups written under ``out_dir/rollups/``: each record, its twin, and the page to
    link to from ``out_dir`` (the HTML page, else the Markdown, else the twin). A file that is
    not a rollup twin is skipped: the index and the feed list what they can read."""
    from commitdigest.errors import InputError
    from commitdigest.rollup import load_rollup

    found = []
    for twin in sorted((out_dir / FOLDER).glob("*.json")):
        try:
            rollup = load_rollup(twin)
        except (InputError, OSError):
            continue
        page = next((f"{FOLDER}/{twin.stem}.{ext}" for ext in ("html", "md") if twin.with_suffix(f".{ext}").is_file()),
                    f"{FOLDER}/{twin.name}")
        found.append((rollup, twin, page))
    return found


def path_of(out_dir: Path, label: str) -> Path:
    """The rollup's JSON twin: its presence says the rollup was written."""
    return out_dir / FOLDER / f"{label}.json"
