"""The site's front page: every report in the directory with the repositories it covers and its
counts, newest first. Days without commits come last, folded into one row, so a backfill of quiet
days does not push the days that matter off the first screen."""

from __future__ import annotations

from pathlib import Path

from commitdigest.models import Importance
from commitdigest.outputs.catalog import scan
from commitdigest.outputs.html import HTML_WORDS, csp, env, html_lang
from commitdigest.outputs.text import clean
from commitdigest.report.labels import EMOJI, IMPORTANCE_WORD

INDEX_TITLE = {"zh": "更新报告", "en": "Update reports"}


def render_index(reports_dir: Path, language: str) -> str:
    catalog = scan(reports_dir)
    return clean(env().get_template("index.html.j2").render(
        catalog=catalog, title=INDEX_TITLE[language], H=HTML_WORDS[language], lang=html_lang(language),
        active=[e for e in catalog.entries if not e.quiet], quiet=[e for e in catalog.entries if e.quiet],
        csp=csp(None), LEVELS=[(i.value, EMOJI[i], IMPORTANCE_WORD[language][i])
                               for i in (Importance.high, Importance.medium, Importance.low)],
    ))
