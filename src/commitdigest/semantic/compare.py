"""Two parses of one file (before and after a commit) → what changed, definition by definition.

- A definition is *modified* when its own syntax changed: the tokens of its subtree, comments
  and nested definitions left out, and the tree's shape kept (so a statement moved out of a
  Python block is a change, a re-indented comment is not). Only definitions with a changed line
  of the diff inside them are compared at all: the others are the same text by construction.
- *Added* / *removed*: a name on one side only. Where a side did not parse, a name is called
  added (removed) only when it does not appear in the part the grammar could not read.
- *Renamed*: an added and a removed definition of the same kind and scope whose tokens are
  equal but for the name.
- *Values*: in a modified definition, literal tokens that replaced other literal tokens where
  the code around them is equal (an alignment of the two token sequences).
- *Behaviour*: exceptions raised, guards (conditions that return or raise early), and return
  statements, as multisets per definition: what the new side has and the old one does not.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, cast

from commitdigest.semantic.languages import SPECS
from commitdigest.semantic.records import BehaviourChange, SymbolChange, SymbolKind, TestChange, ValueChange
from commitdigest.semantic.syntax import Definition, Parsed, fold

if TYPE_CHECKING:
    from tree_sitter import Node

#: a value longer than this (or on several lines) is prose, not a setting: not a values entry
_VALUE_CHARS = 120
_VERSION_NAME = re.compile(r"(^|_|\b)(version|schema|api_version|protocol)(_|$|\b)", re.I)
_VERSION_VALUE = re.compile(r"^[\"']?v?\d+(\.\d+)+([-+.\w]*)[\"']?$")
#: most renames a file is searched for (added × removed comparisons)
_RENAME_PAIRS = 400
_GO_ERR_GUARD = re.compile(r"^\s*\w*[eE]rr\w*\s*!=\s*nil\s*$")


@dataclass
class Lines:
    """The changed lines of one file's diff (1-based, sorted), per side; ``None`` when not known."""

    old: list[int] | None = None
    new: list[int] | None = None
    #: the hunks, when the patch is there whole: (old start, old count, new start, new count)
    hunks: list[tuple[int, int, int, int]] | None = None


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def hunks(patch: str) -> list[tuple[int, int, int, int]]:
    """(old start, old count, new start, new count) of each hunk of a unified patch."""
    out = []
    for m in _HUNK_FULL.finditer(patch):
        out.append((int(m.group(1)), int(m.group(2) or 1), int(m.group(3)), int(m.group(4) or 1)))
    return out


_HUNK_FULL = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


def changed_lines(patch: str, clipped: bool) -> Lines:
    """Changed line numbers of each side from a unified patch; unknown when it was clipped."""
    if clipped or not patch:
        return Lines()
    old: list[int] = []
    new: list[int] = []
    o = n = 0
    in_hunk = False
    for line in patch.split("\n"):
        if line.startswith("@@"):
            m = _HUNK.match(line)
            if not m:
                return Lines()
            o, n, in_hunk = int(m.group(1)), int(m.group(2)), True
            continue
        if not in_hunk:
            continue
        sign = line[:1]
        if sign == " " or line == "":
            o += 1
            n += 1
        elif sign == "-":
            old.append(o)
            o += 1
        elif sign == "+":
            new.append(n)
            n += 1
    return Lines(old=old, new=new, hunks=hunks(patch))


@dataclass
class FileFacts:
    """What one file's two sides say, before the commit-level assembly."""

    symbols: list[SymbolChange] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)
    behaviour: list[BehaviourChange] = field(default_factory=list)
    tests: list[TestChange] = field(default_factory=list)
    #: test name → the test's text on the side it exists (to find which symbols it names)
    test_texts: dict[str, str] = field(default_factory=dict)
    deprecated: list[str] = field(default_factory=list)  # definitions newly marked deprecated
    partial: bool = False  # a side did not parse whole


@dataclass
class _Side:
    """One side's definitions by name (overloads, a property's getter and setter, a C++
    declaration and its definition share one entry)."""

    parsed: Parsed | None
    by_name: dict[str, list[Definition]] = field(default_factory=dict)
    tests: dict[str, list[Definition]] = field(default_factory=dict)

    @classmethod
    def of(cls, parsed: Parsed | None, tests_only: bool, ranges: list[tuple[int, int]] | None = None) -> _Side:
        side = cls(parsed)
        if parsed is None:
            return side
        for d in parsed.find(ranges):
            if d.test:
                side.tests.setdefault(d.name, []).append(d)
            elif not tests_only and d.kind != "namespace":
                side.by_name.setdefault(d.name, []).append(d)
        return side


def _ranges(p: Parsed | None, hunks_: list[tuple[int, int, int, int]] | None, side: int) -> list[tuple[int, int]] | None:
    """The byte ranges one side's hunks cover (their context lines included), or None (all of
    the blob) when the hunks are not known."""
    if p is None or hunks_ is None:
        return None
    out: list[tuple[int, int]] = []
    for hunk in hunks_:
        start, count = hunk[2 * side], hunk[2 * side + 1]
        first = start if count == 0 else start - 1
        lo, hi = p.offset(first), p.offset(first + count)
        hi = max(hi, lo + 1)
        if out and lo - out[-1][1] < _NEAR:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))  # one search for hunks close together
        else:
            out.append((lo, hi))
    return out


#: hunks closer than this (bytes) are searched as one range
_NEAR = 4096


def compare(path: str, old_path: str | None, old: Parsed | None, new: Parsed | None, lines: Lines,
            *, test_file: bool, deprecation: re.Pattern[str]) -> FileFacts:
    """The facts of one changed file. ``old`` / ``new`` are None for an added / deleted file.

    Only the definitions the diff's hunks reach are made and compared (the others are the same
    text on both sides). A name such a definition has on one side only is looked for in the
    other side's whole text: should it be there, the file is compared again with every
    definition (an overload or a property's setter beside an unchanged getter, a definition
    moved within the file)."""
    if lines.hunks is not None and old is not None and new is not None:
        facts = _compare(path, old_path, old, new, lines, test_file=test_file, deprecation=deprecation,
                         ranges=(_ranges(old, lines.hunks, 0), _ranges(new, lines.hunks, 1)))
        if not _elsewhere(facts, old, new):
            return facts
    return _compare(path, old_path, old, new, lines, test_file=test_file, deprecation=deprecation, ranges=(None, None))


def _elsewhere(facts: FileFacts, old: Parsed, new: Parsed) -> bool:
    """Whether a name said added (removed) is written anywhere in the old (new) blob."""
    items: list[SymbolChange | TestChange] = [*facts.symbols, *facts.tests]
    for item in items:
        change = item.change
        if change not in ("added", "removed", "renamed"):
            continue
        other = old if change in ("added", "renamed") else new
        names = [item.name] + ([item.old_name] if isinstance(item, SymbolChange) and item.old_name else [])
        for name in names:
            bare = re.split(r"\.|::", name)[-1].encode("utf-8", "replace")
            if bare and bare in other.source:
                return True
    return False


def _compare(path: str, old_path: str | None, old: Parsed | None, new: Parsed | None, lines: Lines,
             *, test_file: bool, deprecation: re.Pattern[str],
             ranges: tuple[list[tuple[int, int]] | None, list[tuple[int, int]] | None]) -> FileFacts:
    facts = FileFacts(partial=bool((old and old.errors) or (new and new.errors)))
    before, after = _Side.of(old, test_file, ranges[0]), _Side.of(new, test_file, ranges[1])
    moved = old_path if old_path and old_path != path else None
    added: list[str] = []
    removed: list[str] = []
    for name in list(dict.fromkeys([*after.by_name, *before.by_name])):
        olds, news = before.by_name.get(name), after.by_name.get(name)
        if olds and news:
            _modified(path, moved, name, olds, news, old, new, lines, facts, deprecation)
        elif news and _absent(name, news[0], old):
            added.append(name)
        elif olds and _absent(name, olds[0], new):
            removed.append(name)
    renamed = _renames(added, removed, before, after)
    for name in added:
        if name in renamed.values():
            continue
        d = after.by_name[name][0]
        facts.symbols.append(SymbolChange(path=path, name=name, kind=_kind(after.by_name[name]), change="added",
                                          public=d.public, line=d.line, old_path=moved,
                                          signature_after=_signature(new, d) if d.kind != "constant" else None))
    for name in removed:
        d = before.by_name[name][0]
        if name in renamed:
            n = after.by_name[renamed[name]][0]
            facts.symbols.append(SymbolChange(path=path, name=renamed[name], kind=_kind(after.by_name[renamed[name]]),
                                              change="renamed", old_name=name, public=n.public or d.public,
                                              line=n.line, old_path=moved))
            continue
        facts.symbols.append(SymbolChange(path=path, name=name, kind=_kind(before.by_name[name]), change="removed",
                                          public=d.public, line=d.line, old_path=moved,
                                          signature_before=_signature(old, d) if d.kind != "constant" else None))
    _tests(path, before, after, old, new, lines, facts)
    return facts


def _kind(defs: list[Definition]) -> SymbolKind:
    kinds = [d.kind for d in defs]
    return cast(SymbolKind, "method" if "method" in kinds else kinds[0])


def _absent(name: str, d: Definition, other: Parsed | None) -> bool:
    """Whether a name found on one side can be said to be absent from the other: always when
    the other side parsed whole (or does not exist), else only when the name does not appear
    in what the grammar could not read there."""
    if other is None or not other.errors:
        return True
    bare = d.bare.encode("utf-8", "replace")
    return not any(bare in other.source[s:e] for s, e in other.errors)


def _touched(p: Parsed, defs: list[Definition], changed: list[int] | None) -> bool:
    """Whether a changed line falls within a definition, its attributes and doc comments
    included (``changed`` sorted; None: not known, so every definition is looked at)."""
    if changed is None:
        return True
    for d in defs:
        first, last = p.line_of(d.start) + 1, d.node.end_point[0] + 1
        i = bisect_left(changed, first)
        if i < len(changed) and changed[i] <= last:
            return True
    return False


def _modified(path: str, moved: str | None, name: str, olds: list[Definition], news: list[Definition],
              old: Parsed | None, new: Parsed | None, lines: Lines, facts: FileFacts,
              deprecation: re.Pattern[str]) -> None:
    assert old is not None and new is not None
    if not (_touched(old, olds, lines.old) or _touched(new, news, lines.new)):
        return  # no changed line in or right above it: the same text
    if any(old.in_error(d.start, d.end) for d in olds) or any(new.in_error(d.start, d.end) for d in news):
        return  # a side the grammar could not read: its tokens say nothing reliable
    if _marked(old, olds, deprecation) is False and _marked(new, news, deprecation):
        facts.deprecated.append(name)
    d_old, d_new = olds[0], news[0]
    if [old.source[d.start:d.end] for d in olds] == [new.source[d.start:d.end] for d in news]:
        return
    if _equal(old, olds, new, news):
        return  # whitespace, comments, docstrings, layout
    windows = _windows(old, d_old, new, d_new, lines) if len(olds) == 1 and len(news) == 1 else None
    if windows is not None:
        # Only where the two texts differ need be walked (each hunk's part of the definition):
        # around it they are the same text. A long function changed in two places is read in
        # two small pieces, not from the first change to the last.
        pieces = [(_tokens(old, olds, a_lo, a_hi), _tokens(new, news, b_lo, b_hi)) for a_lo, a_hi, b_lo, b_hi in windows]
    else:
        pieces = [(_tokens(old, olds), _tokens(new, news))]
    sig_old = _signature(old, d_old) if len(olds) == 1 and d_old.kind != "constant" else None
    sig_new = _signature(new, d_new) if len(news) == 1 and d_new.kind != "constant" else None
    changed_sig = sig_old is not None and sig_new is not None and sig_old != sig_new
    facts.symbols.append(SymbolChange(
        path=path, name=name, kind=_kind(news), change="modified", public=d_new.public or d_old.public,
        signature_before=sig_old if changed_sig else None, signature_after=sig_new if changed_sig else None,
        line=d_new.line, old_path=moved))
    values = [v for a, b in pieces for v in _values(path, name, d_new, old, new, a[0], a[1], b[0], b[1])]
    facts.values.extend(values)
    if d_new.kind in ("function", "method") and len(olds) == 1 and len(news) == 1:
        facts.behaviour.extend(_behaviour(path, name, old, d_old, new, d_new, values))


def _windows(old: Parsed, d_old: Definition, new: Parsed, d_new: Definition,
             lines: Lines) -> list[tuple[int, int, int, int]]:
    """Byte ranges (old lo, old hi, new lo, new hi) of a definition where its two versions
    differ: each hunk's part of it when the diff is known, else the span between the first and
    the last differing byte."""
    if lines.hunks is None:
        return [_middle(old, d_old, new, d_new)]
    out = []
    for o_start, o_count, n_start, n_count in lines.hunks:
        o_first = o_start if o_count == 0 else o_start - 1
        n_first = n_start if n_count == 0 else n_start - 1
        a_lo, a_hi = old.offset(o_first), old.offset(o_first + o_count)
        b_lo, b_hi = new.offset(n_first), new.offset(n_first + n_count)
        if a_hi < d_old.start or a_lo > d_old.end:
            if b_hi < d_new.start or b_lo > d_new.end:
                continue
        out.append((max(a_lo, d_old.start), min(a_hi, d_old.end), max(b_lo, d_new.start), min(b_hi, d_new.end)))
    return out or [_middle(old, d_old, new, d_new)]


# ------------------------------------------------------------------------------------ tokens

Key = tuple[str, bytes] | str


def _roots(p: Parsed, d: Definition) -> list[Node]:
    """The nodes a definition spans: leading attributes and comments, then itself (wrappers
    included)."""
    outer = d.node
    while outer.parent is not None and outer.parent.type in p.spec.wrappers:
        outer = outer.parent
    roots = []
    sibling = outer.prev_named_sibling
    while sibling is not None and sibling.start_byte >= d.start:
        roots.append(sibling)
        sibling = sibling.prev_named_sibling
    return [*roots[::-1], outer]


def _tokens(p: Parsed, defs: list[Definition], lo: int = -1, hi: int = 1 << 62) -> tuple[list[Key], list[Node | None]]:
    """The definition's own syntax as a flat sequence: each named inner node opens and closes,
    each leaf (and each string, as one token) is (type, text). Comments, docstrings and nested
    definitions are left out: a method's change is not its class's. With ``lo``/``hi`` only
    the nodes reaching into that byte range are walked (the part of a long definition where two
    versions differ)."""
    spec = p.spec
    keys: list[Key] = []
    nodes: list[Node | None] = []
    source = p.source
    indented = spec.indented
    for d in defs:
        # nested definitions, by node: each is its outer node and the attributes above it
        skip = {n.id for c in d.children for n in _roots(p, c)}
        stack: list[Node | None] = list(reversed(_roots(p, d)))
        while stack:
            n = stack.pop()
            if n is None:
                keys.append(")")
                nodes.append(None)
                continue
            if n.end_byte < lo or n.start_byte > hi:
                continue
            t = n.type
            if t in spec.comments or (indented and t == "expression_statement" and _is_docstring(n)):
                continue
            if skip and n.id in skip:
                continue
            if n.child_count == 0 or t in spec.atoms:
                if t == "," and _trailing(n, spec.comments):
                    continue  # a trailing comma: layout, not code
                keys.append((t, _atom(p, n) if t == "concatenated_string" else source[n.start_byte:n.end_byte]))
                nodes.append(n)
                continue
            if t == "parenthesized_expression" and n.child_count == 3:
                stack.append(n.children[1])  # redundant parentheses: layout, the tree says the rest
                continue
            if n.is_named:
                keys.append(t)
                nodes.append(None)
                stack.append(None)
            if lo < 0:
                stack.extend(reversed(n.children))
                continue
            # Only the children reaching into the range. (Node.first_child_for_byte would skip
            # the others without making them, but crashes tree-sitter 0.26 on some Go trees.)
            stack.extend(reversed([c for c in n.children if c.end_byte >= lo and c.start_byte <= hi]))
    return keys, nodes


_CLOSERS = frozenset({")", "]", "}", ">"})


def _trailing(comma: Node, comments: frozenset[str]) -> bool:
    """A comma with nothing but comments between it and a closing bracket."""
    nxt = comma.next_sibling
    while nxt is not None and nxt.type in comments:
        nxt = nxt.next_sibling
    return nxt is not None and nxt.type in _CLOSERS


def _is_docstring(n: Node) -> bool:
    """A Python statement that is only a string: prose, like a comment."""
    return n.type == "expression_statement" and n.named_child_count == 1 and \
        n.named_children[0].type in ("string", "concatenated_string")


def _children(p: Parsed, n: Node, skip: set[int]) -> list[Node]:
    """A node's children as the comparison sees them: comments, docstrings, trailing commas and
    nested definitions left out, redundant parentheses looked through."""
    out = []
    spec = p.spec
    for c in n.children:
        t = c.type
        if t in spec.comments or c.id in skip or (spec.indented and t == "expression_statement" and _is_docstring(c)):
            continue
        if t == "," and _trailing(c, spec.comments):
            continue
        while c.type == "parenthesized_expression" and c.child_count == 3:
            c = c.children[1]
        out.append(c)
    return out


def _atom(p: Parsed, n: Node) -> bytes:
    if n.type == "concatenated_string":  # the parts, not the layout between them
        return b"".join(p.source[c.start_byte:c.end_byte] for c in n.children if c.type not in p.spec.comments)
    return p.source[n.start_byte:n.end_byte]


def _equal(old: Parsed, olds: list[Definition], new: Parsed, news: list[Definition]) -> bool:
    """Whether two versions of a definition are the same code: the trees walked side by side,
    the same text taken as the same subtree, the walk ending at the first difference. Comments,
    docstrings, layout (trailing commas, redundant parentheses) and nested definitions do not
    count: a method's change is not its class's."""
    if len(olds) != len(news):
        return False
    skip_a = {n.id for d in olds for c in d.children for n in _roots(old, c)}
    skip_b = {n.id for d in news for c in d.children for n in _roots(new, c)}
    for d_a, d_b in zip(olds, news, strict=True):
        roots_a, roots_b = _roots(old, d_a), _roots(new, d_b)
        roots_a = [r for r in roots_a if r.type not in old.spec.comments]
        roots_b = [r for r in roots_b if r.type not in new.spec.comments]
        if len(roots_a) != len(roots_b):
            return False
        pending = list(zip(roots_a, roots_b, strict=True))
        while pending:
            a, b = pending.pop()
            if a.type != b.type:
                return False
            if old.source[a.start_byte:a.end_byte] == new.source[b.start_byte:b.end_byte]:
                continue  # the same text: the same code, nested definitions included
            if a.child_count == 0 or a.type in old.spec.atoms or b.child_count == 0:
                if _atom(old, a) != _atom(new, b):
                    return False
                continue
            ca, cb = _children(old, a, skip_a), _children(new, b, skip_b)
            if len(ca) != len(cb):
                return False
            pending.extend(zip(ca, cb, strict=True))
    return True


def _common(a: bytes, b: bytes, limit: int, tail: bool = False) -> int:
    """Length of the common head (or tail) of ``a`` and ``b``, at most ``limit``: a binary search
    over slice comparisons, each done in C."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        same = a[len(a) - mid:] == b[len(b) - mid:] if tail else a[:mid] == b[:mid]
        if same:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _middle(old: Parsed, d_old: Definition, new: Parsed, d_new: Definition) -> tuple[int, int, int, int]:
    """The byte ranges (old lo, old hi, new lo, new hi) where two versions of a definition
    differ: what lies before and after is the same text."""
    a, b = old.source[d_old.start:d_old.end], new.source[d_new.start:d_new.end]
    limit = min(len(a), len(b))
    head = _common(a, b, limit)
    tail = _common(a, b, limit - head, tail=True)
    return d_old.start + head, d_old.end - tail, d_new.start + head, d_new.end - tail


def _signature(p: Parsed | None, d: Definition) -> str | None:
    """The declaration head: from the definition's start to its body (decorators and
    comments left out), whitespace folded."""
    if p is None:
        return None
    node = d.node
    body = node.child_by_field_name("body")
    if body is None:
        body = next((c for c in node.named_children if c.type in p.spec.bodies), None)
    end = body.start_byte if body is not None else node.end_byte
    pieces, pos = [], node.start_byte
    for c in node.children:
        if c.start_byte >= end:
            break
        if c.type in p.spec.comments:
            pieces.append(p.source[pos:c.start_byte])
            pos = c.end_byte
    pieces.append(p.source[pos:end])
    # Whole: a signature is a fact a reader compares, never shown cut (only an absurd one is).
    head = fold(b" ".join(pieces).decode("utf-8", "replace"), 2000).rstrip("{:; ").rstrip()
    return head or None


# ------------------------------------------------------------------------------------ values


def _literal(p: Parsed, node: Node | None) -> bool:
    if node is None or node.type not in p.spec.literals:
        return False
    if p.spec.interpolations and node.type in p.spec.atoms:
        return not any(c.type in p.spec.interpolations for c in node.children)
    return True


def _docstring(node: Node) -> bool:
    parent = node.parent
    if parent is None or parent.type != "expression_statement" or parent.named_child_count != 1:
        return False
    holder = parent.parent
    return holder is not None and holder.type in ("block", "module") and holder.named_children[0] == parent


def _values(path: str, symbol: str, d_new: Definition, old: Parsed, new: Parsed, a_keys: list[Key],
            a_nodes: list[Node | None], b_keys: list[Key], b_nodes: list[Node | None]) -> Iterable[ValueChange]:
    for a, b in _replaced(a_keys, b_keys):
        na, nb = a_nodes[a], b_nodes[b]
        if not (_literal(old, na) and _literal(new, nb)):
            continue
        assert na is not None and nb is not None
        before, after = old.text(na), new.text(nb)
        if "\n" in before or "\n" in after or len(before) > _VALUE_CHARS or len(after) > _VALUE_CHARS:
            continue
        if new.spec.name == "python" and (_docstring(na) or _docstring(nb)):
            continue
        kind, name = _context(new, nb, d_new)
        if _VERSION_NAME.search(name or symbol) and (_VERSION_VALUE.match(after) or kind == "constant"):
            kind = "version"
        yield ValueChange(path=path, symbol=symbol, name=name, kind=kind, before=before, after=after,  # type: ignore[arg-type]
                          line=nb.start_point[0] + 1)


def _replaced(a: list[Key], b: list[Key]) -> Iterable[tuple[int, int]]:
    """Index pairs of single tokens of ``a`` replaced by single tokens of ``b`` where the code
    around them is equal. The common head and tail are cut off first (a linear walk); what is
    left in between is aligned only when it is small, since an alignment costs the product of
    the two lengths."""
    head = 0
    limit = min(len(a), len(b))
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    mid_a, mid_b = a[head:len(a) - tail], b[head:len(b) - tail]
    if len(mid_a) == len(mid_b):
        # the same shape: each differing position is one token replaced by another
        differ = [i for i, (x, y) in enumerate(zip(mid_a, mid_b, strict=True)) if x != y]
        if len(differ) <= 8:
            return [(head + i, head + i) for i in differ]
    if len(mid_a) * len(mid_b) > _ALIGN_CELLS or not (_any_literal(mid_a) and _any_literal(mid_b)):
        return []
    out: list[tuple[int, int]] = []
    matcher = SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1 <= 3:
            out.extend((head + i, head + j) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
    return out


def _any_literal(keys: list[Key]) -> bool:
    return any(isinstance(k, tuple) and (k[0] in _LITERAL_TYPES) for k in keys)


#: every language's literal token types (a middle with none has no value to find)
_LITERAL_TYPES: frozenset[str] = frozenset().union(*(spec.literals for spec in SPECS.values()))


#: largest alignment (tokens × tokens) tried for values; past it a definition's values are not looked for
_ALIGN_CELLS = 40_000


# parameter node types whose literal is a default, with the field naming the parameter
_DEFAULTS = {"default_parameter": "name", "typed_default_parameter": "name", "optional_parameter": "pattern",
             "required_parameter": "pattern", "optional_parameter_declaration": "declarator",
             "assignment_pattern": "left"}
# nodes that give a literal a name: (field of the name, whether it is a field default)
_NAMED = {"keyword_argument": "name", "assignment": "left", "pair": "key", "variable_declarator": "name",
          "public_field_definition": "name", "field_definition": "property", "let_declaration": "pattern",
          "field_initializer": "field", "keyed_element": None, "const_spec": "name", "var_spec": "name",
          "init_declarator": "declarator", "assignment_expression": "left", "short_var_declaration": "left",
          "assignment_statement": "left", "const_item": "name", "static_item": "name", "preproc_def": "name",
          "field_declaration": "declarator", "enumerator": "name", "augmented_assignment": "left"}
_CLASS_BODIES = frozenset({"block", "class_body", "field_declaration_list"})


def _context(p: Parsed, node: Node, d: Definition) -> tuple[str, str | None]:
    """(kind, name) of a literal: a parameter's default, a field's default, a keyword argument,
    a constant's value, or a bare literal."""
    constant = d.kind == "constant"
    parent = node.parent
    depth = 0
    while parent is not None and depth < 4 and parent.start_byte >= d.node.start_byte:
        t = parent.type
        if t in _DEFAULTS:
            name = parent.child_by_field_name(_DEFAULTS[t])
            if name is not None and (t != "required_parameter" or parent.child_by_field_name("value") is not None):
                return "default", fold(p.text(name), 60)
        if t in _NAMED:
            field_name = _NAMED[t]
            name_node = parent.child_by_field_name(field_name) if field_name else parent.named_children[0]
            label = fold(p.text(name_node), 60) if name_node is not None and name_node != node else None
            holder = parent.parent
            if t in ("assignment", "public_field_definition", "field_definition", "field_declaration") and \
                    holder is not None and (holder.type in _CLASS_BODIES or (holder.parent is not None and
                                            holder.parent.type in _CLASS_BODIES)) and d.kind in ("class", "struct"):
                return "default", label
            return ("constant" if constant else "literal"), label
        if t == "return_statement":
            return "literal", "return"
        parent = parent.parent
        depth += 1
    return ("constant" if constant else "literal"), None


# --------------------------------------------------------------------------------- behaviour


_LONG_ARGS = re.compile(r"\((?:[^()]|\([^()]*\))*\)")


def _elide(text: str, limit: int = 80) -> str:
    """A statement with long call arguments shown as ``(…)``: ``raise UserError(…)``."""
    text = fold(text, 400)
    if len(text) > limit:
        text = _LONG_ARGS.sub(lambda m: m.group(0) if len(m.group(0)) <= 24 else "(…)", text)
    return fold(text, limit)


def _condition(text: str) -> str:
    text = fold(text, 400)
    if text.startswith("(") and text.endswith(")") and _LONG_ARGS.fullmatch(text):
        text = text[1:-1].strip()
    return _elide(text, 160)


@dataclass
class _Acts:
    raises: Counter[str] = field(default_factory=Counter)
    guards: Counter[tuple[str, str]] = field(default_factory=Counter)
    returns: Counter[str] = field(default_factory=Counter)
    lines: dict[str, int] = field(default_factory=dict)


def _acts(p: Parsed, d: Definition) -> _Acts:
    """Raises, guards and returns of a whole definition (a part would not do: the same guard
    can fall inside one version's part and outside the other's)."""
    from tree_sitter import QueryCursor

    acts = _Acts()
    exits: set[int] = set()
    go = p.spec.name == "go"
    matches = QueryCursor(p.spec.behaviour_query).matches(d.node)
    for _, caps in matches:
        if "guard" in caps:
            guard = caps["guard"][0]
            cond = caps.get("guard.condition")
            exits.update(n.id for n in caps.get("guard.exit", []))
            if go and cond and _GO_ERR_GUARD.search(p.text(cond[0])):
                continue  # error propagation, not a guard
            exit_nodes = caps.get("guard.exit")
            key = (_condition(p.text(cond[0])) if cond else "", _elide(p.text(exit_nodes[0])) if exit_nodes else "")
            acts.guards[key] += 1
            acts.lines.setdefault(" ".join(key), guard.start_point[0] + 1)
        elif "raise" in caps and "raise.type" in caps:
            kind = fold(p.text(caps["raise.type"][0]), 80).split("(", 1)[0].strip()
            if kind and (p.spec.name in ("rust", "go") or re.split(r"\.|::", kind)[-1][:1].isupper()):
                # a type, not a variable re-raised ("raise exc", "throw err")
                acts.raises[kind] += 1
                acts.lines.setdefault(kind, caps["raise"][0].start_point[0] + 1)
    for _, caps in matches:
        if "return" in caps:
            node = caps["return"][0]
            if node.id in exits or (node.parent is not None and node.parent.id in exits):
                continue  # a guard's own exit: told as the guard
            text = fold(p.text(node), 2000).rstrip(";")
            acts.returns[text] += 1
            acts.lines.setdefault(text, node.start_point[0] + 1)
    return acts


def _behaviour(path: str, symbol: str, old: Parsed, d_old: Definition, new: Parsed,
               d_new: Definition, values: Sequence[ValueChange]) -> list[BehaviourChange]:
    a, b = _acts(old, d_old), _acts(new, d_new)
    out: list[BehaviourChange] = []

    def add(kind: str, detail: str, acts: _Acts) -> None:
        out.append(BehaviourChange(path=path, symbol=symbol, kind=kind, detail=detail,  # type: ignore[arg-type]
                                   line=acts.lines.get(detail)))

    # A type is newly raised when the old version raised it nowhere (one more "raise X" where
    # there was one already is not news), and no longer raised when the new one raises it nowhere.
    # In the code's order (a set's order would change from one process to the next).
    for kind in [k for k in b.raises if k not in a.raises]:
        add("raises_added", kind, b)
    for kind in [k for k in a.raises if k not in b.raises]:
        add("raises_removed", kind, a)
    for kind, acts, guards in (("guard_added", b, b.guards - a.guards), ("guard_removed", a, a.guards - b.guards)):
        for cond, exit_ in guards:
            out.append(BehaviourChange(path=path, symbol=symbol, kind=kind, detail=cond,  # type: ignore[arg-type]
                                       exit=exit_ or None, line=acts.lines.get(f"{cond} {exit_}")))
    gone, came = list((a.returns - b.returns).elements()), list((b.returns - a.returns).elements())
    if gone and came and len(gone) == len(came) <= 3:
        for before, after in zip(gone, came, strict=True):
            if any(before.replace(v.before, v.after) == after for v in values):
                continue  # only a value changed in it, and that is told as the value
            if " → " in before + after:
                continue  # the detail "before → after" could not be read back as the two it was
            short_before, short_after = _elide(before, 100), _elide(after, 100)
            if short_before == short_after:
                # what differs is inside the arguments elided: shown whole, or not at all
                short_before, short_after = fold(before, 300), fold(after, 300)
                if short_before == short_after or "…" in short_before + short_after:
                    continue
            out.append(BehaviourChange(path=path, symbol=symbol, kind="returns_changed",
                                       detail=f"{short_before} → {short_after}", line=b.lines.get(after)))
    return out


# -------------------------------------------------------------------------------- deprecation


def _marked(p: Parsed, defs: list[Definition], rx: re.Pattern[str]) -> bool:
    """Whether a definition carries a deprecation marker in its head: a decorator, an
    attribute, a doc comment, or a warning in its first lines."""
    for d in defs:
        head_end = min(d.end, d.node.start_byte + 400)
        head = p.source[d.start:head_end].decode("utf-8", "replace")
        if rx.search(head):
            return True
    return False


# ------------------------------------------------------------------------------------- renames


def _renames(added: list[str], removed: list[str], before: _Side, after: _Side) -> dict[str, str]:
    """old name → new name for definitions whose tokens are equal but for their name."""
    if not added or not removed or len(added) * len(removed) > _RENAME_PAIRS or \
            before.parsed is None or after.parsed is None:
        return {}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for r in removed:
        olds = before.by_name[r]
        if len(olds) != 1:
            continue
        old_keys = _anonymous(before.parsed, olds[0])
        scope = r.rsplit(before.parsed.spec.separator, 1)[0] if before.parsed.spec.separator in r else ""
        for a in added:
            news = after.by_name[a]
            if a in taken or len(news) != 1 or news[0].kind != olds[0].kind:
                continue
            new_scope = a.rsplit(after.parsed.spec.separator, 1)[0] if after.parsed.spec.separator in a else ""
            if new_scope != scope:
                continue
            if _anonymous(after.parsed, news[0]) == old_keys:
                out[r] = a
                taken.add(a)
                break
    return out


def _anonymous(p: Parsed, d: Definition) -> list[Key]:
    keys, _ = _tokens(p, [d])
    bare = d.bare.encode("utf-8", "replace")
    return [("name", b"") if isinstance(k, tuple) and k[1] == bare else k for k in keys]


# --------------------------------------------------------------------------------------- tests


def _tests(path: str, before: _Side, after: _Side, old: Parsed | None, new: Parsed | None, lines: Lines,
           facts: FileFacts) -> None:
    for name in dict.fromkeys([*after.tests, *before.tests]):
        olds, news = before.tests.get(name), after.tests.get(name)
        side: Parsed | None
        if olds and news:
            assert old is not None and new is not None
            if not (_touched(old, olds, lines.old) or _touched(new, news, lines.new)):
                continue
            if _equal(old, olds, new, news):
                continue
            change = "modified"
            side, defs = new, news
        elif news and _absent(name, news[0], old):
            change, side, defs = "added", new, news
        elif olds and _absent(name, olds[0], new):
            change, side, defs = "removed", old, olds
        else:
            continue
        assert side is not None
        facts.tests.append(TestChange(path=path, name=name, change=change))  # type: ignore[arg-type]
        facts.test_texts[f"{path}\0{name}"] = "\n".join(
            side.source[d.start:d.end].decode("utf-8", "replace") for d in defs)
