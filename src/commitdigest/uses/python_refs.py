"""Where one Python file of the reader's code uses a followed package: each reference, as the
steps a resolver follows from an import of the package.

A reference is ``(steps, start, line, how, keywords)``. ``steps`` begin with what an import bound — the
module and the name imported from it (``""`` for a module itself) — then attribute names and
``"()"`` for a call: ``agent.as_tool(...)`` after ``from agents import Agent`` and
``agent = Agent(...)`` is ``("agents", "Agent", "()", "as_tool", "()")``. ``start`` is the first
step written at this line (the ones before came through a local name), so this line uses
``Agent.as_tool`` and not the class ``Agent`` itself. ``keywords`` are the keyword arguments
each call passes (``ModelSettings(temperature=0.2)`` does not rely on that default).

What is followed, with tree-sitter's tree of the file:

- imports of the package at any depth (``import a.b``, ``import a.b as m``, ``from a.b import x
  as y``, ``from a import *``), each visible in the scope it is in;
- local names bound from a reference: ``x = Agent(...)``, ``x: Agent = ...``, parameters
  annotated ``def f(x: Agent)`` (or ``Agent | None``), ``with Foo() as x``, ``self.x = ...`` in a
  class — flow-insensitive within their scope: a name bound twice in one scope is taken at its
  latest binding above the use;
- a class of the reader's deriving from one of the package: its bases, the methods it overrides,
  and ``self.m`` / ``super().m`` where ``m`` is not its own.

A name the file binds itself (its own functions, classes and variables) is never a reference,
whatever upstream calls the same name: only what an import of the package bound is followed.
Occurrences are found by their text first, then checked against the tree (an identifier in code,
not in a string or a comment), so a file's cost is its parse and the few places that name the
package's symbols.
"""

from __future__ import annotations

import builtins
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

#: the keyword arguments written at a call: (the call's step index, the names); ``"**"`` stands
#: for a ``**mapping`` that may pass any of them
Keywords = tuple[tuple[int, tuple[str, ...]], ...]
#: (steps, start, line, how, keywords)
Ref = tuple[tuple[str, ...], int, int, str, Keywords]
#: a name to look for, and the byte range of the scope it is bound in
Target = tuple[str, int, int]

#: rounds of local names bound from local names (``a = Agent(); b = a.clone(); c = b.as_tool()``)
_ROUNDS = 6
_SCOPES = frozenset({"function_definition", "class_definition", "lambda"})
_TRANSPARENT = frozenset({"await", "parenthesized_expression"})
#: what an expression's parent is when the expression is bound to a name (or annotates one)
_BINDS = frozenset({"assignment", "as_pattern", "type", "binary_operator"})
_BUILTINS = frozenset(dir(builtins)) | {"self", "cls"}
_IMPORT_LINE = re.compile(rb"(?m)^[ \t]*(from|import)\b")
_NOT_A_USE_PARENTS = frozenset({"dotted_name", "aliased_import", "import_from_statement", "import_statement",
                                "global_statement", "nonlocal_statement", "list_splat_pattern",
                                "dictionary_splat_pattern", "parameters", "lambda_parameters"})


def imports_package(source: bytes, packages: frozenset[str]) -> bool:
    """Whether the text has an ``import``/``from`` line naming one of ``packages``: files that
    do not are not parsed."""
    if not packages:
        return False
    names = b"|".join(re.escape(p.encode()) for p in sorted(packages))
    return re.search(rb"(?m)^[ \t]*(?:from[ \t]+(?:" + names + rb")\b|import[ \t]+[^\n#]*?\b(?:" + names +
                     rb")\b)", source) is not None


@dataclass
class _Binding:
    steps: tuple[str, ...]
    start: int  # where an occurrence's own steps begin
    lo: int  # the scope's byte range
    hi: int
    at: int  # where it is bound


class _File:
    def __init__(self, source: bytes, root: Node, packages: frozenset[str]):
        self.source = source
        self.root = root
        self.packages = packages
        self.bindings: dict[str, list[_Binding]] = {}
        self.bound: set[tuple[str, tuple[str, ...], tuple[int, int]]] = set()
        self.refs: dict[tuple[tuple[str, ...], int, str], tuple[int, Keywords]] = {}  # (steps, line, how) → …
        self.done: set[tuple[int, int]] = set()
        #: where each local name is bound from a reference: its own occurrence there is no use
        self.bound_at: set[tuple[str, int]] = set()
        self.subclasses: dict[int, tuple[Node, list[tuple[str, ...]]]] = {}

    # ------------------------------------------------------------------------------ helpers

    def text(self, node: Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def scope(self, node: Node) -> tuple[int, int]:
        """The byte range of the function or class ``node`` is inside, else the file's."""
        parent = node.parent
        while parent is not None:
            if parent.type in _SCOPES:
                return parent.start_byte, parent.end_byte
            parent = parent.parent
        return 0, len(self.source)

    def enclosing_class(self, node: Node) -> Node | None:
        parent = node.parent
        while parent is not None:
            if parent.type == "class_definition":
                return parent
            parent = parent.parent
        return None

    def bind(self, name: str, steps: tuple[str, ...], start: int, scope: tuple[int, int], at: int) -> set[Target]:
        """Bind ``name`` in ``scope``; returns where to look for it, when that is new."""
        key = (name, steps, scope)
        if key in self.bound:
            return set()
        self.bound.add(key)
        self.bindings.setdefault(name, []).append(_Binding(steps, start, scope[0], scope[1], at))
        if steps:
            self.bound_at.add((name, at))
        return {(name, scope[0], scope[1])}

    def binding(self, name: str, at: int) -> _Binding | None:
        """The binding of ``name`` visible at byte ``at``: the innermost scope's, and in it the
        latest bound above ``at`` (or the first, for a use above every binding)."""
        known = self.bindings.get(name, ())
        if len(known) == 1:  # most names are bound once
            only = known[0]
            return only if only.lo <= at < only.hi else None
        found = [b for b in known if b.lo <= at < b.hi]
        if not found:
            return None
        inner = min(b.hi - b.lo for b in found)
        found = [b for b in found if b.hi - b.lo == inner]
        above = [b for b in found if b.at <= at]
        return max(above, key=lambda b: (b.at, bool(b.steps))) if above else min(found, key=lambda b: b.at)

    def add(self, steps: tuple[str, ...], start: int, line: int, how: str, keywords: Keywords = ()) -> None:
        if start >= len(steps):
            return  # a local name passed on as it is: its own line already said what it is
        key = (steps, line, how)
        if key not in self.refs:
            self.refs[key] = (start, keywords)

    # ------------------------------------------------------------------------------ imports

    def statements(self) -> list[Node]:
        """The file's import statements, found by their keyword at a line's start (cheaper than a
        walk of the whole tree: only those lines are looked up in it)."""
        out: list[Node] = []
        seen: set[int] = set()
        for m in _IMPORT_LINE.finditer(self.source):
            node = self.root.descendant_for_byte_range(m.start(1), m.end(1))
            while node is not None and node.type not in ("import_statement", "import_from_statement", "module"):
                node = node.parent
            if node is not None and node.type != "module" and node.start_byte == m.start(1) and node.id not in seen:
                seen.add(node.id)
                out.append(node)
        return out

    def imports(self) -> None:
        for node in self.statements():
            scope = self.scope(node)
            if node.type == "import_statement":
                for name in node.children_by_field_name("name"):
                    dotted, alias = (name.child_by_field_name("name"), name.child_by_field_name("alias")) \
                        if name.type == "aliased_import" else (name, None)
                    if dotted is None:
                        continue
                    module = self.text(dotted)
                    top = module.split(".", 1)[0]
                    if top not in self.packages:
                        continue
                    if alias is not None:
                        self.bind(self.text(alias), (module, ""), 1, scope, node.start_byte)
                    else:  # ``import a.b`` binds ``a``; ``a.b.x`` is then followed attribute by attribute
                        self.bind(top, (top, ""), 1, scope, node.start_byte)
                continue
            module_node = node.child_by_field_name("module_name")
            if module_node is None or module_node.type != "dotted_name":
                continue  # a relative import: the reader's own package
            module = self.text(module_node)
            if module.split(".", 1)[0] not in self.packages:
                continue
            if any(c.type == "wildcard_import" for c in node.children):
                self.stars(module)
                continue
            for name in node.children_by_field_name("name"):
                dotted, alias = (name.child_by_field_name("name"), name.child_by_field_name("alias")) \
                    if name.type == "aliased_import" else (name, None)
                if dotted is None:
                    continue
                imported = self.text(dotted)
                self.bind(self.text(alias) if alias is not None else imported, (module, imported), 1, scope,
                          node.start_byte)
                self.add((module, imported), 1, dotted.start_point[0] + 1, "import")

    def stars(self, module: str) -> None:
        """``from module import *``: every name the file uses and does not bind may come from it
        (the resolver says whether the module has it)."""
        from tree_sitter import QueryCursor

        from commitdigest.uses.queries import python_names

        used: set[str] = set()
        bound: set[str] = set()
        captures = QueryCursor(python_names()).captures(self.root)
        for node in captures.get("name", []):
            used.add(self.text(node))
        for node in captures.get("bound", []):
            bound.add(self.text(node))
        for name in used - bound - _BUILTINS:
            self.bind(name, (module, name), 1, (0, len(self.source)), 0)

    # -------------------------------------------------------------------------- occurrences

    def occurrences(self, targets: set[Target]) -> set[Target]:
        """References at every occurrence of each name in its scope (a local name is looked for
        only where it is bound); returns the local names newly bound."""
        new: set[Target] = set()
        by_scope: dict[tuple[int, int], set[str]] = {}
        for name, lo, hi in targets:
            by_scope.setdefault((lo, hi), set()).add(name)
        for (lo, hi), names in sorted(by_scope.items()):
            new |= self._scan(names, lo, hi)
        return new

    def _scan(self, names: set[str], lo: int, hi: int) -> set[Target]:
        simple = sorted((n for n in names if "." not in n), key=len, reverse=True)
        dotted = sorted((n for n in names if "." in n), key=len, reverse=True)
        new: set[Target] = set()
        if simple:
            rx = re.compile(rb"(?<![\w.])(?:" + b"|".join(re.escape(n.encode()) for n in simple) + rb")(?!\w)")
            for m in rx.finditer(self.source, lo, hi):
                if (m.group().decode(), m.start()) in self.bound_at:
                    continue  # ``x = Agent()``'s own ``x``, read when the binding was made
                node = self.root.descendant_for_byte_range(m.start(), m.end())
                if node is None or node.type != "identifier" or node.start_byte != m.start() \
                        or node.end_byte != m.end():
                    continue
                if not self.is_use(node):
                    self.shadow(node)
                    continue
                new |= self.occurrence(self.text(node), node, node)
        for name in dotted:  # ``self.x`` bound in a class
            head, attr = name.split(".", 1)
            rx = re.compile(re.escape(head.encode()) + rb"\s*\.\s*" + re.escape(attr.encode()) + rb"(?!\w)")
            for m in rx.finditer(self.source, lo, hi):
                node = self.root.descendant_for_byte_range(m.start(), m.end())
                if node is None or node.type != "attribute" or node.start_byte != m.start() or (
                        node.parent is not None and node.parent.type == "assignment"
                        and node.parent.child_by_field_name("left") == node):
                    continue
                new |= self.occurrence(name, node, node)
        return new

    def is_use(self, node: Node) -> bool:
        parent = node.parent
        if parent is None:
            return False
        kind = parent.type
        if kind in _NOT_A_USE_PARENTS:
            return False
        if kind == "attribute":
            return parent.child_by_field_name("attribute") != node
        if kind in ("keyword_argument", "function_definition", "class_definition", "default_parameter",
                    "typed_default_parameter"):
            return parent.child_by_field_name("name") != node
        if kind == "typed_parameter":
            return parent.named_children[0] != node  # the parameter's own name comes first
        if kind in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
            return parent.child_by_field_name("left") != node
        return kind not in ("as_pattern_target", "pattern_list", "tuple_pattern")

    def shadow(self, node: Node) -> None:
        """A name of the package's bound here by the file itself (a parameter, an assignment, a
        function or class of its own): from here on in this scope it is the file's, not the package's."""
        parent = node.parent
        if parent is None:
            return
        kind = parent.type
        defines = kind in ("function_definition", "class_definition") and parent.child_by_field_name("name") == node
        binds = defines or kind in ("parameters", "lambda_parameters", "default_parameter", "typed_parameter",
                                    "typed_default_parameter", "as_pattern_target", "pattern_list", "tuple_pattern",
                                    "for_statement", "for_in_clause") \
            or (kind in ("assignment", "augmented_assignment") and parent.child_by_field_name("left") == node)
        if not binds or (kind in ("typed_parameter",) and parent.named_children[0] != node):
            return
        scope = self.scope(parent) if defines else self.scope(node)
        name = self.text(node)
        if any(b.at == node.start_byte for b in self.bindings.get(name, ())):
            return  # bound here from a reference of the package (``x = Agent()``, ``x: Agent``)
        self.bind(name, (), 0, scope, node.start_byte)

    def occurrence(self, name: str, node: Node, head: Node) -> set[Target]:
        """One occurrence of a bound ``name`` at ``node``: its reference, and the local name it
        binds, if any."""
        key = (head.start_byte, head.end_byte)
        if key in self.done:
            return set()
        self.done.add(key)
        binding = self.binding(name, node.start_byte)
        if binding is None or not binding.steps:
            return set()  # not bound here, or bound by the file itself
        rel, top, passed = self.climb(head)
        steps = binding.steps + rel
        how = self.how(top, rel)
        line = node.start_point[0] + 1
        self.add(steps, binding.start, line, how, tuple((len(binding.steps) + i, k) for i, k in passed))
        if how == "subclass" and top.parent is not None and top.parent.parent is not None:
            cls = top.parent.parent
            entry = self.subclasses.setdefault(cls.id, (cls, []))
            if steps not in entry[1]:
                entry[1].append(steps)
        return self.aliases(top, steps)

    def climb(self, node: Node) -> tuple[tuple[str, ...], Node, list[tuple[int, tuple[str, ...]]]]:
        """The attribute names and calls written on ``node`` (``x.a.b(...)``), the node the chain
        ends at, and each call's keyword arguments (by position in the names). A subscript
        (``Agent[Ctx]``), ``await`` and parentheses are looked through."""
        out: list[str] = []
        keywords: list[tuple[int, tuple[str, ...]]] = []
        cur = node
        while True:
            parent = cur.parent
            if parent is None:
                break
            if parent.type == "attribute" and parent.child_by_field_name("object") == cur:
                attr = parent.child_by_field_name("attribute")
                if attr is None:
                    break
                out.append(self.text(attr))
            elif parent.type == "call" and parent.child_by_field_name("function") == cur:
                passed = self.keywords(parent)
                if passed:
                    keywords.append((len(out), passed))
                out.append("()")
            elif parent.type == "subscript" and parent.child_by_field_name("value") == cur:
                pass
            elif parent.type in _TRANSPARENT:
                pass
            else:
                break
            cur = parent
        return tuple(out), cur, keywords

    def keywords(self, call: Node) -> tuple[str, ...]:
        args = call.child_by_field_name("arguments")
        out: list[str] = []
        for arg in args.named_children if args is not None else ():
            if arg.type == "keyword_argument" and (name := arg.child_by_field_name("name")) is not None:
                out.append(self.text(name))
            elif arg.type == "dictionary_splat":
                out.append("**")
        return tuple(out)

    @staticmethod
    def how(top: Node, rel: tuple[str, ...]) -> str:
        parent = top.parent
        if parent is not None and parent.type == "decorator":
            return "decorator"
        if parent is not None and parent.type == "argument_list" and parent.parent is not None \
                and parent.parent.type == "class_definition" and parent.parent.child_by_field_name("superclasses") == parent:
            return "subclass"
        return "call" if rel and rel[-1] == "()" else "reference"

    def aliases(self, top: Node, steps: tuple[str, ...]) -> set[Target]:
        """The local name the expression at ``top`` is bound to, if any."""
        ctx, parent = top, top.parent
        while parent is not None and parent.type in _TRANSPARENT:
            ctx, parent = parent, parent.parent
        if parent is None or parent.type not in _BINDS:
            return set()
        target: Node | None = None
        bound = steps
        if parent.type == "assignment" and parent.child_by_field_name("right") == ctx:
            target = parent.child_by_field_name("left")
        elif parent.type == "as_pattern" and parent.named_children and parent.named_children[0] == ctx:
            alias = parent.child_by_field_name("alias")
            target = alias.named_children[0] if alias is not None and alias.named_children else alias
        else:
            annotation = parent
            if annotation.type == "binary_operator" and annotation.parent is not None \
                    and annotation.parent.type == "type":  # ``Agent | None``
                annotation = annotation.parent
            if annotation.type != "type" or annotation.parent is None:
                return set()
            holder = annotation.parent
            bound = steps + ("()",)  # annotated: an instance
            if holder.type == "assignment" and holder.child_by_field_name("type") == annotation:
                target = holder.child_by_field_name("left")
                parent = holder
            elif holder.type in ("typed_parameter", "typed_default_parameter") \
                    and holder.child_by_field_name("type") == annotation:
                target = holder.child_by_field_name("name") if holder.type == "typed_default_parameter" \
                    else (holder.named_children[0] if holder.named_children else None)
                if target is None or target.type != "identifier":
                    return set()
                function = holder.parent.parent if holder.parent is not None else None
                if function is None or function.type not in ("function_definition", "lambda"):
                    return set()
                return self.bind(self.text(target), bound, len(bound), (function.start_byte, function.end_byte),
                                 target.start_byte)
            else:
                return set()
        if target is None:
            return set()
        if target.type == "identifier":
            return self.bind(self.text(target), bound, len(bound), self.scope(parent), target.start_byte)
        if target.type == "attribute":
            obj, attr = target.child_by_field_name("object"), target.child_by_field_name("attribute")
            cls = self.enclosing_class(target)
            if obj is not None and attr is not None and obj.type == "identifier" and self.text(obj) == "self" \
                    and cls is not None:
                return self.bind(f"self.{self.text(attr)}", bound, len(bound), (cls.start_byte, cls.end_byte), 0)
        return set()

    # ------------------------------------------------------------------ the reader's subclasses

    def subclass_members(self) -> None:
        """Methods a class of the reader's overrides, and ``self.m`` / ``super().m`` it inherits
        from a base of the package."""
        for cls, bases in self.subclasses.values():
            body = cls.child_by_field_name("body")
            if body is None:
                continue
            own: set[str] = set()
            methods: list[Node] = []
            for child in body.named_children:
                definition = child.child_by_field_name("definition") if child.type == "decorated_definition" else child
                if definition is None:
                    continue
                if definition.type in ("function_definition", "class_definition"):
                    name = definition.child_by_field_name("name")
                    if name is not None:
                        own.add(self.text(name))
                        if definition.type == "function_definition":
                            methods.append(name)
                elif definition.type == "expression_statement":
                    for part in definition.named_children:
                        if part.type == "assignment" and (left := part.child_by_field_name("left")) is not None \
                                and left.type == "identifier":
                            own.add(self.text(left))
            text = self.source[cls.start_byte:cls.end_byte]
            own |= {m.group(1).decode("utf-8", "replace")
                    for m in re.finditer(rb"\bself\s*\.\s*(\w+)\s*(?::[^=\n]*)?=(?!=)", text)}
            for name_node in methods:
                method = self.text(name_node)
                for base in bases:
                    self.add(base + ("()", method), len(base) + 1, name_node.start_point[0] + 1, "override")
            for rx in (rb"\bself\s*\.\s*(\w+)", rb"\bsuper\(\s*\)\s*\.\s*(\w+)"):
                for m in re.finditer(rx, text):
                    member = m.group(1).decode("utf-8", "replace")
                    if rx.startswith(rb"\bself") and (member in own or f"self.{member}" in self.bindings):
                        continue
                    at = cls.start_byte + m.start()
                    node = self.root.descendant_for_byte_range(at, cls.start_byte + m.end())
                    if node is None or node.type != "attribute" or node.start_byte != at:
                        continue
                    rel, top, passed = self.climb(node)
                    for base in bases:
                        steps = base + ("()", member) + rel
                        self.add(steps, len(base) + 1, node.start_point[0] + 1, self.how(top, rel),
                                 tuple((len(base) + 2 + i, k) for i, k in passed))


def extract(source: bytes, packages: frozenset[str], deadline: float | None = None) -> list[Ref]:
    """The references of one file to ``packages`` (top-level package names), in the file's order."""
    if not imports_package(source, packages):
        return []
    from commitdigest.semantic.languages import parser

    ts = parser("python")
    options: dict = {}
    if deadline is not None:
        options["progress_callback"] = lambda _offset, _error: time.monotonic() > deadline
    try:
        tree = ts.parse(lambda offset, _point: source[offset:offset + 65536], **options)
    except BaseException:
        ts.reset()
        raise
    f = _File(source, tree.root_node, packages)
    f.imports()
    targets = {(name, b.lo, b.hi) for name, known in f.bindings.items() for b in known}
    for _ in range(_ROUNDS):
        if not targets:
            break
        targets = f.occurrences(targets)
    f.subclass_members()
    # by line; within a line, in the order found (deterministic: the file is read in order)
    return sorted(((steps, start, line, how, kw) for (steps, line, how), (start, kw) in f.refs.items()),
                  key=lambda r: r[2])
