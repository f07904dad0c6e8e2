"""Records → bytes. Every byte of Markdown comes from a template; analyzer and commit text only
ever enters through the escaping filters below, so it cannot change the document's structure,
link anywhere, show an image, or send control sequences to a terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined

from commitdigest.kinds import AnalyzerKind
from commitdigest.models import IMPORTANCE_ORDER, CommitAnalysis, CommitEntry, Importance, Report
from commitdigest.outputs.text import clean, code_spans
from commitdigest.vocab import EMOJI, counted, drop_causes, words
from commitdigest.vocab.tables import ReportWords

TOC_TITLE_MAX = 56
_WS = re.compile(r"\s+")
_PR_TAIL = re.compile(r"\(#(\d+)\)\s*$")


# A backslash that would escape the next character: doubled, so that text holding "\\[" cannot
# cancel the escape we put before its "[" (CommonMark escapes only ASCII punctuation).
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")


def _one_line(text: object) -> str:
    # Whitespace first: a vertical tab or a form feed between two words is still a space.
    return clean(_WS.sub(" ", str(text or ""))).strip()


# CommonMark reads raw HTML (and autolinks) only where "<" is followed by a letter, "/", "!" or
# "?", and a character reference only as "&name;" or "&#…;": those alone are backslash-escaped,
# so the raw Markdown reads as plain text ("a < b & c", not "a &lt; b &amp; c").
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def _no_html(text: str) -> str:
    # No raw HTML from commits or analyzers: "<script>" must show as text. Escaping "<" also
    # keeps "<https://…>" from becoming an autolink. Runs after _inert: its backslashes must
    # not be doubled.
    return _ENTITY.sub(r"\&", _TAG_START.sub(r"\<", text))


def _inert(text: str) -> str:
    """No link, image or link reference definition can start in ``text``: every bracket is
    escaped, and so is the "!" of "![". Bare URLs stay as they are: they are visible as what
    they are."""
    s = _BACKSLASH.sub(r"\\\\", text)
    return s.replace("[", "\\[").replace("]", "\\]").replace("!\\[", "\\!\\[")




def _prose_and_code(text: str) -> str:
    """Escapes ``text`` outside its code spans and leaves the spans as they are: CommonMark
    shows a code span's content literally (no HTML, no links, backslashes as backslashes), so
    escaping inside one would print the escapes. A backtick run with no closing run of the same
    length is escaped, so an answer cut off after "`" cannot swallow the rest of the line."""
    out: list[str] = []
    for kind, piece in code_spans(text):
        if kind == "code":
            out.append(piece)
        elif kind == "ticks":
            out.append("\\`" * len(piece))
        else:
            out.append(_no_html(_inert(piece)))
    return "".join(out)


def md_inline(text: object) -> str:
    """One line of prose, with no raw HTML and no live link or image; code spans balanced and
    shown as written; a leading '#' is neutralised so that even text placed at the start of a
    line could never become a heading."""
    s = _prose_and_code(_one_line(text))
    # ">" at a line's start would open a block quote, "#" a heading
    return "\\" + s if s.startswith(("#", ">")) else s


def md_heading(text: object) -> str:
    s = md_inline(text)
    # A trailing run of '#' would be read as the heading's closing sequence and vanish.
    return re.sub(r"(#+)$", lambda m: "\\" + m.group(1), s)


def md_cell(text: object) -> str:
    # GFM splits rows at "|" before reading code spans, so it is escaped inside them too.
    return _prose_and_code(_one_line(text)).replace("|", "\\|")


def md_link_text(text: object) -> str:
    return md_inline(text)  # brackets are already escaped: a link's text cannot close it early


def md_code(text: object) -> str:
    s = _one_line(text)
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def with_pr_link(escaped: str, pr: int | None, pr_base: str | None) -> str:
    """``(#123)`` at the end of an escaped subject → a link to the PR on known hosts."""
    if pr is None or not pr_base:
        return escaped
    return _PR_TAIL.sub(lambda m: f"([#{m.group(1)}]({pr_base}{m.group(1)}))", escaped)


def toc_title(text: str) -> str:
    s = _one_line(text)
    return s if len(s) <= TOC_TITLE_MAX else s[:TOC_TITLE_MAX] + "..."


def thousands(n: int) -> str:
    return f"{n:,}"


def _tiers(commits: list[CommitEntry]) -> list[tuple[Importance, list[CommitEntry]]]:
    out: list[tuple[Importance, list[CommitEntry]]] = []
    for level in IMPORTANCE_ORDER:
        items = [c for c in commits if c.analysis.importance == level]
        if items:
            out.append((level, items))
    return out


def coverage_line(analysis: CommitAnalysis, read_error: str | None, labels: ReportWords) -> str:
    """One line saying what the analysis could not see; empty when it saw everything."""
    cov = analysis.coverage
    parts = []
    # A model's coverage is counted in changed lines shown (what it could explain); the offline
    # analyzer reads every patch, and its gaps are whole files.
    lines = analysis.analyzer.startswith("llm:") and not analysis.fallback and cov.lines_analyzed < cov.lines_total
    if read_error or cov.unreadable:
        parts.append(labels["cov_unreadable"].format(error=read_error or "?"))
    elif lines:
        parts.append(labels["cov_lines"].format(shown=cov.lines_analyzed, total=cov.lines_total))
    elif cov.files_analyzed < cov.files_total:
        parts.append(labels["cov_files"].format(analyzed=cov.files_analyzed, total=cov.files_total))
    if cov.truncated and not lines:
        parts.append(labels["cov_truncated"])
    if analysis.fallback:
        parts.append(labels["cov_fallback"].format(reason=analysis.fallback_reason or "?"))
    if analysis.paths_dropped:
        parts.append(labels["cov_dropped"].format(n=analysis.paths_dropped))
    if analysis.items_dropped:
        n = sum(analysis.items_dropped.values())
        parts.append(counted(labels["cov_items"], n, causes=drop_causes(labels, analysis.items_dropped)))
    if analysis.redactions:
        parts.append(labels["cov_redacted"].format(n=analysis.redactions))
    return labels["sep"].join(parts)


class _Block(str):
    """A commit's block, already rendered and cleaned: printed as it is (``finalize`` passes it)."""

    __slots__ = ()


def finalize(value: object) -> object:
    """Applied by Jinja to every ``{{ … }}``: whatever a template prints is free of terminal
    escapes and XML-illegal characters, even a value no filter was applied to."""
    return clean(value) if type(value) is str else value


@lru_cache(maxsize=1)
def _env() -> Environment:
    # Templates are compiled in memory, once per process. Jinja's on-disk bytecode cache is not
    # used: it unpickles whatever file sits in its directory, so a planted file would run code.
    env = Environment(
        loader=PackageLoader("commitdigest", "report/templates"),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown: escaping is explicit, per context, through the filters
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
        # The templates are the package's own and do not change while it runs: no stat() of
        # commit.md.j2 for each of a long period's thousands of commits.
        auto_reload=False,
    )
    env.filters.update(
        inline=md_inline, heading=md_heading, cell=md_cell, linktext=md_link_text, code=md_code,
        toc_title=toc_title, thousands=thousands,
    )
    from commitdigest.analysis import uses_text

    env.globals.update(with_pr_link=with_pr_link, tiers=_tiers, coverage_line=coverage_line, commit_block=commit_block,
                       EMOJI=EMOJI, counted=counted, uses_lines=uses_text.lines, uses_top=uses_text.top_line,
                       uses_problems=uses_text.problems_line, uses_symbols=uses_text.symbols)
    return env


def analyzer_label(name: str, language: str) -> str:
    if name == AnalyzerKind.heuristic:
        return words(language).report["offline"]
    return name.removeprefix("llm:")


def render_markdown(report: Report) -> str:
    w = words(report.language)
    return clean(_env().get_template("report.md.j2").render(
        r=report, L=w.report, IMP=w.importance, TYPE=w.change_type, U=w.uses, lang=report.language,
        analyzer_label=analyzer_label(report.generator.analyzer, report.language),
    ))


def render_commit_markdown(entry: CommitEntry, language: str, depth: str = "high") -> str:
    """One commit's block, at full depth by default (``commitdigest analyze``); a report shows
    each at the depth of its importance."""
    w = words(language)
    return clean(_env().get_template("commit.md.j2").render(
        c=entry, depth=depth, L=w.report, IMP=w.importance, TYPE=w.change_type, U=w.uses, lang=language,
    ))


def commit_block(entry: CommitEntry, depth: str, language: str) -> str:
    """The report's block for ``entry``: the one :func:`prepare_markdown` rendered ahead, taken
    (it is printed once), or rendered now."""
    return entry.piece(("md", language, depth), take=True) or _Block(render_commit_markdown(entry, language, depth))


def prepare_markdown(entries: Sequence[CommitEntry], language: str) -> None:
    """Each entry's block rendered ahead, while git reads the next batch (``Format.prepare``)."""
    for entry in entries:
        depth = entry.analysis.importance.value
        entry.keep_piece(("md", language, depth), _Block(render_commit_markdown(entry, language, depth)))


# ------------------------------------------------------------------------------ the JSON twin
#
# Written by orjson: the same bytes as ``json.dumps(value, ensure_ascii=False, indent=2)`` (the
# twin's format since its first version; tests/test_json_twin.py holds the two side by side), at
# a fraction of the time and without the pure-Python encoder's list of millions of small strings.

_UINT64_MAX = 2**64 - 1
_INT64_MIN = -(2**63)


def _json_ready(value: Any) -> Any:
    """``value`` with every string cleaned (keys too: file paths can be keys), and the two kinds
    of number orjson would spell differently handed over already spelt as ``json.dumps`` spells
    them: floats (orjson writes ``1e-07`` as ``1e-7`` and NaN as ``null``) and integers beyond
    64 bits (which orjson refuses)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return orjson.Fragment(json.dumps(value))
    if isinstance(value, int):
        return value if _INT64_MIN <= value <= _UINT64_MAX else orjson.Fragment(json.dumps(value))
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def dumps_json(value: Any) -> bytes:
    """``json.dumps(clean_tree(value), ensure_ascii=False, indent=2)``, UTF-8 encoded, by orjson."""
    return orjson.dumps(_json_ready(value), option=orjson.OPT_INDENT_2)


# A section's commits sit at depth 4 of the twin (root → "repos" → section → "commits" → entry):
# json.dumps indents them by 8 spaces and the list's closing bracket by 6.
_ENTRY_INDENT = b"\n" + b" " * 8
_LIST_CLOSE = b"\n" + b" " * 6 + b"]"
# Stands where a section's commits go: no encoded value holds a raw NUL (orjson writes it as
# \u0000 inside a string, and nowhere else can it occur), so the holes are found without doubt.
_HOLE = orjson.Fragment(b"\x00")


def _add_commits(out: bytearray, entries: list[CommitEntry]) -> None:
    """A section's ``commits`` list appended to ``out``, encoded one entry at a time: only one
    commit's dict tree exists at any moment, not the whole period's. Each entry is encoded at the
    top level and shifted right; a newline inside an encoded JSON string is always escaped, so
    every raw newline is a line break of the layout."""
    if not entries:
        out += b"[]"
        return
    out += b"["
    for i, entry in enumerate(entries):
        out += _ENTRY_INDENT if i == 0 else b"," + _ENTRY_INDENT
        out += dumps_json(entry.to_json_dict()).replace(b"\n", _ENTRY_INDENT)
    out += _LIST_CLOSE


def render_json_bytes(report: Report) -> bytearray:
    """The JSON twin (REPORT_FORMAT.md §3), UTF-8. Its text is cleaned like the Markdown's: it
    feeds the index and the feed, and tools print its strings to terminals. Built in one growing
    buffer: a long period's twin exists once, not as parts and then as their join."""
    head = _json_ready(report.to_json_dict(commits=False))
    for section in head["repos"]:
        section["commits"] = _HOLE
    pieces = orjson.dumps(head, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).split(b"\x00")
    out = bytearray(pieces[0])
    for section, tail in zip(report.repos, pieces[1:], strict=True):
        _add_commits(out, section.commits)
        out += tail
    return out


def render_json(report: Report) -> str:
    return render_json_bytes(report).decode("utf-8")


RENDERERS = {"md": (render_markdown, "md"), "json": (render_json, "json")}
