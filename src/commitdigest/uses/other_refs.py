"""Where a Go, Rust, TypeScript or JavaScript file of the reader's code uses a followed
repository: the names it imports from it, and the members written on them. Less precise than
Python's resolver, on purpose: imported names are matched by name (README, "Your code").

References are ``(steps, start, line, how, keywords)`` as for Python (no keywords here), with the language first:

- Go: ``("go", import path, Name)`` for ``pkg.Name`` where ``pkg`` is a package of the followed
  module (``go.mod``), by its import name or alias;
- Rust: ``("rust", crate, module…, Name[, member])`` for a name brought in by ``use crate::…``
  (or an alias), or a path written out from the crate (``tokio::time::sleep``);
- TypeScript / JavaScript: ``("ecma", package, Name[, member…])`` for a name imported from the
  package (``import { A, B as C } from "pkg"``, ``import * as ns from "pkg"``), ``"()"`` marking
  a call or ``new``.

No local inference: a method called on a value of an imported type is not followed.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from commitdigest.uses.python_refs import Ref

if TYPE_CHECKING:
    from tree_sitter import Node, Tree


def _parse(language: str, source: bytes, deadline: float | None) -> Tree:
    from commitdigest.semantic.languages import parser

    ts = parser(language)
    options: dict = {}
    if deadline is not None:
        options["progress_callback"] = lambda _offset, _error: time.monotonic() > deadline
    try:
        return ts.parse(lambda offset, _point: source[offset:offset + 65536], **options)
    except BaseException:
        ts.reset()
        raise


def _text(source: bytes, node: Node) -> str:
    return source[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _finds(source: bytes, names: set[str], follow: bytes = b"") -> list[re.Match[bytes]]:
    if not names:
        return []
    alternatives = b"|".join(re.escape(n.encode()) for n in sorted(names, key=len, reverse=True))
    return list(re.finditer(rb"(?<![\w.$])(" + alternatives + rb")(?![\w$])" + follow, source))


# ----------------------------------------------------------------------------------------- Go


def _go_package_name(path: str) -> str:
    """The name a Go import is used by without an alias: its last element, less a major version
    (``…/v2``) or a ``gopkg.in`` version suffix (``yaml.v3``)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts.pop()
    last = parts[-1] if parts else path
    return re.sub(r"\.v\d+$", "", last).replace("-", "_")


def extract_go(source: bytes, modules: frozenset[str], deadline: float | None = None) -> list[Ref]:
    if not any(f'"{m}'.encode() in source for m in modules):
        return []
    from tree_sitter import QueryCursor

    from commitdigest.uses.queries import go_imports

    tree = _parse("go", source, deadline)
    bound: dict[str, str] = {}
    refs: dict[tuple[tuple[str, ...], int, str], int] = {}
    for spec in QueryCursor(go_imports()).captures(tree.root_node).get("import", []):
        path_node = spec.child_by_field_name("path")
        if path_node is None:
            continue
        path = _text(source, path_node).strip('"`')
        if not any(path == m or path.startswith(m + "/") for m in modules):
            continue
        alias = spec.child_by_field_name("name")
        name = _text(source, alias) if alias is not None else _go_package_name(path)
        if name in ("_", "."):
            continue  # a blank or dot import: nothing is named through it
        bound[name] = path
    for m in _finds(source, set(bound), rb"\s*\.\s*([A-Za-z_]\w*)"):
        node = tree.root_node.descendant_for_byte_range(m.start(1), m.end(1))
        if node is None or node.type not in ("identifier", "package_identifier") or node.start_byte != m.start(1):
            continue
        holder = node.parent
        if holder is None or holder.type not in ("selector_expression", "qualified_type"):
            continue
        how = "call" if holder.parent is not None and holder.parent.type == "call_expression" \
            and holder.parent.child_by_field_name("function") == holder else "reference"
        steps = ("go", bound[m.group(1).decode()], m.group(2).decode())
        refs.setdefault((steps, node.start_point[0] + 1, how), 2)
    return [(steps, start, line, how, ()) for (steps, line, how), start in refs.items()]


# --------------------------------------------------------------------------------------- Rust


def _use_tree(source: bytes, node: Node, prefix: list[str], out: list[tuple[list[str], str]]) -> None:
    """``use`` trees flattened to (path, name bound): ``a::{b, c::d as e, self}``."""
    kind = node.type
    if kind in ("identifier", "crate", "super", "self"):
        path = [*prefix, _text(source, node)]
        if path[-1] == "self" and len(path) > 1:
            path.pop()
        out.append((path, path[-1]))
    elif kind == "scoped_identifier":
        out.append(([*prefix, *re.split(r"\s*::\s*", _text(source, node))], _text(source, node).rsplit("::", 1)[-1].strip()))
    elif kind == "use_as_clause":
        path_node, alias = node.child_by_field_name("path"), node.child_by_field_name("alias")
        if path_node is not None and alias is not None:
            out.append(([*prefix, *re.split(r"\s*::\s*", _text(source, path_node))], _text(source, alias)))
    elif kind == "scoped_use_list":
        path_node, listed = node.child_by_field_name("path"), node.child_by_field_name("list")
        head = re.split(r"\s*::\s*", _text(source, path_node)) if path_node is not None else []
        if listed is not None:
            for child in listed.named_children:
                _use_tree(source, child, [*prefix, *head], out)
    elif kind == "use_list":
        for child in node.named_children:
            _use_tree(source, child, prefix, out)
    # use_wildcard (``a::*``): nothing named, nothing bound


def extract_rust(source: bytes, crates: frozenset[str], deadline: float | None = None) -> list[Ref]:
    if not _finds(source, set(crates), rb"\s*::"):
        return []
    from tree_sitter import QueryCursor

    from commitdigest.uses.queries import rust_uses

    tree = _parse("rust", source, deadline)
    bound: dict[str, list[str]] = {}
    refs: dict[tuple[tuple[str, ...], int, str], int] = {}
    for arg in QueryCursor(rust_uses()).captures(tree.root_node).get("use", []):
        found: list[tuple[list[str], str]] = []
        _use_tree(source, arg, [], found)
        for path, name in found:
            if path and path[0] in crates and len(path) > 1:
                bound[name] = path
                refs.setdefault((("rust", *path), arg.start_point[0] + 1, "import"), len(path))
    for m in _finds(source, set(bound) | set(crates)):
        name = m.group(1).decode()
        node = tree.root_node.descendant_for_byte_range(m.start(1), m.end(1))
        if node is None or node.type not in ("identifier", "type_identifier") or node.start_byte != m.start(1):
            continue
        parent = node.parent
        if parent is None or parent.type in ("use_declaration", "use_list", "scoped_use_list", "use_as_clause") \
                or _in_use(node):
            continue
        if parent.type in ("let_declaration", "parameter", "function_item", "struct_item", "field_declaration") \
                and parent.child_by_field_name("pattern" if parent.type != "function_item" else "name") == node:
            continue
        base = bound.get(name)
        if base is None:  # the crate's own name: a path written out (``tokio::time::sleep``)
            if name not in crates or parent.type not in ("scoped_identifier", "scoped_type_identifier") \
                    or parent.child_by_field_name("path") != node:
                continue
            base = [name]
        steps = list(base)
        cur = node
        while cur.parent is not None and cur.parent.type in ("scoped_identifier", "scoped_type_identifier") \
                and cur.parent.child_by_field_name("path") == cur:
            member = cur.parent.child_by_field_name("name")
            if member is None:
                break
            steps.append(_text(source, member))
            cur = cur.parent
        if len(steps) < 2:
            continue
        how = "call" if cur.parent is not None and cur.parent.type == "call_expression" \
            and cur.parent.child_by_field_name("function") == cur else "reference"
        start = len(base) if name in bound else 2  # the imported name, or the first after the crate
        refs.setdefault((("rust", *steps), node.start_point[0] + 1, how), start)
    return [(steps, start, line, how, ()) for (steps, line, how), start in refs.items()]


def _in_use(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "use_declaration":
            return True
        if parent.type in ("function_item", "impl_item", "block", "source_file"):
            return False
        parent = parent.parent
    return False


# ------------------------------------------------------------------- TypeScript, JavaScript

#: reader suffix → the grammar it is parsed with
_ECMA_GRAMMAR = {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}


#: nodes that bind a name of their own, and the field holding it
_ECMA_BINDERS = {"variable_declarator": "name", "function_declaration": "name", "class_declaration": "name",
                 "required_parameter": "pattern", "optional_parameter": "pattern"}


def ecma_grammar(path: str) -> str:
    suffix = path[path.rfind("."):].lower()
    return _ECMA_GRAMMAR.get(suffix, "javascript")


def _package_of(source: str, packages: frozenset[str]) -> str | None:
    for p in packages:
        if source == p or source.startswith(p + "/"):
            return p
    return None


def extract_ecma(source: bytes, packages: frozenset[str], grammar: str, deadline: float | None = None) -> list[Ref]:
    if not any(re.search(rb"""['"]""" + re.escape(p.encode()) + rb"""['"/]""", source) for p in packages):
        return []
    from tree_sitter import QueryCursor

    from commitdigest.uses.queries import ecma_imports

    tree = _parse(grammar, source, deadline)
    bound: dict[str, tuple[str, str]] = {}  # local name → (package, imported name or "*")
    refs: dict[tuple[tuple[str, ...], int, str], int] = {}
    for stmt in QueryCursor(ecma_imports(grammar)).captures(tree.root_node).get("import", []):
        src = stmt.child_by_field_name("source")
        if src is None:
            continue
        package = _package_of(_text(source, src).strip("'\"`"), packages)
        if package is None:
            continue
        for clause in (c for c in stmt.named_children if c.type == "import_clause"):
            for part in clause.named_children:
                if part.type == "named_imports":
                    for spec in (s for s in part.named_children if s.type == "import_specifier"):
                        name_node, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                        if name_node is None:
                            continue
                        imported = _text(source, name_node).strip("'\"")
                        bound[_text(source, alias) if alias is not None else imported] = (package, imported)
                        refs.setdefault((("ecma", package, imported), spec.start_point[0] + 1, "import"), 2)
                elif part.type == "namespace_import":
                    ident = next((c for c in part.named_children if c.type == "identifier"), None)
                    if ident is not None:
                        bound[_text(source, ident)] = (package, "*")
    for m in _finds(source, set(bound)):
        name = m.group(1).decode()
        node = tree.root_node.descendant_for_byte_range(m.start(1), m.end(1))
        if node is None or node.type not in ("identifier", "type_identifier") or node.start_byte != m.start(1):
            continue
        parent = node.parent
        if parent is None or parent.type in ("import_specifier", "namespace_import", "import_clause"):
            continue
        if parent.type in _ECMA_BINDERS and parent.child_by_field_name(_ECMA_BINDERS[parent.type]) == node:
            continue  # the file binds the name itself here
        package, imported = bound[name]
        steps: list[str] = ["ecma", package] + ([] if imported == "*" else [imported])
        cur = node
        while cur.parent is not None:
            p = cur.parent
            if p.type == "member_expression" and p.child_by_field_name("object") == cur:
                prop = p.child_by_field_name("property")
                if prop is None:
                    break
                steps.append(_text(source, prop))
            elif p.type == "nested_type_identifier" and p.child_by_field_name("module") == cur:
                prop = p.child_by_field_name("name")
                if prop is None:
                    break
                steps.append(_text(source, prop))
            elif (p.type == "call_expression" and p.child_by_field_name("function") == cur) or (
                    p.type == "new_expression" and p.child_by_field_name("constructor") == cur):
                steps.append("()")
            elif p.type in ("parenthesized_expression", "await_expression", "non_null_expression"):
                pass
            else:
                break
            cur = p
        if len(steps) < 3:
            continue
        how = "call" if steps[-1] == "()" else "reference"
        refs.setdefault((tuple(steps), node.start_point[0] + 1, how), 2)
    return [(steps, start, line, how, ()) for (steps, line, how), start in refs.items()]
