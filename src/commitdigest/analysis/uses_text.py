"""What the report says of the reader's code (``Commit.uses``): each use as a line of the
commit's "Your code" section, the commit's risk of its own, the line at the top of a report, and
what the model is told.

Every sentence restates a ``Use`` and nothing else. Names, values and paths come from the
followed repository and the reader's files: hostile text, only ever inside code spans made by
``semantic_text.code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from commitdigest.analysis.semantic_text import _compatible, _signature, code, names, symbol, value
from commitdigest.models import Commit, CommitAnalysis, Importance, Report, Risk
from commitdigest.semantic.records import SymbolChange
from commitdigest.uses.records import Use
from commitdigest.vocab import counted, words

if TYPE_CHECKING:
    from commitdigest.rollup import Rollup

#: lines of a commit's section shown (the JSON twin keeps every use)
SHOWN = 20
#: places named in a risk's recommendation
PLACES = 5
_SIGNATURE_KINDS = ("function", "method", "class", "struct", "enum", "trait", "interface", "type", "union",
                    "namespace", "module", "constant")


def where(u: Use) -> str:
    return code(f"{u.root}/{u.path}:{u.line}" if u.root else f"{u.path}:{u.line}")


def shown(u: Use) -> str:
    """The symbol as the reader's line names it: a constructor by its class (``ModelSettings()``)."""
    name = u.qualname or u.symbol
    if name.endswith(".__init__"):
        return code(name.removesuffix(".__init__") + "()")
    return symbol(name, u.kind)


def _as_symbol_change(u: Use) -> SymbolChange:
    name, kind = u.qualname or u.symbol, u.kind if u.kind in _SIGNATURE_KINDS else "function"
    if name.endswith(".__init__"):
        name, kind = name.removesuffix(".__init__"), "class"  # "`ModelSettings` takes new parameters"
    return SymbolChange(path=u.upstream_path, name=name, kind=kind, change="modified",  # type: ignore[arg-type]
                        signature_before=u.before, signature_after=u.after)


def what(u: Use, language: str) -> str:
    """What happened to the symbol, in the report's language."""
    w = words(language)
    t = w.uses
    if u.change == "removed":
        return t["removed"]
    if u.change == "renamed":
        return t["renamed"].format(after=code(u.after or ""))
    if u.change == "moved":
        return t["moved_broken" if u.broken else "moved"].format(after=code(u.after or ""))
    if u.change == "signature":
        return _signature(_as_symbol_change(u), w.offline, w.offline["sem"])
    if u.change == "default":
        return t["default"].format(name=code(u.name or "?"), before=value(u.before or ""), after=value(u.after or ""))
    if u.change == "value":
        return t["value"].format(before=value(u.before or ""), after=value(u.after or ""))
    return t["modified"]


def line(u: Use, language: str) -> str:
    t = words(language).uses
    text = t["line"].format(where=where(u), how=t["how"].get(u.how, u.how), symbol=shown(u), what=what(u, language))
    return text + (t["by_name"] if u.language != "python" else "")


def lines(uses: Sequence[Use], language: str, limit: int = SHOWN, omitted: int = 0) -> list[str]:
    """The section's lines, and one counting those left out (``omitted``: past the record's cap)."""
    out = [line(u, language) for u in uses[:limit]]
    if len(uses) > limit or omitted:
        out.append(words(language).uses["more"].format(n=max(len(uses) - limit, 0) + omitted))
    return out


def symbols(uses: Sequence[Use], language: str) -> str:
    """The symbols a commit changed that the reader's code uses, once each: the top list's line."""
    return names([shown(u) for u in uses], words(language).offline)


def plain_symbols(uses: Sequence[Use]) -> str:
    """The same, as plain text (a chat message sets no code spans)."""
    names_ = [(u.qualname or u.symbol).removesuffix(".__init__") + ("()" if u.kind in ("function", "method") or
                                                                  (u.qualname or "").endswith(".__init__") else "")
              for u in uses]
    return ", ".join(dict.fromkeys(names_))


def severity(u: Use) -> Importance:
    """A use that breaks (the symbol is gone, or its parameters changed in a way old calls may
    not survive) is high; a changed default, value or re-export is medium; a changed body low."""
    if u.change in ("removed", "renamed") or u.broken:
        return Importance.high
    if u.change == "signature":
        return Importance.medium if _compatible_signature(u.before, u.after) else Importance.high
    if u.change in ("default", "value", "moved"):
        return Importance.medium
    return Importance.low


@lru_cache(maxsize=1024)
def _compatible_signature(before: str | None, after: str | None) -> bool:
    """Per distinct pair: one changed symbol is often used at hundreds of lines."""
    return _compatible(SymbolChange(path="", name="", kind="function", change="modified", signature_before=before,
                                    signature_after=after))


def risk(uses: Sequence[Use], language: str) -> tuple[Risk, str] | None:
    """The commit's risk of its own and its recommendation, from its uses, worst first: ranked
    above every other risk of the commit (``with_uses``)."""
    if not uses:
        return None
    w = words(language)
    levels = {id(u): severity(u) for u in uses}
    ordered = sorted(uses, key=lambda u: -levels[id(u)].rank)
    worst = ordered[0]
    if worst.change in ("removed", "renamed") or worst.broken:
        key = "r_broken"
    elif worst.change == "signature":
        key = "r_signature"
    else:
        key = "r_changed"
    title, detail, rec = w.uses[key]  # type: ignore[literal-required]
    # each changed symbol once, however many lines use it
    symbols = list({(u.qualname or u.symbol, u.change, u.before, u.after): u for u in reversed(ordered)}.values())[::-1]
    items = names([w.uses["risk_item"].format(symbol=shown(u), what=what(u, language)) for u in symbols],
                  w.offline, 3)
    places = names([where(u) for u in ordered[:PLACES + 1]], w.offline, PLACES)
    if len(ordered) > PLACES + 1:  # "and N more" counts every place
        places = names([where(u) for u in ordered[:PLACES]], w.offline, PLACES) + " " + \
            w.offline["more_names"].format(n=len(ordered), rest=len(ordered) - PLACES)
    return Risk(risk=title, detail=detail.format(items=items), severity=levels[id(worst)]), rec.format(where=places)


def with_uses(analysis: CommitAnalysis, commit: Commit, language: str) -> CommitAnalysis:
    """``analysis`` with the risk of the reader's code first, whichever analyzer made it."""
    found = risk(commit.uses or [], language)
    if found is None:
        return analysis
    r, rec = found
    return analysis.model_copy(update={"risks": [r, *analysis.risks],
                                       "recommendations": [rec, *analysis.recommendations]})


def top_line(report: Report) -> str | None:
    """The report's first line about the reader's code: how many commits changed how many of
    the symbols it uses, or that none did; None when no code was named for any section."""
    if not any(s.uses is not None for s in report.repos):
        return None
    t = words(report.language).uses
    touching = [c for s in report.repos for c in s.commits if c.uses]
    symbols = {(u.symbol, u.change) for c in touching for u in c.uses or []}
    if not touching:
        return t["none_period" if report.period else "none_day"]
    return t["top_period" if report.period else "top_day"].format(
        commits=counted(t["commits"], len(touching)), symbols=counted(t["symbols"], len({s for s, _ in symbols})))


def rollup_line(rollup: Rollup) -> str | None:
    """A rollup's line about the reader's code, as ``top_line`` says it of a report."""
    checked = [r for r in rollup.repos if r.yours is not None]
    if not checked:
        return None
    t = words(rollup.language).uses
    yours = [h for r in checked for h in r.yours or []]
    if not yours:
        return t["none_period"]
    return t["top_period"].format(commits=counted(t["commits"], len(yours)),
                                  symbols=counted(t["symbols"], len({u.symbol for h in yours for u in h.uses})))


def problems_line(report: Report) -> str | None:
    problems = [p for s in report.repos if s.uses is not None for p in s.uses.problems]
    if not problems:
        return None
    w = words(report.language)
    return w.uses["problems"].format(problems=w.offline["list_sep"].join(dict.fromkeys(problems)))


def prompt_text(commit: Commit, limit: int = 30) -> str:
    """The reader's affected lines as the model is told them (in English, as the prompt is)."""
    uses = commit.uses or []
    shown = [line(u, "en") for u in uses[:limit]]
    if len(uses) > limit:
        shown.append(words("en").uses["more"].format(n=len(uses) - limit))
    return "\n".join(f"- {s}" for s in shown)
