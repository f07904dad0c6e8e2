"""The offline analyzer's sentences about a commit's semantic facts: what changed, said in the
code's own terms ("`get_default_model()` 中的值：`gpt-5.4-mini` → `gpt-5.6-luna`").

Each sentence restates one fact of ``Commit.semantic`` and nothing else, so each is as checkable
in the diff as the fact is (``bench/facts_audit.py`` checks them). Names and values come from
the repository and are hostile text: they only ever appear inside code spans made by
:func:`code`, which the report's renderer shows literally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from commitdigest import paths
from commitdigest.models import Importance
from commitdigest.semantic.records import BehaviourChange, Semantic, SymbolChange, ValueChange
from commitdigest.vocab import counted
from commitdigest.vocab.tables import OfflineWords, SemanticWords

#: names shown per sentence; the rest are counted ("等 12 个")
SHOWN = 5
#: sentences of one kind (values, behaviour) per commit
SENTENCES = 5
_TICKS = re.compile(r"`+")
_PLAIN_STRING = re.compile(r'''^(?:"[^"\\`\n]*"|'[^'\\`\n]*')$''')
_FUNCTIONS = ("function", "method")
#: a statement this long is shown whole; a longer one where it differs from its other version
WHOLE = 120
#: the most of a differing part shown
_PART = 160
_TOKEN = re.compile(r"\w+|\s+|.")
_OPEN, _CLOSE = "([{", ")]}"


def code(text: str) -> str:
    """``text`` as one Markdown code span, whatever it holds: on one line, fenced by more
    backticks than any run inside it (CommonMark shows a span's content literally)."""
    text = " ".join(text.split()) or "∅"
    fence = "`" * (max((len(m) for m in _TICKS.findall(text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def narrowed(before: str, after: str) -> tuple[str, str]:
    """Two versions of a statement, where they differ. A long pair is shown as the call the
    difference is in (``return RepoResult(``), "…", the arguments of that call that differ (and
    the one before them when a side has none), "…": each piece is the code's own text, so the
    pair stays checkable in the diff. A difference outside any call is shown from a little before
    it, cut at ``_PART``."""
    before, after = " ".join(before.split()), " ".join(after.split())
    if max(len(before), len(after)) <= WHOLE:
        return before, after
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    shared = min(len(a), len(b))
    head = next((i for i in range(shared) if a[i] != b[i]), shared)
    tail = next((i for i in range(shared - head) if a[-1 - i] != b[-1 - i]), shared - head)
    # The innermost call (or list) open where the two part, and its separators before that point.
    groups: list[list[int]] = []  # per open bracket: where its arguments start
    for i, t in enumerate(a[:head]):
        if t in _OPEN:
            groups.append([i + 1])
        elif t in _CLOSE and groups:
            groups.pop()
        elif t == "," and groups:
            groups[-1].append(i + 1)
    if not groups:
        # from a little before the point where they part, so that point is in what is shown
        off = len("".join(a[:head]))
        if off + 20 <= _PART:
            return _cut(before), _cut(after)
        space = before.find(" ", off - 40, off - 10)
        at = space + 1 if space >= 0 else off - 40
        return "… " + _cut(before[at:]), "… " + _cut(after[at:])
    cuts = groups[-1]
    call = cuts[0]
    start = cuts[-1]
    if len(cuts) > 1 and not ("".join(a[start:len(a) - tail]).strip(" ,") and "".join(b[start:len(b) - tail]).strip(" ,")):
        start = cuts[-2]  # one side only adds or drops arguments: the argument before them shows where
    lead = "".join(a[:call])
    if len(lead) > 60:  # a long chain before the call: its last name says which call it is
        name = call - 1
        while name > 0 and (a[name - 1] == "." or re.fullmatch(r"\w+", a[name - 1])):
            name -= 1
        lead = "… " + "".join(a[name:call])
    lead += "… " if start > call else ""
    shown = []
    for x in (a, b):
        depth, end, close = 1, len(x), len(x)
        for i in range(start, len(x)):
            if x[i] in _OPEN:
                depth += 1
            elif x[i] in _CLOSE:
                depth -= 1
            if end == len(x) and ((depth == 1 and x[i] == "," and i >= len(x) - tail) or depth == 0):
                end = i
            if depth == 0:
                close = i + 1
                break
        # What follows the differing arguments up to the call's end is shown when it is short
        # (", )"): it is what tells "only adds an argument" from "adds one after". The pieces are
        # joined only where they touch in the code.
        part = "".join(x[start:end])
        if len("".join(x[end:close])) <= 3:
            part, rest = part + "".join(x[end:close]), "".join(x[close:])
        else:
            rest = "".join(x[end:])
        shown.append(lead + (_cut((part + rest).strip()) if len(rest) <= 3 else _cut(part.strip()) + " …"))
    return shown[0], shown[1]


def _cut(text: str) -> str:
    return text if len(text) <= _PART else text[:_PART].rstrip() + "…"


def value(text: str) -> str:
    """A value as a reader reads it: a plain string without its quotes."""
    return code(text[1:-1] if _PLAIN_STRING.match(text) and len(text) > 2 else text)


def symbol(name: str, kind: str) -> str:
    return code(name + ("()" if kind in _FUNCTIONS else ""))


def names(items: Sequence[str], w: OfflineWords, limit: int = SHOWN) -> str:
    """The first ``limit`` of a list (each name once: the same name in two files is one name to
    a reader), and how many more."""
    items = list(dict.fromkeys(items))
    shown = w["list_sep"].join(items[:limit])
    if len(items) > limit:
        shown += " " + w["more_names"].format(n=len(items), rest=len(items) - limit)
    return shown


@dataclass
class Sentences:
    """What the offline analyzer writes from one commit's semantic facts."""

    summary: list[str] = field(default_factory=list)
    #: module → what its public API went through, for the impact scope
    impact: dict[str, str] = field(default_factory=dict)
    architecture: str = ""
    #: (words of the risk, severity, its detail and recommendation filled in)
    risks: list[tuple[str, Importance, str, str]] = field(default_factory=list)
    #: public symbols removed (the conclusion's evidence)
    removed: int = 0


def _kind_of(sem: Semantic, name: str) -> str:
    return next((s.kind for s in sem.symbols if s.name == name), "function")


def write(sem: Semantic, w: OfflineWords) -> Sentences:
    s = w["sem"]
    out = Sentences()
    public = [x for x in sem.symbols if x.public]
    out.summary += _values(sem, sem.values, s)
    # a symbol whose value or behaviour is told is not listed again as merely "changed"
    told = {v.symbol for v in sem.values} | {b.symbol for b in sem.behaviour}
    out.summary += _api(public, w, s, told)
    out.summary += _behaviour(sem, sem.behaviour, s)
    out.summary += _surface(sem, w, s)
    internal = [x for x in sem.symbols if not x.public and x.change in ("modified", "added", "removed")]
    if internal and not public:
        out.summary.append(s["s_internal"].format(names=names([symbol(x.name, x.kind) for x in internal], w)))
    out.summary += _tests(sem, w, s)
    not_read = [f for f in sem.skipped if f.reason not in ("generated", "vendored")]
    if not_read:
        out.summary.append(s["not_read"].format(items=names([f"{code(f.path)} ({f.reason})" for f in not_read], w)))
    out.impact = _impact(public, w, s)
    out.architecture = _architecture(sem, public, w, s)
    out.risks = _risks(sem, public, w, s)
    out.removed = sum(1 for x in public if x.change == "removed")
    return out


# --------------------------------------------------------------------------------- summary

_VALUE_ORDER = {"version": 0, "default": 1, "constant": 2, "literal": 3}


def _values(sem: Semantic, values: Iterable[ValueChange], s: SemanticWords) -> list[str]:
    out: list[str] = []
    seen: set[tuple[str, str | None, str, str]] = set()
    for v in sorted(values, key=lambda v: _VALUE_ORDER[v.kind]):
        key = (v.symbol, v.name, v.before, v.after)
        if key in seen:
            continue
        seen.add(key)
        before, after = value(v.before), value(v.after)
        where = symbol(v.symbol, _kind_of(sem, v.symbol))
        if v.kind == "version":
            text = s["v_version"].format(symbol=code(v.symbol if not v.name else v.name), before=before, after=after)
        elif v.kind == "constant" and not v.name or v.kind == "constant" and v.name == v.symbol:
            text = s["v_constant"].format(symbol=code(v.symbol), before=before, after=after)
        elif v.kind == "default" and v.name:
            text = s["v_default"].format(symbol=where, name=code(v.name), before=before, after=after)
        elif v.name and v.name != "return":
            text = s["v_named"].format(symbol=where, name=code(v.name), before=before, after=after)
        else:
            text = s["v_literal"].format(symbol=where, before=before, after=after)
        out.append(text)
        if len(out) == SENTENCES:
            break
    return out


def _params(signature: str | None) -> list[str] | None:
    """The parameters of a declaration head, split at its top-level commas; None when the head
    has no parenthesised list to read."""
    if not signature or "(" not in signature:
        return None
    start = signature.index("(")
    depth = 0
    parts: list[str] = []
    current: list[str] = []
    for ch in signature[start + 1:]:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    else:
        return None
    last = "".join(current).strip()
    if last:
        parts.append(last)
    return [p for p in parts if p]


def _signature(x: SymbolChange, w: OfflineWords, s: SemanticWords) -> str:
    name = symbol(x.name, x.kind)
    before, after = _params(x.signature_before), _params(x.signature_after)
    if before is not None and after is not None and x.signature_before and x.signature_after:
        head_b = x.signature_before[:x.signature_before.index("(")]
        head_a = x.signature_after[:x.signature_after.index("(")]
        tail_b = x.signature_before[x.signature_before.rindex(")"):] if ")" in x.signature_before else ""
        tail_a = x.signature_after[x.signature_after.rindex(")"):] if ")" in x.signature_after else ""
        if head_b == head_a and tail_b == tail_a:
            added = [p for p in after if p not in before]
            removed = [p for p in before if p not in after]
            if added and not removed and [p for p in after if p in before] == before:
                return s["sig_params_added"].format(name=name, params=names([code(p) for p in added], w))
            if removed and not added and [p for p in before if p in after] == after:
                return s["sig_params_removed"].format(name=name, params=names([code(p) for p in removed], w))
            if added and removed:
                return s["sig_params"].format(name=name, removed=names([code(p) for p in removed], w),
                                              added=names([code(p) for p in added], w))
    return s["sig_changed"].format(name=name, before=code(x.signature_before or ""),
                                   after=code(x.signature_after or ""))


def _api(public: list[SymbolChange], w: OfflineWords, s: SemanticWords, told: set[str]) -> list[str]:
    out: list[str] = []
    removed = [x for x in public if x.change == "removed"]
    if removed:
        out.append(s["s_removed"].format(names=names([symbol(x.name, x.kind) for x in removed], w)))
    out += [_signature(x, w, s) for x in public if x.signature_before and x.signature_after
            and x.change == "modified"][:SENTENCES]
    for x in [x for x in public if x.change == "renamed"][:SENTENCES]:
        out.append(s["s_renamed"].format(old=symbol(x.old_name or "", x.kind), new=symbol(x.name, x.kind)))
    for x in [x for x in public if x.change == "moved"][:SENTENCES]:
        out.append(s["s_moved"].format(name=symbol(x.name, x.kind), old=code(x.old_path or ""), path=code(x.path)))
    added = [x for x in public if x.change == "added"]
    if added:
        out.append(s["s_added"].format(names=names([symbol(x.name, x.kind) for x in added], w)))
    modified = [x for x in public if x.change == "modified" and not (x.signature_before and x.signature_after)
                and x.name not in told]
    if modified:
        out.append(s["s_modified"].format(names=names([symbol(x.name, x.kind) for x in modified], w)))
    return out


def _behaviour(sem: Semantic, items: Sequence[BehaviourChange], s: SemanticWords) -> list[str]:
    out: list[str] = []
    # An exception raised by a new guard is told with the guard.
    guarded = {(b.symbol, (b.exit or "").split("(")[0].removeprefix("raise ").removeprefix("throw new ")
                .removeprefix("throw ").strip()) for b in items if b.kind in ("guard_added", "guard_removed")}
    for b in items:
        where = symbol(b.symbol, _kind_of(sem, b.symbol))
        if b.kind in ("guard_added", "guard_removed"):
            text = s["b_" + b.kind].format(symbol=where, cond=code(b.detail), exit=code(b.exit or ""))  # type: ignore[literal-required]
        elif b.kind in ("raises_added", "raises_removed"):
            if (b.symbol, b.detail) in guarded:
                continue
            text = s["b_" + b.kind].format(symbol=where, type=code(b.detail))  # type: ignore[literal-required]
        else:
            before, after = narrowed(*b.detail.split(" → ", 1))
            text = s["b_returns"].format(symbol=where, before=code(before), after=code(after))
        out.append(text)
        if len(out) == SENTENCES:
            break
    return out


def _surface(sem: Semantic, w: OfflineWords, s: SemanticWords) -> list[str]:
    out: list[str] = []
    groups: dict[str, list[str]] = {}
    for u in sem.surface:
        key = f"u_{u.kind}_{u.change}"
        if key not in s:
            continue
        shown = symbol(u.name, _kind_of(sem, u.name)) if u.kind in ("deprecation", "error_type") else code(u.name)
        groups.setdefault(key, []).append(shown)
    for key, items in groups.items():
        out.append(s[key].format(names=names(items, w)))  # type: ignore[literal-required]
    return out


def _tests(sem: Semantic, w: OfflineWords, s: SemanticWords) -> list[str]:
    if not sem.tests:
        return []
    parts = [counted(s[f"t_{change}"], n) for change in ("added", "modified", "removed")  # type: ignore[literal-required]
             if (n := sum(1 for t in sem.tests if t.change == change))]
    covered = list(dict.fromkeys(name for t in sem.tests for name in t.covers))
    if covered:
        parts.append(s["t_naming"].format(names=names([symbol(n, _kind_of(sem, n)) for n in covered], w)))
    return [s["t_tests"].format(parts=w["evidence_sep"].join(parts))]


# -------------------------------------------------------------------------- impact, insight


def _impact(public: list[SymbolChange], w: OfflineWords, s: SemanticWords) -> dict[str, str]:
    by_module: dict[str, list[str]] = {}
    for x in public:
        by_module.setdefault(paths.module(x.path), []).append(
            s["impact_item"].format(name=symbol(x.name, x.kind), change=s["impact_change"][x.change]))
    return {m: s["impact_api"].format(items=names(items, w, 4)) for m, items in by_module.items()}


_TYPES = ("class", "struct", "enum", "trait", "interface", "type", "union")


def _architecture(sem: Semantic, public: list[SymbolChange], w: OfflineWords, s: SemanticWords) -> str:
    parts = []
    types = [symbol(x.name, x.kind) for x in public if x.change == "added" and x.kind in _TYPES]
    if types:
        parts.append(s["a_types"].format(names=names(types, w, 4)))
    counts = [counted(s[f"a_count_{c}"], n) for c in ("added", "modified", "removed")  # type: ignore[literal-required]
              if (n := sum(1 for x in public if x.change == c))]
    if counts:
        parts.append(s["a_counts"].format(parts=w["evidence_sep"].join(counts)))
    signatures = sum(1 for x in public if x.signature_before and x.signature_after)
    if signatures:
        parts.append(counted(s["a_signatures"], signatures))
    flows = sum(1 for b in sem.behaviour if b.kind != "returns_changed")
    if flows:
        parts.append(counted(s["a_behaviour"], flows))
    return w["part_sep"].join(parts)


# ----------------------------------------------------------------------------------- risks


def _compatible(x: SymbolChange) -> bool:
    """A signature that only gained parameters with defaults (or catch-alls): old calls still work."""
    before, after = _params(x.signature_before), _params(x.signature_after)
    if before is None or after is None or not x.signature_before or not x.signature_after:
        return False
    if x.signature_before.split("(", 1)[0] != x.signature_after.split("(", 1)[0] or \
            x.signature_before.rsplit(")", 1)[-1] != x.signature_after.rsplit(")", 1)[-1]:
        return False
    kept = [p for p in after if p in before]
    added = [p for p in after if p not in before]
    return kept == before and all("=" in p or p.startswith("*") for p in added)


def _risks(sem: Semantic, public: list[SymbolChange], w: OfflineWords,
           s: SemanticWords) -> list[tuple[str, Importance, str, str]]:
    out: list[tuple[str, Importance, str, str]] = []

    def add(key: str, severity: Importance, **slots: str) -> None:
        title, detail, rec = s[key]  # type: ignore[literal-required]
        out.append((title, severity, detail.format(**slots), rec.format(**slots)))

    removed = [symbol(x.name, x.kind) for x in public if x.change == "removed"]
    if removed:
        add("r_api", Importance.high, names=names(removed, w))
    # A parameter added with a default breaks no caller: only other signature changes are risks.
    resigned = [symbol(x.name, x.kind) for x in public if x.signature_before and x.signature_after
                and not _compatible(x)]
    if resigned:
        add("r_signature", Importance.high, names=names(resigned, w))
    moved = [symbol(x.name, x.kind) for x in public if x.change in ("moved", "renamed")]
    if moved:
        add("r_moved", Importance.medium, names=names(moved, w))
    defaults = [v for v in sem.values if v.kind in ("default", "constant", "version")]
    if defaults:
        items = [f"{code(v.name or v.symbol)} {value(v.before)} → {value(v.after)}" for v in defaults]
        add("r_values", Importance.medium, items=names(list(dict.fromkeys(items)), w, 3))
    raises = [b for b in sem.behaviour if b.kind == "raises_added"]
    public_names = {x.name for x in sem.symbols if x.public}
    raises = [b for b in raises if b.symbol in public_names]
    if raises:
        items = [s["b_raises_added"].format(symbol=symbol(b.symbol, _kind_of(sem, b.symbol)), type=code(b.detail))
                 for b in raises]
        add("r_raises", Importance.medium, items=names(items, w, 2))
    added = [code(u.name) for u in sem.surface if u.change == "added" and u.kind in ("env_var", "config_key")]
    if added:
        add("r_surface_added", Importance.low, names=names(added, w))
    gone = [code(u.name) for u in sem.surface if u.change == "removed" and u.kind in ("cli_option", "config_key",
                                                                                       "env_var")]
    if gone:
        add("r_surface_removed", Importance.high, names=names(gone, w))
    named = {n for t in sem.tests for n in t.covers}
    untested = [symbol(x.name, x.kind) for x in public
                if x.change in ("modified", "added") and x.kind in _FUNCTIONS + _TYPES
                and paths.area(x.path) == "source" and x.name not in named]
    if untested:
        add("r_untested", Importance.medium if len(untested) > 1 else Importance.low, names=names(untested, w))
    return out
