"""One blob → its definitions, named as the language writes them.

The definitions query of the file's language (``queries/<lang>.scm``) finds each definition
and its name; the few facts a query cannot state — the scopes a name sits in, what "public"
means, which wrapper nodes (decorators, ``export``, ``template<…>``) and leading siblings
(attributes, doc comments) belong to it — come from the language's table row
(``languages.Spec``). A definition nested in a function is part of that function, not a symbol
of its own: that is how readers and callers see it.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import TYPE_CHECKING

from commitdigest.semantic.languages import Spec, parser

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

_WS = re.compile(r"\s+")
_GENERICS = re.compile(r"<[^<>]*>|\[[^\[\]]*\]")
_FUNCTIONS = frozenset({"function", "method"})
#: Go names that make a function a test, a benchmark or a fuzz target (``TestX(t *testing.T)``)
_GO_TEST = re.compile(r"^(Test|Benchmark|Fuzz|Example)([A-Z_0-9]|$)")
_RUST_TEST_ATTR = re.compile(r"#\[\s*(?:[\w:]+::)?test\b")


def fold(text: str, limit: int = 160) -> str:
    """Whitespace folded to single spaces, at most ``limit`` characters (an ellipsis marks a cut)."""
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


class Definition:
    """One definition of a blob. Its name, kind and node are found for every definition (the
    two sides are matched by name); the rest is worked out only for the few a report names."""

    __slots__ = ("name", "kind", "node", "end", "_parent", "children", "_parsed", "_scopes", "_bare", "_start",
                 "_public", "_test", "__weakref__")

    def __init__(self, parsed: Parsed, name: str, kind: str, node: Node, end: int, scopes: list[str], bare: str):
        self.name = name  # qualified: Class.method, Type::method, ns::Class::method
        self.kind = kind
        self.node = node  # the captured node, without wrappers
        self.end = end  # end of the definition with its wrappers
        self._parent: weakref.ref[Definition] | None = None  # the enclosing definition
        self.children: list[Definition] = []
        # Weak references up (to the blob, to the enclosing definition), strong ones down: the
        # definitions of a blob form no cycle, so a blob let go is freed at once, its tree with
        # it, rather than whenever the cycle collector runs (a worker reading a year of commits
        # grew by hundreds of MB of trees waiting for it).
        self._parsed: Parsed = weakref.proxy(parsed)
        self._scopes = scopes
        self._bare = bare
        self._start: int | None = None
        self._public: bool | None = None
        self._test: bool | None = None

    @property
    def parent(self) -> Definition | None:
        return self._parent() if self._parent is not None else None

    @parent.setter
    def parent(self, value: Definition | None) -> None:
        self._parent = weakref.ref(value) if value is not None else None

    @property
    def bare(self) -> str:
        return self.name.rsplit(".", 1)[-1].rsplit("::", 1)[-1]

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1

    @property
    def outer(self) -> Node:
        """The node with its wrappers (decorators, ``export``, ``template<…>``)."""
        outer = self.node
        while outer.parent is not None and outer.parent.type in self._parsed.spec.wrappers:
            outer = outer.parent
        return outer

    @property
    def start(self) -> int:
        """Where the definition starts, its attributes and doc comments on the lines right above
        included."""
        if self._start is None:
            p, spec = self._parsed, self._parsed.spec
            outer = self.outer
            start = outer.start_byte
            sibling = outer.prev_named_sibling
            while sibling is not None and (sibling.type in spec.leading or sibling.type in spec.comments) \
                    and p.line_of(start) - p.line_of(max(sibling.end_byte - 1, sibling.start_byte)) <= 1:
                start = sibling.start_byte
                sibling = sibling.prev_named_sibling
            self._start = start
        return self._start

    @property
    def public(self) -> bool:
        if self._public is None:
            self._public = _public(self._parsed, self.node, self.outer, self.kind, self._bare, self._scopes)
        return self._public

    @public.setter
    def public(self, value: bool) -> None:
        self._public = value

    @property
    def test(self) -> bool:
        if self._test is None:
            self._test = self.kind == "test" or _is_test(self._parsed, self, self.start)
        return self._test


@dataclass
class Parsed:
    """A blob's tree and definitions."""

    spec: Spec
    source: bytes
    tree: Tree
    #: byte ranges git's text holds that the grammar could not read
    errors: list[tuple[int, int]]
    #: each source line's start offset, for line ↔ byte arithmetic
    line_starts: list[int]
    test_file: bool = False
    #: enclosing scope names by parent node id (``_scopes``)
    scopes: dict[int, list[str]] = field(default_factory=dict)
    _all: list[Definition] | None = None

    @property
    def definitions(self) -> list[Definition]:
        """Every definition of the blob (found once, on first use)."""
        if self._all is None:
            self._all = _definitions(self, None)
        return self._all

    def find(self, ranges: list[tuple[int, int]] | None) -> list[Definition]:
        """The definitions that reach into any of ``ranges`` (byte ranges), their enclosing ones
        included; all of them with ``None``. A diff's hunks name the ranges: a definition none of
        them reaches is the same text on both sides, and is never even made."""
        return self.definitions if ranges is None or self._all is not None else _definitions(self, ranges)

    def slim(self) -> None:
        """Let go of what is worked out from the tree (definitions, scope names): made again
        on first use. A parse kept for long keeps only its source and tree."""
        self._all = None
        self.scopes = {}

    def line_of(self, offset: int) -> int:
        """0-based line of a byte offset."""
        from bisect import bisect_right

        return bisect_right(self.line_starts, offset) - 1

    def offset(self, line: int) -> int:
        """Byte offset of a 0-based line's start (the end of the blob past its last line)."""
        return self.line_starts[line] if 0 <= line < len(self.line_starts) else len(self.source)

    def text(self, node: Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def in_error(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.errors)


def line_starts(source: bytes) -> list[int]:
    """The offset of each line's first byte (C-level iterators: a large file has many lines)."""
    lengths = map(len, source.split(b"\n"))
    starts = list(accumulate(map(int.__add__, lengths, repeat(1)), initial=0))
    starts.pop()  # past the end: the last line has no newline of its own
    return starts


#: a hunk as line numbers: (old start, old count, new start, new count), as ``@@`` writes them
Hunk = tuple[int, int, int, int]


def parse(spec: Spec, source: bytes, deadline: float | None = None,
          neighbour: tuple[Parsed, list[Hunk]] | None = None, test_file: bool = False) -> Parsed:
    """The blob's tree and definitions. With a ``deadline`` (``time.monotonic()``), a parse
    still running then is abandoned: ``ValueError``. With a ``neighbour`` — the parse of the
    blob on the other side of a diff and the diff's hunks, written from the neighbour towards
    this blob — tree-sitter reparses incrementally, reusing what the hunks leave unchanged."""
    old_tree = None
    starts = line_starts(source)
    if neighbour is not None:
        base, hunks = neighbour
        old_tree = base.tree.copy()
        for edit in _edits(base, source, starts, hunks):
            old_tree.edit(**edit)
    def reader(offset: int, _point: object) -> bytes:
        return source[offset:offset + 65536]

    # Only a parse fed by a reader can be stopped part-way; the reader costs nothing measurable.
    options: dict = {} if old_tree is None else {"old_tree": old_tree}
    if deadline is not None:
        import time

        options["progress_callback"] = lambda _offset, _error: time.monotonic() > deadline
    ts_parser = parser(spec.name)
    try:
        tree = ts_parser.parse(reader, **options)
    except BaseException:
        # A parse stopped part-way would otherwise be resumed by the next one, on other text.
        ts_parser.reset()
        raise
    root = tree.root_node
    errors = _error_ranges(root) if root.has_error else []
    return Parsed(spec=spec, source=source, tree=tree, errors=errors, line_starts=starts, test_file=test_file)


def _edits(base: Parsed, source: bytes, new_starts: list[int], hunks: list[Hunk]) -> list[dict]:
    """tree-sitter edits turning ``base``'s text into ``source``, one per hunk, each in the
    coordinates left by the ones before it (which only changed text above it)."""
    old_starts = base.line_starts

    def at(starts: list[int], size: int, line: int) -> int:
        return starts[line] if line < len(starts) else size

    out = []
    for o_start, o_count, n_start, n_count in hunks:
        # "@@ -5,0 +6,2 @@" inserts after line 5: a zero count names the line before the change
        o_first = o_start if o_count == 0 else o_start - 1
        n_first = n_start if n_count == 0 else n_start - 1
        start = at(new_starts, len(source), n_first)
        old_len = at(old_starts, len(base.source), o_first + o_count) - at(old_starts, len(base.source), o_first)
        new_end = at(new_starts, len(source), n_first + n_count)
        out.append(dict(start_byte=start, old_end_byte=start + old_len, new_end_byte=new_end,
                        start_point=(n_first, 0), old_end_point=(n_first + o_count, 0),
                        new_end_point=(n_first + n_count, 0)))
    return out


def _error_ranges(root: Node) -> list[tuple[int, int]]:
    """The byte ranges of ERROR and MISSING nodes: what the grammar could not read."""
    out: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            out.append((node.start_byte, max(node.end_byte, node.start_byte + 1)))
            continue
        if node.has_error:
            stack.extend(node.children)
    return out


#: node types whose members are definitions of their own: the definitions query is run again
#: inside each (with the language's ``member_depth``), and never inside a function
_CONTAINERS = frozenset({"class_definition", "impl_item", "trait_item", "mod_item", "class_declaration",
                         "abstract_class_declaration", "class", "internal_module", "interface_declaration",
                         "namespace_definition", "class_specifier", "struct_specifier", "union_specifier"})
#: in a test file of these languages tests are calls nested in calls (``describe(() => it(…))``)
_NESTED_TESTS = frozenset({"typescript", "tsx", "javascript"})


def _definitions(p: Parsed, ranges: list[tuple[int, int]] | None) -> list[Definition]:

    spec = p.spec
    seen: dict[int, tuple[int, Node, str, Node | None]] = {}  # node id → (pattern, node, kind, name node)
    for window in _widened(p, ranges) if ranges is not None else [None]:
        todo: list[tuple[Node, int]] = [(p.tree.root_node, spec.top_depth)]
        if p.test_file and spec.name in _NESTED_TESTS:
            todo = [(p.tree.root_node, 64)]
        _search(spec, todo, window, seen)
    found_defs: list[Definition] = []
    for _, node, kind, name_node in sorted(seen.values(), key=lambda v: (v[1].start_byte, -v[1].end_byte)):
        if name_node is None:
            continue
        made = _definition(p, node, kind, name_node)
        if made is not None:
            found_defs.append(made)
    return _nest(found_defs)


def _widened(p: Parsed, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each range grown to the definitions its lines belong to from outside them: a decorator,
    an ``export``, an attribute or a comment above a definition reaches the definition."""
    from tree_sitter import QueryCursor

    out = []
    for lo, hi in ranges:
        cursor = QueryCursor(p.spec.around_query)
        cursor.set_byte_range(lo, hi)
        for nodes in cursor.captures(p.tree.root_node).values():
            for node in nodes:
                lo, hi = min(lo, node.start_byte), max(hi, node.end_byte)
                if node.type in p.spec.leading or node.type in p.spec.comments:
                    after = node.next_named_sibling
                    while after is not None and (after.type in p.spec.leading or after.type in p.spec.comments):
                        after = after.next_named_sibling
                    if after is not None:
                        hi = max(hi, min(after.end_byte, after.start_byte + 1))
        out.append((lo, hi))
    return out


def _search(spec: Spec, todo: list[tuple[Node, int]], window: tuple[int, int] | None,
            seen: dict[int, tuple[int, Node, str, Node | None]]) -> None:
    """The definitions query from the root, then again inside each container it finds, each
    time no deeper than the language's depth and, with a ``window``, only where it reaches."""
    from tree_sitter import QueryCursor

    searched: set[int] = set()
    while todo:
        node, depth = todo.pop()
        if node.id in searched:
            continue
        searched.add(node.id)
        cursor = QueryCursor(spec.definitions)
        cursor.set_max_start_depth(depth)
        if window is not None:
            cursor.set_byte_range(*window)
        for pattern, captures in cursor.matches(node):
            if "scope" in captures:
                todo.append((captures["scope"][0], spec.member_depth))
                continue
            kinds = [k for k in captures if k.startswith("definition.")]
            if not kinds:
                continue
            found = captures[kinds[0]][0]
            name = captures.get("name") or captures.get("declarator")
            key = found.id
            if found.type in _CONTAINERS and found.id != node.id:
                todo.append((found, spec.member_depth))  # searched again in each window
            if key in seen and seen[key][0] <= pattern:
                continue  # the first pattern that matched a node is the most specific one
            seen[key] = (pattern, found, kinds[0].split(".", 1)[1], name[0] if name else None)


def _definition(p: Parsed, node: Node, kind: str, name_node: Node) -> Definition | None:
    spec = p.spec
    if spec.name in ("c", "cpp") and kind == "function":
        bare = _declarator_name(p, name_node)
        if bare is None:
            return None  # a variable declared with a pointer, not a function
    elif kind == "test":
        bare = fold(p.text(name_node).strip("'\"`"), 120)
    elif spec.name == "go" and kind == "method":
        bare = p.text(name_node)
        receiver = _go_receiver(p, node)
        bare = f"{receiver}.{bare}" if receiver else bare
    else:
        bare = p.text(name_node)
    end = node.end_byte
    parent = node.parent
    while parent is not None and parent.type in spec.wrappers:
        end = parent.end_byte
        parent = parent.parent
    scopes = _scopes(p, node)
    name = spec.separator.join([*scopes, bare]) if scopes else bare
    if kind == "function" and _in_type(spec, node):
        kind = "method"
    d = Definition(p, name, kind, node, end, scopes, bare)
    if spec.name == "rust" and _in_test_module(p, node) and not d.test:
        return None  # a helper of a #[cfg(test)] module: part of the tests
    return d


def _nest(defs: list[Definition]) -> list[Definition]:
    """Parents and children by containment; definitions inside a function are part of it."""
    out: list[Definition] = []
    stack: list[Definition] = []
    for d in defs:
        start = d.node.start_byte
        while stack and not (stack[-1].node.start_byte <= start and d.end <= stack[-1].end):
            stack.pop()
        if stack and (stack[-1].kind in _FUNCTIONS or stack[-1].kind in ("test", "constant")):
            continue  # a closure, a local class or a test's own helper: part of what holds it
        if stack:
            d.parent = stack[-1]
            stack[-1].children.append(d)
        stack.append(d)
        out.append(d)
    return out


def _in_test_module(p: Parsed, node: Node) -> bool:
    """Inside a Rust ``mod`` marked ``#[cfg(test)]``."""
    parent = node.parent
    while parent is not None:
        if parent.type == "mod_item":
            sibling = parent.prev_named_sibling
            while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
                if sibling.type == "attribute_item" and "test" in p.text(sibling):
                    return True
                sibling = sibling.prev_named_sibling
        parent = parent.parent
    return False


def _scopes(p: Parsed, node: Node) -> list[str]:
    """Names of the enclosing scopes, outermost first (classes, impls, traits, namespaces).
    Definitions side by side share them: found once per parent."""
    parent = node.parent
    if parent is None:
        return []
    known = p.scopes.get(parent.id)
    if known is None:
        known = p.scopes[parent.id] = _scope_names(p, parent)
    return known


def _scope_names(p: Parsed, parent: Node | None) -> list[str]:
    names: list[str] = []
    spec = p.spec
    while parent is not None:
        field_name = spec.scopes.get(parent.type)
        if field_name:
            scope = parent.child_by_field_name(field_name)
            if scope is not None:
                names.append(_type_name(p.text(scope), spec.separator))
            elif parent.type == "namespace_definition":
                names.append("(anonymous namespace)")
        parent = parent.parent
    return names[::-1]


def _type_name(text: str, sep: str) -> str:
    """``Foo<T>``, ``&mut bar::Baz<T>``, ``*Server[T]`` → the type's own name."""
    text = _WS.sub("", text)
    prev = None
    while prev != text:
        prev, text = text, _GENERICS.sub("", text)
    text = text.lstrip("&*").removeprefix("mut").removeprefix("dyn")
    return text.rsplit("::", 1)[-1] if sep == "::" and "::" in text else text


def _go_receiver(p: Parsed, node: Node) -> str | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for param in receiver.named_children:
        kind = param.child_by_field_name("type")
        if kind is not None:
            return _type_name(p.text(kind), ".")
    return None


_DECLARATOR_WRAPPERS = frozenset({"pointer_declarator", "reference_declarator", "parenthesized_declarator",
                                  "attributed_declarator"})


def _declarator_name(p: Parsed, node: Node) -> str | None:
    """The function name a C/C++ declarator declares, or None when it declares no function."""
    while node.type in _DECLARATOR_WRAPPERS:
        inner = node.child_by_field_name("declarator")
        if inner is None:
            named = [c for c in node.named_children if c.type not in ("type_qualifier", "attribute_declaration")]
            if not named:
                return None
            inner = named[-1]
        node = inner
    if node.type != "function_declarator":
        return None
    name = node.child_by_field_name("declarator")
    if name is None:
        return None
    text = _WS.sub("", p.text(name))
    return text or None


def _in_type(spec: Spec, node: Node) -> bool:
    """A function defined inside a class, impl, trait or struct body: a method."""
    parent = node.parent
    while parent is not None:
        if parent.type in ("class_definition", "class_body", "impl_item", "trait_item", "field_declaration_list",
                           "class_specifier", "struct_specifier", "interface_body", "declaration_list") \
                and (parent.type != "declaration_list" or (parent.parent is not None
                                                           and parent.parent.type in ("impl_item", "trait_item"))) \
                and (parent.type != "field_declaration_list" or spec.name == "cpp"):
            return True
        if parent.type in ("function_definition", "function_item", "function_declaration", "method_definition",
                           "arrow_function", "namespace_definition", "mod_item", "internal_module"):
            return False
        parent = parent.parent
    return False


def _public(p: Parsed, node: Node, outer: Node, kind: str, bare: str, scopes: list[str]) -> bool:
    lang = p.spec.name
    if lang == "python":
        return all(not part.startswith("_") or (part.startswith("__") and part.endswith("__"))
                   for part in [*scopes, bare])
    if lang == "go":
        return bare.rsplit(".", 1)[-1][:1].isupper()
    if lang == "rust":
        return _rust_public(p, node)
    if lang in ("typescript", "tsx", "javascript"):
        return _ecma_public(p, node, outer, bare)
    return _c_public(p, node, outer)


def _rust_public(p: Parsed, node: Node) -> bool:
    parent = node.parent
    container = parent.parent if parent is not None and parent.type == "declaration_list" else None
    if container is not None and container.type == "impl_item" and container.child_by_field_name("trait") is not None:
        return True  # a trait's method, implemented: as visible as the trait
    if container is not None and container.type == "trait_item":
        node = container
    return any(c.type == "visibility_modifier" and p.text(c).strip() == "pub" for c in node.children)


def _ecma_public(p: Parsed, node: Node, outer: Node, bare: str) -> bool:
    if bare.startswith("#"):
        return False
    if any(c.type == "accessibility_modifier" and p.text(c) in ("private", "protected") for c in node.children):
        return False
    parent = node.parent
    while parent is not None:
        if parent.type == "export_statement":
            return True
        if parent.type in ("class_body", "interface_body"):
            holder = parent.parent
            return holder is not None and _ecma_public(p, holder, holder, "")
        if parent.type == "program":
            return False
        parent = parent.parent
    return False


def _c_public(p: Parsed, node: Node, outer: Node) -> bool:
    if any(c.type == "storage_class_specifier" and p.text(c) == "static" for c in node.children) \
            and not _inside(node, ("field_declaration_list",)):
        return False
    parent = node.parent
    while parent is not None:
        if parent.type == "namespace_definition" and parent.child_by_field_name("name") is None:
            return False  # an anonymous namespace: this translation unit only
        if parent.type == "field_declaration_list" and parent.parent is not None:
            return _access(p, parent, node) == "public"
        parent = parent.parent
    return True


def _inside(node: Node, types: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in types:
            return True
        parent = parent.parent
    return False


def _access(p: Parsed, body: Node, member: Node) -> str:
    """The access of a C++ class member: the last ``public:``/``private:`` label before it, else
    the default of its class (``struct``: public, ``class``: private)."""
    holder = body.parent
    access = "private" if holder is not None and holder.type == "class_specifier" else "public"
    for child in body.named_children:
        if child.start_byte >= member.start_byte:
            break
        if child.type == "access_specifier":
            access = p.text(child).strip().rstrip(":").strip()
    return access


def _is_test(p: Parsed, d: Definition, start: int) -> bool:
    lang = p.spec.name
    if d.kind not in _FUNCTIONS:
        return False
    if lang == "python":
        return d.bare.startswith("test")
    if lang == "go":
        return bool(_GO_TEST.match(d.bare))
    if lang == "rust":
        leading = p.source[start:d.node.start_byte].decode("utf-8", "replace")
        return bool(_RUST_TEST_ATTR.search(leading))
    return False
