"""One report as a standalone HTML page, rendered from the Report record (not from the Markdown).

Autoescaping is on for every template here: whatever a commit message or an analyzer says is
text, never markup. The one script (the importance filter) is ours and allowed by its hash in the
page's Content-Security-Policy, so even an escaping mistake could not run an injected handler.
The page reads fine with scripts off: the filter only hides what is already there.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from commitdigest.models import CommitEntry, Importance, Report
from commitdigest.outputs.text import clean, code_spans
from commitdigest.outputs.urls import web_url_or_none
from commitdigest.report.render import (
    _tiers,
    analyzer_label,
    coverage_line,
    finalize,
    thousands,
)
from commitdigest.vocab import EMOJI, counted, words

# The importance filter. Kept tiny and free of any data from the report: its hash goes in the CSP.
FILTER_SCRIPT = """
document.querySelectorAll('input[data-filter]').forEach(function (box) {
  box.addEventListener('change', function () {
    var level = box.getAttribute('data-filter');
    document.querySelectorAll('[data-importance="' + level + '"]').forEach(function (el) {
      el.hidden = !box.checked;
    });
  });
});
document.documentElement.classList.add('js');
"""


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def csp(script: str | None) -> str:
    scripts = f"'{script_hash(script)}'" if script else "'none'"
    return (f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src 'none'; "
            "base-uri 'none'; form-action 'none'")


def page_stats(report: Report) -> dict[str, int]:
    totals = {"total": 0, "high": 0, "medium": 0, "low": 0}
    for repo in report.repos:
        for key in totals:
            totals[key] += getattr(repo.stats, key)
    return totals


def subject_parts(entry: CommitEntry) -> tuple[str, str | None]:
    """The subject without its trailing "(#N)", and the PR link that replaces it (when there is a
    forge to link to; otherwise the subject is shown whole)."""
    if not (entry.pr and entry.pr_url_base):
        return entry.subject, None
    suffix = f"(#{entry.pr})"
    text = entry.subject[: -len(suffix)].rstrip() if entry.subject.endswith(suffix) else entry.subject
    return text, f"{entry.pr_url_base}{entry.pr}"


def prose(text: object) -> Markup:
    """Analyzer text with its Markdown code spans (`name`, ``a`b``) shown as <code>: the rest is
    escaped text, and so is each span's content. A backtick run with no closing run of the same
    length is text, as CommonMark reads it."""
    out: list[str] = []
    for kind, piece in code_spans(str(text or "")):
        if kind == "code":
            ticks = len(piece) - len(piece.lstrip("`"))
            inner = piece[ticks:-ticks]
            if inner.startswith(" ") and inner.endswith(" ") and inner.strip():
                inner = inner[1:-1]  # CommonMark strips one space each side
            out.append(f"<code>{escape(inner)}</code>")
        else:
            out.append(str(escape(piece)))
    return Markup("".join(out))


@lru_cache(maxsize=1)
def env() -> Environment:
    # No bytecode cache: Jinja's on-disk cache unpickles whatever file sits in its directory.
    e = Environment(
        loader=PackageLoader("commitdigest", "outputs/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
    )
    # Links only to http(s): a damaged or hand-edited twin cannot put "javascript:" in an href.
    e.filters.update(thousands=thousands, web_url=web_url_or_none, prose=prose)
    from commitdigest.analysis import uses_text

    e.globals.update(EMOJI=EMOJI, counted=counted, tiers=_tiers, coverage_line=coverage_line, subject_parts=subject_parts,
                     LEVELS=[i.value for i in (Importance.high, Importance.medium, Importance.low)],
                     uses_lines=uses_text.lines, uses_top=uses_text.top_line, uses_problems=uses_text.problems_line,
                     uses_symbols=uses_text.symbols)
    return e


def render_html(report: Report) -> str:
    w = words(report.language)
    return clean(env().get_template("report.html.j2").render(
        r=report, L=w.report, H=w.html, IMP=w.importance, TYPE=w.change_type, U=w.uses,
        IMP_BY_NAME={i.value: w.importance[i] for i in Importance},
        EMOJI_BY_NAME={i.value: EMOJI[i] for i in Importance},
        lang=w.html["html_lang"], csp=csp(FILTER_SCRIPT), script=Markup(FILTER_SCRIPT),
        totals=page_stats(report), analyzer_label=analyzer_label(report.generator.analyzer, report.language),
    ))
