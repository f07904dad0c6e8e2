"""The followed repository as the reader's code sees it: the names it is imported by, and (for
Python) what a dotted name resolves to at a commit.

**Names.** What the reader's code is searched for, read from the repository at the branch's tip:
its Python packages (a folder with ``__init__.py`` whose parent has none: ``src/agents`` is
``agents``; a lone module only under ``src/``, ``lib/`` or ``python/``, or at the top when the
repository has no package), its Go modules (``go.mod``), Rust crates (``Cargo.toml``) and npm
packages (``package.json``). Tests, examples and docs are not packages a reader imports.

**Python resolution.** A commit's module layout comes from its tree (``git ls-tree``): a file's
module name is its path from the top package (``src/agents/models/default_models.py`` is
``agents.models.default_models``). What a module defines, imports and re-exports comes from its
blob at that commit, read through ``git cat-file`` like the semantic stage's and parsed once per
blob: ``from agents import Agent`` resolves through ``agents/__init__.py``'s ``from .agent import
Agent`` to the class ``Agent`` of ``agents.agent``, whose methods (and its bases' methods) are
then what ``agent.as_tool`` can name. A name a module gets from ``from x import *`` is looked for
in ``x``. Nothing is imported or run.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from commitdigest import paths
from commitdigest.errors import GitError
from commitdigest.git import blobs as gitblobs
from commitdigest.git import runner

#: a module or manifest larger than this is not read
BLOB_LIMIT = 512 * 1024
#: resolution steps through re-exports and bases before a name is given up on
DEPTH = 12
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TESTS = re.compile(r"(^|_)test(s|ing)?($|_)")
_MANIFESTS = ("go.mod", "Cargo.toml", "package.json")
#: where a lone module (not in a package) is importable by its name
_MODULE_DIRS = ("src", "lib", "python")


@dataclass(frozen=True)
class Names:
    """What the reader's code is searched for, per language."""

    python: frozenset[str] = frozenset()
    go: frozenset[str] = frozenset()  # module paths
    rust: frozenset[str] = frozenset()  # crate names as code writes them (``tokio_util``)
    ecma: frozenset[str] = frozenset()  # package names

    @property
    def empty(self) -> bool:
        return not (self.python or self.go or self.rust or self.ecma)

    def key(self) -> str:
        """A stable text for the cache key of the reader's index."""
        return json.dumps([sorted(self.python), sorted(self.go), sorted(self.rust), sorted(self.ecma)],
                          separators=(",", ":"))


# ---------------------------------------------------------------------------- listing a tree


def _ls_tree(repo_dir: Path, rev: str, timeout: float) -> list[tuple[str, str]]:
    """(path, blob id) of every blob of ``rev``'s tree."""
    r = runner.run(repo_dir, ["ls-tree", "-r", "-z", "--full-tree", rev], timeout=timeout, check=False)
    if not r.ok:
        raise GitError(f"git ls-tree failed: {runner.first_line(r.stderr)}")
    out = []
    for entry in r.stdout.split(b"\0"):
        head, _, path = entry.partition(b"\t")
        parts = head.split(b" ")
        if len(parts) == 3 and parts[1] == b"blob":
            out.append((path.decode("utf-8", "surrogateescape"), parts[2].decode("ascii", "replace")))
    return out


@dataclass
class Layout:
    """A commit's Python modules: name ↔ file, and each file's blob."""

    blobs: dict[str, str] = field(default_factory=dict)  # path → blob id (Python files)
    modules: dict[str, str] = field(default_factory=dict)  # module → path
    module_of: dict[str, str] = field(default_factory=dict)  # path → module
    packages: set[str] = field(default_factory=set)  # modules that are packages (``__init__``)


def python_layout(entries: Sequence[tuple[str, str]]) -> Layout:
    layout = Layout()
    py = [(p, b) for p, b in entries if p.endswith((".py", ".pyi"))]
    init_dirs = {posixpath.dirname(p) for p, _ in py if posixpath.basename(p) in ("__init__.py", "__init__.pyi")}
    has_package = any(paths.area(d + "/x.py") == "source" for d in init_dirs)
    found: list[tuple[str, str, str, str]] = []  # (module, path, blob, the folder its top package is in)
    for path, blob in py:
        layout.blobs[path] = blob
        folder, name = posixpath.split(path)
        stem = name.rsplit(".", 1)[0]
        parts = [] if stem == "__init__" else [stem]
        cur = folder
        while cur in init_dirs:
            parts.insert(0, posixpath.basename(cur))
            cur = posixpath.dirname(cur)
        if not parts or (cur == folder and (folder not in _MODULE_DIRS and (folder or has_package))):
            continue  # a file outside any package, where nothing imports it by this name
        if all(_IDENT.fullmatch(p) for p in parts):
            found.append((".".join(parts), path, blob, cur))
    # One top package of a name is the one imported (src/agents, not examples/bot/agents): its
    # modules only, so an example's agents/main.py does not pass for agents.main.
    roots: dict[str, tuple[tuple[bool, int, bool], str]] = {}
    for module, _path, _blob, cur in found:
        top = module.split(".", 1)[0]
        rank = _rank(posixpath.join(cur, top, "__init__.py"))
        if top not in roots or rank < roots[top][0]:
            roots[top] = (rank, cur)
    for module, path, _blob, cur in found:
        if roots[module.split(".", 1)[0]][1] != cur:
            continue
        known = layout.modules.get(module)
        if known is not None and _rank(known) <= _rank(path):
            continue  # a .pyi beside its .py
        if known is not None:
            layout.module_of.pop(known, None)
        layout.modules[module] = path
        layout.module_of[path] = module
        if posixpath.basename(path).startswith("__init__."):
            layout.packages.add(module)
    return layout


def _rank(path: str) -> tuple[bool, int, bool]:
    """Which of two files claiming one module name is the one imported: source before tests,
    examples or docs, the shallower one, ``.py`` before ``.pyi``."""
    return paths.area(path) != "source", path.count("/"), path.endswith(".pyi")


# ------------------------------------------------------------------------- module summaries


@dataclass
class ClassInfo:
    members: set[str] = field(default_factory=set)
    bases: list[tuple[str, ...]] = field(default_factory=list)
    #: a method's return annotation when it names a class (``-> RedisSession``, ``-> Self``)
    returns: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Summary:
    """What one Python module defines and imports at its top level."""

    defs: dict[str, str] = field(default_factory=dict)  # name → "class" | "function" | "variable"
    classes: dict[str, ClassInfo] = field(default_factory=dict)  # "A", "A.B"
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (module, attribute or "")
    stars: list[str] = field(default_factory=list)
    #: a function's return annotation when it names a class
    returns: dict[str, tuple[str, ...]] = field(default_factory=dict)


_BLOCKS = frozenset({"if_statement", "try_statement", "with_statement", "else_clause", "elif_clause", "except_clause",
                     "finally_clause", "block", "except_group_clause"})


def summarise(source: bytes, module: str, is_package: bool) -> Summary:
    """The top level of a module's source: definitions (classes with their members and bases),
    imports made absolute, star imports. Blocks at the top (``if TYPE_CHECKING:``, ``try:``) are
    read into; function bodies are not."""
    from commitdigest.semantic.languages import parser

    tree = parser("python").parse(source)
    s = Summary()
    package = module.split(".") if is_package else module.split(".")[:-1]

    def text(node) -> str:
        return source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def absolute(node) -> str | None:
        if node.type == "dotted_name":
            return text(node)
        raw = text(node)
        level = len(raw) - len(raw.lstrip("."))
        rest = raw.lstrip(".").strip()
        if level - 1 > len(package):
            return None
        base = package[:len(package) - (level - 1)] if level > 1 else list(package)
        return ".".join([*base, *([rest] if rest else [])]) or None

    def returned(function) -> tuple[str, ...] | None:
        """The class a function's return annotation names: ``X``, ``m.X``, ``"X"``, ``X | None``,
        ``Optional[X]``; None for anything else."""
        ann = function.child_by_field_name("return_type")
        node = ann.named_children[0] if ann is not None and ann.named_children else None
        for _ in range(3):
            if node is None:
                return None
            if node.type == "binary_operator":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                node = left if right is not None and right.type == "none" else \
                    right if left is not None and left.type == "none" else None
            elif node.type == "generic_type" and node.named_children and text(node.named_children[0]) == "Optional":
                inner = node.named_children[-1]
                node = inner.named_children[0].named_children[0] if inner.named_children and \
                    inner.named_children[0].named_children else None
            else:
                break
        if node is None:
            return None
        written = text(node).strip("\"'") if node.type == "string" else text(node) \
            if node.type in ("identifier", "attribute") else ""
        parts = tuple(written.replace(" ", "").split("."))
        return parts if written and all(_IDENT.fullmatch(p) for p in parts) else None

    def klass(node, prefix: str) -> None:
        name = node.child_by_field_name("name")
        if name is None:
            return
        qual = f"{prefix}{text(name)}"
        info = s.classes.setdefault(qual, ClassInfo())
        supers = node.child_by_field_name("superclasses")
        if supers is not None:
            for arg in supers.named_children:
                if arg.type == "subscript":  # ``Generic[T]``, ``Base[Ctx]``
                    arg = arg.child_by_field_name("value") or arg
                if arg.type in ("identifier", "attribute"):
                    info.bases.append(tuple(text(arg).replace(" ", "").split(".")))
        body = node.child_by_field_name("body")
        for child in body.named_children if body is not None else ():
            inner = child.child_by_field_name("definition") if child.type == "decorated_definition" else child
            if inner is None:
                continue
            if inner.type in ("function_definition", "class_definition"):
                member = inner.child_by_field_name("name")
                if member is not None:
                    info.members.add(text(member))
                    if inner.type == "function_definition" and (ret := returned(inner)) is not None:
                        info.returns[text(member)] = ret
                if inner.type == "class_definition":
                    klass(inner, qual + ".")
            elif inner.type == "expression_statement":
                for part in inner.named_children:
                    left = part.child_by_field_name("left") if part.type == "assignment" else None
                    if left is not None and left.type == "identifier":
                        info.members.add(text(left))

    def top(node) -> None:
        for child in node.named_children:
            kind = child.type
            inner = child.child_by_field_name("definition") if kind == "decorated_definition" else child
            if inner is None:
                continue
            kind = inner.type
            if kind == "class_definition":
                name = inner.child_by_field_name("name")
                if name is not None:
                    s.defs[text(name)] = "class"
                    klass(inner, "")
            elif kind == "function_definition":
                name = inner.child_by_field_name("name")
                if name is not None:
                    s.defs.setdefault(text(name), "function")
                    if (ret := returned(inner)) is not None:
                        s.returns[text(name)] = ret
            elif kind == "expression_statement":
                for part in inner.named_children:
                    left = part.child_by_field_name("left") if part.type == "assignment" else None
                    if left is not None and left.type == "identifier":
                        s.defs.setdefault(text(left), "variable")
            elif kind == "import_statement":
                for name in inner.children_by_field_name("name"):
                    if name.type == "aliased_import":
                        dotted, alias = name.child_by_field_name("name"), name.child_by_field_name("alias")
                        if dotted is not None and alias is not None:
                            s.imports[text(alias)] = (text(dotted), "")
                    else:
                        first = text(name).split(".", 1)[0]
                        s.imports[first] = (first, "")
            elif kind == "import_from_statement":
                source_node = inner.child_by_field_name("module_name")
                origin = absolute(source_node) if source_node is not None else None
                if origin is None:
                    continue
                if any(c.type == "wildcard_import" for c in inner.children):
                    s.stars.append(origin)
                    continue
                for name in inner.children_by_field_name("name"):
                    dotted, alias = (name.child_by_field_name("name"), name.child_by_field_name("alias")) \
                        if name.type == "aliased_import" else (name, None)
                    if dotted is not None:
                        s.imports[text(alias) if alias is not None else text(dotted)] = (origin, text(dotted))
            elif kind in _BLOCKS:
                top(inner)

    top(tree.root_node)
    return s


# ------------------------------------------------------------------------------ resolution

#: what a name resolves to: ("module", M, ""), ("class", M, Q), ("instance", M, Q),
#: ("def", M, Q) for a function, method or variable
Entity = tuple[str, str, str]


class Missing(Exception):  # noqa: N818 — a request, not a failure: the caller reads the blob and retries
    """The blob of a module is needed and not read yet."""

    def __init__(self, blob: str, path: str):
        super().__init__(blob)
        self.blob = blob
        self.path = path


class Resolver:
    """Names of one commit's tree → entities, module summaries read as needed."""

    def __init__(self, layout: Layout, summaries: dict[str, Summary | None]):
        self.layout = layout
        self.summaries = summaries  # blob id → summary (None: unreadable), shared by every tree

    def summary(self, module: str) -> Summary | None:
        path = self.layout.modules.get(module)
        if path is None:
            return None
        blob = self.layout.blobs[path]
        if blob not in self.summaries:
            raise Missing(blob, path)
        return self.summaries[blob]

    def name(self, module: str, name: str, depth: int = 0) -> Entity | None:
        """``name`` as module ``module`` has it: defined there, imported into it, a submodule, or
        from one of its star imports."""
        if depth > DEPTH:
            return None
        s = self.summary(module)
        if s is not None:
            if name in s.classes:
                return ("class", module, name)
            if name in s.defs:
                return ("def", module, name)
            if name in s.imports:
                origin, attr = s.imports[name]
                if not attr:
                    return ("module", origin, "") if origin in self.layout.modules else None
                sub = f"{origin}.{attr}"
                if sub in self.layout.modules:
                    return ("module", sub, "")
                if (origin, attr) != (module, name):
                    return self.name(origin, attr, depth + 1)
        sub = f"{module}.{name}"
        if sub in self.layout.modules:
            return ("module", sub, "")
        for star in s.stars if s is not None else ():
            found = self.name(star, name, depth + 1)
            if found is not None:
                return found
        return None

    def member(self, module: str, qual: str, name: str, depth: int = 0) -> Entity | None:
        """``name`` on class ``qual`` of ``module``: its own, else its bases' (resolved in the
        class's module), depth first as Python's order would have it for single inheritance."""
        if depth > DEPTH:
            return None
        s = self.summary(module)
        info = s.classes.get(qual) if s is not None else None
        if s is None or info is None:
            return None
        if name in info.members:
            return ("class", module, f"{qual}.{name}") if f"{qual}.{name}" in s.classes \
                else ("def", module, f"{qual}.{name}")
        for base in info.bases:
            found = self.dotted(module, base, depth + 1)
            if found is not None and found[0] == "class":
                hit = self.member(found[1], found[2], name, depth + 1)
                if hit is not None:
                    return hit
        return None

    def dotted(self, module: str, parts: tuple[str, ...], depth: int = 0) -> Entity | None:
        """A dotted name as written in ``module`` (a base class, ``models.Model``)."""
        ent = self.name(module, parts[0], depth) if parts else None
        for part in parts[1:]:
            ent = self.attribute(ent, part, depth)
        return ent

    def attribute(self, ent: Entity | None, name: str, depth: int = 0) -> Entity | None:
        if ent is None:
            return None
        if ent[0] == "module":
            return self.name(ent[1], name, depth)
        if ent[0] in ("class", "instance"):
            return self.member(ent[1], ent[2], name, depth)
        return None

    def returns(self, ent: Entity) -> Entity | None:
        """The class a call of function or method ``ent`` returns, when its annotation names one."""
        module, qual = ent[1], ent[2]
        s = self.summary(module)
        if s is None:
            return None
        owner, _, name = qual.rpartition(".")
        if owner:
            info = s.classes.get(owner)
            ann = info.returns.get(name) if info is not None else None
            if ann == ("Self",) or ann == ("typing", "Self"):
                return ("class", module, owner)
        else:
            ann = s.returns.get(qual)
        if not ann:
            return None
        found = self.dotted(module, ann)
        return found if found is not None and found[0] == "class" else None

    def walk(self, steps: Sequence[str]) -> Iterator[tuple[int, Entity]]:
        """What each step of a reference names, from the import on: (step index, entity); a
        class called gives an instance (and names the class's ``__init__``, with ``"init"``)."""
        module, attr = steps[0], steps[1]
        ent: Entity | None = ("module", module, "") if module in self.layout.modules else None
        if attr:
            ent = self.attribute(ent, attr)
        if ent is None:
            return
        yield 1, ent
        for i in range(2, len(steps)):
            step = steps[i]
            if step == "()":
                if ent[0] == "def":
                    made = self.returns(ent)
                    if made is None:
                        return
                    ent = ("instance", made[1], made[2])
                    continue
                if ent[0] != "class":
                    return
                yield i, ("init", ent[1], f"{ent[2]}.__init__")
                ent = ("instance", ent[1], ent[2])
                continue
            nxt = self.attribute(ent, step)
            if nxt is None:
                return
            ent = nxt
            yield i, ent


# ----------------------------------------------------------------------------- the repository


class Upstream:
    """One followed repository's trees and module summaries, read as the run asks for them."""

    def __init__(self, repo_dir: Path, tip: str, timeout: float, fetch_dir: Path | None = None):
        self.repo_dir = repo_dir
        self.tip = tip
        self.timeout = timeout
        self.fetch_dir = fetch_dir  # the tool's own lean mirror, where missing blobs may be fetched
        self._layouts: dict[str, Layout] = {}
        self.summaries: dict[str, Summary | None] = {}
        self._names: Names | None = None
        #: manifest dirs at the tip: go module path / crate / package → its folder
        self.go_dirs: dict[str, str] = {}
        self.rust_dirs: dict[str, str] = {}
        self.ecma_dirs: dict[str, str] = {}

    def layout(self, rev: str) -> Layout:
        found = self._layouts.get(rev)
        if found is None:
            if len(self._layouts) > 256:
                self._layouts.clear()
            found = self._layouts[rev] = python_layout(_ls_tree(self.repo_dir, rev, self.timeout))
        return found

    def names(self) -> Names:
        """The names the reader's code imports this repository by, read at the tip once."""
        if self._names is not None:
            return self._names
        entries = _ls_tree(self.repo_dir, self.tip, self.timeout)
        layout = python_layout(entries)
        self._layouts.setdefault(self.tip, layout)
        python = {m.split(".", 1)[0] for m, p in layout.modules.items() if paths.area(p) == "source"}
        python = {n for n in python if not _TESTS.search(n)}  # integration_tests/, testing_utils/
        manifests = [(p, b) for p, b in entries if posixpath.basename(p) in _MANIFESTS
                     and paths.area(p) not in ("test", "example", "docs") and "node_modules/" not in p][:500]
        contents = self.read([b for _, b in manifests])
        for path, blob in manifests:
            data = contents.get(blob)
            if data is None:
                continue
            folder = posixpath.dirname(path)
            base = posixpath.basename(path)
            if base == "go.mod":
                m = re.search(rb"(?m)^\s*module\s+\"?([^\s\"]+)", data)
                if m:
                    self.go_dirs[m.group(1).decode("utf-8", "replace")] = folder
            elif base == "Cargo.toml":
                for crate in _cargo_names(data):
                    self.rust_dirs[crate] = folder
            else:
                name = _npm_name(data)
                if name:
                    self.ecma_dirs[name] = folder
        self._names = Names(python=frozenset(python), go=frozenset(self.go_dirs), rust=frozenset(self.rust_dirs),
                            ecma=frozenset(self.ecma_dirs))
        return self._names

    def read(self, blob_ids: Sequence[str]) -> dict[str, bytes]:
        """The contents of ``blob_ids`` (those git has and that are not too large). In the tool's
        own lean mirror, the missing ones are fetched first, in one request."""
        wanted = list(dict.fromkeys(blob_ids))
        if not wanted:
            return {}
        out: dict[str, bytes] = {}
        missing: list[str] = []
        for blob, content in gitblobs.read_blobs(self.repo_dir, wanted, BLOB_LIMIT, self.timeout):
            if isinstance(content, bytes):
                out[blob] = content
            elif content is None:
                missing.append(blob)
        if missing and self.fetch_dir is not None and runner.is_own_mirror(self.fetch_dir):
            from commitdigest.git.mirror import fetch_missing, is_partial

            if is_partial(self.fetch_dir, self.timeout):
                fetch_missing(self.fetch_dir, missing, self.timeout)
                for blob, content in gitblobs.read_blobs(self.repo_dir, missing, BLOB_LIMIT, self.timeout):
                    if isinstance(content, bytes):
                        out[blob] = content
        return out

    def load(self, layout: Layout, needed: dict[str, str]) -> None:
        """Summaries of the blobs ``needed`` (blob → path) from git, one process for all."""
        contents = self.read(list(needed))
        for blob, path in needed.items():
            data = contents.get(blob)
            module = layout.module_of.get(path, "")
            try:
                self.summaries[blob] = summarise(data, module, module in layout.packages) \
                    if data is not None else None
            except (ValueError, RecursionError):
                self.summaries[blob] = None


def _cargo_names(data: bytes) -> list[str]:
    """The crate names a ``Cargo.toml`` gives code (``[lib] name``, else ``[package] name`` with
    ``-`` as ``_``)."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return []
    package = doc.get("package")
    lib = doc.get("lib")
    name = lib.get("name") if isinstance(lib, dict) and isinstance(lib.get("name"), str) else \
        package.get("name") if isinstance(package, dict) and isinstance(package.get("name"), str) else None
    return [name.replace("-", "_")] if name and _IDENT.fullmatch(name.replace("-", "_")) else []


def _npm_name(data: bytes) -> str | None:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    name = doc.get("name") if isinstance(doc, dict) else None
    if isinstance(name, str) and re.fullmatch(r"(@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*", name, re.I) and len(name) <= 214:
        return name
    return None
