"""The "your code" stage: a batch of commits with their semantic facts → each one's
``Commit.uses``, the lines of the reader's code that use a symbol the commit changed.

It runs after the semantic stage, before the analysis (both analyzers see the uses). Per commit,
the changed public symbols (removed, renamed, moved, re-signed, with a changed default or value,
or modified) are looked up in the index of the reader's code by their last name; only a commit
with a candidate costs any git work, and only its candidates are resolved:

- Python: the reader's reference is resolved in the commit's tree (the parent's for what the
  commit removed, renamed or moved) through imports, re-exports and class bases
  (``upstream.Resolver``); it is a use when it names the very symbol that changed;
- Go, Rust, TypeScript, JavaScript: the imported name (and a member written on it) matches the
  changed symbol's name in the package it was imported from (README, "Your code": less precise).

Nothing here can fail a report: should git fail, the batch's commits simply have no uses, and the
report says nothing it cannot back.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from commitdigest import paths
from commitdigest.errors import GitError
from commitdigest.models import Commit
from commitdigest.semantic.languages import spec_for
from commitdigest.semantic.records import SymbolChange, ValueChange
from commitdigest.uses.index import CodeIndex, FileRefs, build
from commitdigest.uses.python_refs import Ref
from commitdigest.uses.records import CHANGE_ORDER, USES_CAP, Use, UsesSummary
from commitdigest.uses.upstream import Entity, Layout, Missing, Resolver, Upstream

if TYPE_CHECKING:
    from commitdigest.git.repo import Repo
    from commitdigest.store import Store

log = logging.getLogger("commitdigest.uses")

#: rounds of blob reads one commit's resolution may take (each follows re-exports one step further)
_ROUNDS = 8
#: the semantic stage's language → the reader's
_LANGUAGE = {"python": "python", "go": "go", "rust": "rust", "typescript": "ecma", "tsx": "ecma",
             "javascript": "ecma"}
_BREAKS_IMPORTS = frozenset({"removed", "renamed", "moved"})


@dataclass
class ReaderCode:
    """The reader's code one repository of the run is checked against (``[[repos]] uses`` or
    ``--uses``). ``indexes`` is the run's: two repositories checked against the same folders
    for the same names share one index."""

    roots: tuple[Path, ...]
    indexes: dict[tuple, CodeIndex] = field(default_factory=dict)
    upstream: Upstream | None = None
    index: CodeIndex | None = None
    problems: list[str] = field(default_factory=list)

    def summary(self) -> UsesSummary:
        from commitdigest.uses.index import labels

        if self.index is not None:
            s = self.index.summary()
            return s.model_copy(update={"problems": [*s.problems, *self.problems]})
        return UsesSummary(roots=labels(self.roots), problems=list(self.problems))

    def ready(self, repo: Repo, store: Store | None, timeout: float) -> CodeIndex | None:
        """The index, built at the first commit that needs it (once per run and folders)."""
        if self.upstream is None:
            self.upstream = Upstream(repo.read_dir, repo.rev, timeout, fetch_dir=repo.path)
        if self.index is None:
            names = self.upstream.names()
            key = (self.roots, names)
            found = self.indexes.get(key)
            if found is None:
                found = self.indexes[key] = build(self.roots, names, store, timeout)
            self.index = found
        return self.index


@dataclass(frozen=True)
class _Change:
    """A changed symbol the reader's code may use, and what to say happened to it."""

    language: str  # the reader's language it is looked for in
    path: str  # where it is looked up: the old file for what the commit removed, renamed or moved
    name: str  # as the semantic facts name it (the old name of a rename)
    kind: str
    change: str
    side: str  # "old": resolved in the parent's tree; "new": in the commit's
    new_path: str = ""
    before: str | None = None
    after: str | None = None
    param: str | None = None

    @property
    def bare(self) -> str:
        return re.split(r"\.|::", self.name)[-1]

    @property
    def lookups(self) -> set[str]:
        """The names a reference holding this symbol holds: its own, and a constructor's class."""
        parts = re.split(r"\.|::", self.name)
        out = {parts[-1]}
        if parts[-1] in ("__init__", "new", "constructor") and len(parts) > 1:
            out.add(parts[-2])
        return out


def _name_public(name: str) -> bool:
    return all(not p.startswith("_") or (p.startswith("__") and p.endswith("__")) for p in re.split(r"\.|::", name))


def changes(commit: Commit) -> list[_Change]:
    """The commit's changed symbols a reader's code can use: public by their own names (a
    symbol of a private module re-exported under a public name is used by that name), in the
    followed code (not its tests, examples or docs), in a language the reader's code is read in."""
    sem = commit.semantic
    if sem is None:
        return []
    out: dict[tuple[str, str], _Change] = {}
    values: dict[tuple[str, str], ValueChange] = {}
    for v in sem.values:
        values.setdefault((v.path, v.symbol), v)

    def language(path: str) -> str | None:
        spec = spec_for(path)
        if spec is None or paths.area(path) != "source":
            return None
        return _LANGUAGE.get(spec.name)

    for s in sem.symbols:
        lang = language(s.path)
        if lang is None or s.change == "added":
            continue
        made = _of_symbol(s, lang, values.get((s.path, s.name)))
        if made is not None and _name_public(made.name) and (lang == "python" or s.public):
            out.setdefault((made.path, made.name), made)
    for (path, symbol), v in values.items():
        lang = language(path)
        if lang is None or (path, symbol) in out or not _name_public(symbol):
            continue
        change = "default" if v.kind == "default" else "value"
        out[(path, symbol)] = _Change(language=lang, path=path, name=symbol, kind="function", change=change,
                                      side="new", new_path=path, before=v.before, after=v.after, param=v.name)
    return list(out.values())


def _of_symbol(s: SymbolChange, language: str, value: ValueChange | None) -> _Change | None:
    base = dict(language=language, kind=s.kind, new_path=s.path)
    if s.change == "removed":
        return _Change(path=s.path, name=s.name, change="removed", side="old", before=s.signature_before, **base)
    if s.change == "renamed" and s.old_name:
        return _Change(path=s.old_path or s.path, name=s.old_name, change="renamed", side="old", before=s.old_name,
                       after=s.name, **base)
    if s.change == "moved" and s.old_path:
        return _Change(path=s.old_path, name=s.name, change="moved", side="old", before=s.old_path, after=s.path,
                       **base)
    if s.change != "modified":
        return None
    resigned = bool(s.signature_before and s.signature_after and s.signature_before != s.signature_after)
    if resigned and value is not None and value.kind == "default" and s.signature_after is not None \
            and s.signature_after.replace(value.after, value.before) == s.signature_before:
        resigned = False  # the declaration changed by that default alone: told as the default
    if resigned:
        return _Change(path=s.path, name=s.name, change="signature", side="new", before=s.signature_before,
                       after=s.signature_after, **base)
    if value is not None:
        return _Change(path=s.path, name=s.name, change="default" if value.kind == "default" else "value",
                       side="new", before=value.before, after=value.after, param=value.name, **base)
    return _Change(path=s.path, name=s.name, change="modified", side="new", **base)


# ------------------------------------------------------------------------------------ the stage


def attach(commits: Sequence[Commit], repo: Repo, code: ReaderCode, store: Store | None,
           timeout: float = 300.0) -> None:
    """Set ``uses`` on every commit of the batch that has semantic facts (in place)."""
    for commit in commits:
        if commit.semantic is None:
            continue
        commit.uses = []
        found = changes(commit)
        if not found:
            continue
        try:
            index = code.ready(repo, store, timeout)
            if index is None or not index.by_name:
                continue
            assert code.upstream is not None
            commit.uses = _uses(commit, found, index, code.upstream)
        except GitError as exc:
            log.warning("uses of %s not read: %s", commit.short_sha, exc.message)
            if exc.message not in code.problems and len(code.problems) < 5:
                code.problems.append(exc.message)
            commit.uses = None


def _uses(commit: Commit, found: list[_Change], index: CodeIndex, upstream: Upstream) -> list[Use]:
    candidates: list[tuple[_Change, list[tuple[FileRefs, Ref]]]] = []
    for ch in found:
        refs = [(f, r) for name in ch.lookups for f, r in index.by_name.get(name, ())
                if f.language == ch.language]
        if refs:
            candidates.append((ch, refs))
    if not candidates:
        return []
    several = len(index.roots) > 1
    # Kept as plain tuples until the list is cut: a symbol an application calls everywhere is
    # thousands of lines, and only the first ``USES_CAP`` become records.
    found_at: dict[tuple[str, str, int, str], tuple[_Change, FileRefs, str, bool]] = {}

    def add(ch: _Change, f: FileRefs, ref: Ref, symbol: str, broken: bool) -> None:
        how = ref[3]
        if how == "import" and ch.change not in _BREAKS_IMPORTS:
            return  # a changed body does not touch the line that imports it
        found_at.setdefault((f.root, f.path, ref[2], symbol), (ch, f, how, broken))

    python = [(ch, refs) for ch, refs in candidates if ch.language == "python"]
    if python:
        _python(commit, python, upstream, add)
    for ch, refs in candidates:
        if ch.language == "python":
            continue
        for f, ref in refs:
            symbol = _other_match(ch, ref, upstream)
            if symbol is not None:
                add(ch, f, ref, symbol, ch.change in ("removed", "renamed"))
    # A constructor call whose ``__init__`` changed is told as that, not also as "the class changed".
    inits = {(root, path, line, symbol.removesuffix(".__init__")) for root, path, line, symbol in found_at
             if symbol.endswith(".__init__")}
    kept = [(key, v) for key, v in found_at.items() if not (v[0].change == "modified" and key in inits)]
    kept.sort(key=lambda kv: (CHANGE_ORDER[kv[1][0].change], kv[0][0], kv[0][1], kv[0][2], kv[0][3]))
    commit.uses_omitted = max(len(kept) - USES_CAP, 0)
    return [Use(symbol=symbol, change=ch.change, path=path, line=line, how=how,  # type: ignore[arg-type]
                root=root if several else None, name=ch.param, before=ch.before, after=ch.after,
                upstream_path=ch.new_path or ch.path, language=f.language, broken=broken, kind=ch.kind,
                qualname=ch.name)
            for (root, path, line, symbol), (ch, f, how, broken) in kept[:USES_CAP]]


def _python(commit: Commit, candidates: list[tuple[_Change, list[tuple[FileRefs, Ref]]]], upstream: Upstream,
            add) -> None:
    """Resolve each candidate reference in the tree its change is told in."""
    sides = {ch.side for ch, _ in candidates} | ({"new"} if any(ch.change == "moved" for ch, _ in candidates) else set())
    revs = {"new": commit.sha, "old": commit.parents[0] if commit.parents else None}
    resolvers: dict[str, Resolver] = {}
    layouts: dict[str, Layout] = {}
    for side in sides:
        rev = revs[side]
        if rev is not None:
            layouts[side] = upstream.layout(rev)
            resolvers[side] = Resolver(layouts[side], upstream.summaries)
    wanted: dict[str, dict[tuple[str, str], _Change]] = {}
    for ch, _ in candidates:
        layout = layouts.get(ch.side)
        module = layout.module_of.get(ch.path) if layout is not None else None
        if module is not None:
            wanted.setdefault(ch.side, {})[(module, ch.name)] = ch
    for side, targets in wanted.items():
        resolver = resolvers[side]
        refs = {(f.root, f.path, r): (f, r) for ch, rs in candidates if ch.side == side for f, r in rs}
        hits = _resolve_all(resolver, upstream, [r for _, r in refs.values()], targets)
        for (f, ref), found in zip(refs.values(), hits, strict=True):
            for module, name, call in found:
                ch = targets[(module, name)]
                if ch.change == "default" and ch.param and _passes(ref, call, ch.param):
                    continue  # the call passes the parameter: it does not rely on the default
                broken = ch.change in ("removed", "renamed") or (
                    ch.change == "moved" and not _still_there(resolvers.get("new"), upstream, ref, ch))
                add(ch, f, ref, f"{module}.{name}", broken)


#: a target a reference names: (module, name, the index of the step that calls it, or -1)
_Hit = tuple[str, str, int]


def _resolve_all(resolver: Resolver, upstream: Upstream, refs: list[Ref],
                 targets: dict[tuple[str, str], _Change]) -> list[list[_Hit]]:
    """For each reference, the targets it names at or after its own first step. Each distinct
    reference is resolved once (an application writes ``Runner.run(...)`` in many places);
    module blobs are read in rounds, all a round's missing ones in one git process."""
    distinct: dict[tuple[tuple[str, ...], int], Ref] = {}
    for ref in refs:
        distinct.setdefault((ref[0], ref[1]), ref)
    found: dict[tuple[tuple[str, ...], int], list[_Hit]] = {}
    todo = list(distinct)
    for _ in range(_ROUNDS):
        needed: dict[str, str] = {}
        waiting = []
        for key in todo:
            try:
                found[key] = _targets(resolver, distinct[key], targets)
            except Missing as miss:
                needed[miss.blob] = miss.path
                waiting.append(key)
        todo = waiting
        if not needed:
            break
        upstream.load(resolver.layout, needed)
    return [found.get((ref[0], ref[1]), []) for ref in refs]


def _targets(resolver: Resolver, ref: Ref, targets: dict[tuple[str, str], _Change]) -> list[_Hit]:
    steps, start = ref[0], ref[1]
    out: list[_Hit] = []
    seen: set[tuple[str, str]] = set()
    ent: Entity
    for i, ent in resolver.walk(steps):
        if i < start or ent[0] not in ("class", "def", "init"):
            continue
        key = (ent[1], ent[2])
        if key in targets and key not in seen:
            seen.add(key)
            # a constructor is called at its own step, a function at the step after its name
            call = i if ent[0] == "init" else (i + 1 if i + 1 < len(steps) and steps[i + 1] == "()" else -1)
            out.append((key[0], key[1], call))
    return out


def _passes(ref: Ref, call: int, param: str) -> bool:
    """Whether the call at step ``call`` passes ``param`` by keyword (or a ``**mapping`` that may)."""
    for index, names in ref[4]:
        if index == call and (param in names or "**" in names):
            return True
    return False


def _still_there(resolver: Resolver | None, upstream: Upstream, ref: Ref, ch: _Change) -> bool:
    """A moved symbol the reference still reaches in the commit's tree (a re-export at the old place)."""
    if resolver is None:
        return False
    module = resolver.layout.module_of.get(ch.new_path)
    if module is None:
        return False
    hits = _resolve_all(resolver, upstream, [ref], {(module, ch.name): ch})
    return bool(hits[0])


# ------------------------------------------------------------------------- the other languages


def _other_match(ch: _Change, ref: Ref, upstream: Upstream) -> str | None:
    """The symbol's name as the use shows it, when the imported name (and the member written on
    it) is the changed symbol, in the package the reader imported it from."""
    steps, start = ref[0], ref[1]
    if ch.language == "go":
        module_path, member = steps[1], steps[2]
        folder = _go_folder(module_path, upstream.go_dirs)
        if folder is None or posixpath.dirname(ch.path) != folder or ch.name != member:
            return None
        return f"{module_path}.{ch.name}"
    if ch.language == "rust":
        crate = steps[1]
        folder = upstream.rust_dirs.get(crate)
        if folder is None or not _under(ch.path, folder):
            return None
        names = list(steps[2:])
        wanted = ch.name.split("::")
        for k in range(max(start, 2) - 2, len(names) - len(wanted) + 1):
            if names[k:k + len(wanted)] != wanted:
                continue
            modules = [m for m in names[:k] if m not in ("self", "super", "crate")]
            segments = set(re.split(r"[/.]", ch.path))
            if all(m in segments for m in modules):
                return f"{crate}::{ch.name}"
        return None
    package = steps[1]
    folder = upstream.ecma_dirs.get(package)
    if folder is None or not _under(ch.path, folder):
        return None
    names = [s for s in steps[2:] if s != "()"]
    written = steps[2:]
    first = names[0] if names else ""
    second = written[1] if len(written) > 1 and written[1] != "()" else None
    if ch.name == first or (second is not None and ch.name == f"{first}.{second}"):
        return f"{package}.{ch.name}"
    return None


def _under(path: str, folder: str) -> bool:
    return not folder or path.startswith(folder + "/")


def _go_folder(import_path: str, modules: dict[str, str]) -> str | None:
    best = None
    for module, folder in modules.items():
        if import_path == module or import_path.startswith(module + "/"):
            if best is None or len(module) > len(best[0]):
                best = (module, folder)
    if best is None:
        return None
    rest = import_path[len(best[0]):].strip("/")
    return posixpath.join(best[1], rest) if best[1] else rest
