"""The site's front page: every report in the directory, newest first, with its counts."""

from __future__ import annotations

from pathlib import Path

from commitdigest.models import Importance
from commitdigest.outputs.catalog import scan
from commitdigest.outputs.html import HTML_WORDS, csp, env, html_lang
from commitdigest.report.labels import EMOJI, IMPORTANCE_WORD

INDEX_TITLE = {"zh": "更新报告", "en": "Update reports"}


def render_index(reports_dir: Path, language: str) -> str:
    catalog = scan(reports_dir)
    return env().get_template("index.html.j2").render(
        catalog=catalog, title=INDEX_TITLE[language], H=HTML_WORDS[language], lang=html_lang(language),
        csp=csp(None), LEVELS=[(i.value, EMOJI[i], IMPORTANCE_WORD[language][i])
                               for i in (Importance.high, Importance.medium, Importance.low)],
    )
