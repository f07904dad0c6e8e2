"""The site's front page: every report in the directory with the repositories it covers and its
counts, newest first. Days without commits come last, folded into one row, so a backfill of quiet
days does not push the days that matter off the first screen."""

from __future__ import annotations

from pathlib import Path

from commitdigest.models import Importance
from commitdigest.outputs.catalog import scan
from commitdigest.outputs.html import csp, env
from commitdigest.outputs.text import clean
from commitdigest.vocab import EMOJI, words


def render_index(reports_dir: Path, language: str) -> str:
    catalog = scan(reports_dir)
    w = words(language)
    return clean(env().get_template("index.html.j2").render(
        catalog=catalog, title=w.html["index_title"], H=w.html, lang=w.html["html_lang"],
        active=[e for e in catalog.entries if not e.quiet], quiet=[e for e in catalog.entries if e.quiet],
        csp=csp(None), LEVELS=[(i.value, EMOJI[i], w.importance[i])
                               for i in (Importance.high, Importance.medium, Importance.low)],
    ))
