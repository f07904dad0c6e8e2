"""A commit's semantic facts (``Commit.semantic``) as the model is shown them: one short line per
fact, most telling first, within a character bound.

A small model explains a short list of true facts far better than it reads a diff, so the sheet
comes before the diff and the instructions ask the model to explain it — why, with what
consequence, for whom — not to rediscover it. Every line is a fact read off the syntax trees;
none is the model's, and the answer is later checked against the same records
(``llm.claims``).
"""

from __future__ import annotations

from commitdigest.semantic.records import Semantic

#: characters of the sheet at most; the diff keeps the rest of the budget
SHEET_CHARS = 2_400
_SIGNATURE_CHARS = 160
_VALUE_CHARS = 80
#: what a reader most needs to know first: what is gone, then what is new under another name
_ORDER = {"removed": 0, "renamed": 1, "moved": 2, "added": 3, "modified": 4}


def _short(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def lines(semantic: Semantic) -> list[str]:
    """The facts, one line each: public definitions first, then values, behaviour, what a user
    meets, other definitions, tests."""
    out: list[str] = []
    valued = {v.symbol for v in semantic.values}
    symbols = sorted(semantic.symbols, key=lambda s: (not s.public, _ORDER.get(s.change, len(_ORDER))))
    for s in symbols:
        if s.change == "modified" and s.kind == "constant" and s.name in valued:
            continue  # its value line says more
        where = f" ({s.path})"
        change: str = s.change  # a plain string: stages newer than these records add kinds ("moved")
        if change == "renamed":
            out.append(f"renamed {s.kind} {s.old_name or '?'} → {s.name}{where}")
        elif change == "moved":
            out.append(f"moved {s.kind} {s.name} ({s.old_path or '?'} → {s.path})")
        elif s.change == "modified" and s.signature_before and s.signature_after:
            out.append(f"modified {s.kind} {s.name}{where}: signature "
                       f"{_short(s.signature_before, _SIGNATURE_CHARS)} → {_short(s.signature_after, _SIGNATURE_CHARS)}")
        else:
            sig = s.signature_after if s.change != "removed" else s.signature_before
            out.append(f"{s.change} {s.kind} {s.name}{where}" + (f": {_short(sig, _SIGNATURE_CHARS)}" if sig else ""))
        if not s.public:
            out[-1] += " [internal]"
    for v in semantic.values:
        name = f"{v.symbol}.{v.name}" if v.name else v.symbol
        out.append(f"value {name} ({v.path}, {v.kind}): {_short(v.before, _VALUE_CHARS)} → {_short(v.after, _VALUE_CHARS)}")
    for b in semantic.behaviour:
        exit_ = getattr(b, "exit", None)  # a guard's return or raise, where the stage gives it
        out.append(f"behaviour {b.symbol} ({b.path}): {b.kind.replace('_', ' ')}: {_short(b.detail, _VALUE_CHARS)}"
                   + (f" → {_short(exit_, _VALUE_CHARS)}" if exit_ else ""))
    for u in semantic.surface:
        where = f" in {u.symbol}" if u.symbol else ""
        out.append(f"{u.change} {u.kind.replace('_', ' ')} {u.name} ({u.path}{where})")
    for t in semantic.tests:
        covers = f", covers {', '.join(t.covers[:4])}" if t.covers else ""
        out.append(f"test {t.change} {t.name} ({t.path}{covers})")
    return out


#: of a small prompt budget, the share the sheet may take: a fact and the changed line it was read
#: from say much the same, and the changed lines must fit (every one of a 100-line commit at 2,500)
_BUDGET_SHARE = 0.12


def limit(prompt_budget: int) -> int:
    """The sheet's characters for a prompt of ``prompt_budget`` tokens (about 3 characters each)."""
    return max(400, min(SHEET_CHARS, int(prompt_budget * 3 * _BUDGET_SHARE)))


def render(semantic: Semantic | None, limit: int = SHEET_CHARS) -> str:
    """The sheet, or "" when there are no facts. Past ``limit`` the rest is counted, not cut
    mid-line."""
    if semantic is None or semantic.empty:
        return ""
    out: list[str] = []
    used = 0
    facts = lines(semantic)
    for i, line in enumerate(facts):
        if used + len(line) + 1 > limit:
            out.append(f"… {len(facts) - i} more facts not listed")
            break
        out.append(line)
        used += len(line) + 1
    omitted = sum(semantic.omitted.values())
    if omitted:
        out.append(f"… {omitted} more facts past the list limit")
    return "\n".join(out)
