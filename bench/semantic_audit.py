"""How well the semantic stage's symbols agree with an independent parser: Python's own ``ast``.

For every first-parent commit of the window, each changed Python source file (not a test file)
is read at both sides with ``git show``, parsed with ``ast``, and its functions, methods and
classes are compared by qualified name, the way a reader means "changed":

- a name on one side only is added (removed); a rename counts as the old name removed and the
  new one added;
- a name on both sides is modified when its own code differs: ``ast.dump`` of the definition
  with nested functions and classes cut out of classes (a method's change is not its class's),
  and every statement that is only a string (docstrings) left out — comments and whitespace
  are not in an ast at all;
- functions nested inside functions are part of them, not symbols of their own.

That set is then compared with ``semantic.symbols`` of the same file (kinds function, method and
class) in the JSON twin of a report of the window, which went through the whole pipeline. Files
``ast`` cannot parse (a newer grammar than this Python) are left out of both. Prints precision
and recall per change kind and overall, and every disagreement with ``-v``.

It also counts, among the commits whose semantic facts change a function, method, class or
constant (test files aside), those whose offline Markdown names one of them: what a reader of
the report learns beyond "3 files changed". With ``--base SRC`` the same share is measured for
another tree's offline report of the same window (``PYTHONPATH=SRC``), which names a symbol
only in its own words: any of the changed names, anywhere in the commit's Markdown.

Run: python bench/semantic_audit.py REPO --since 2026-05-22 --until 2026-08-22 [-v] [--base SRC]
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def git(repo: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, check=True).stdout


def symbols(source: bytes) -> dict[str, str] | None:
    """Qualified name → the dump of its own code, for every function, method and class that is
    not inside a function."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found: dict[str, list[str]] = {}

    def own(node: ast.AST) -> str:
        node = copy.deepcopy(node)
        for holder in ast.walk(node):
            for field in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(holder, field, None)
                if not isinstance(block, list):
                    continue
                kept = []
                for stmt in block:
                    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and \
                            isinstance(stmt.value.value, str):
                        continue  # a docstring
                    if isinstance(node, ast.ClassDef) and isinstance(stmt, _DEFS) and _member(node, stmt):
                        continue  # a member: its own symbol
                    kept.append(stmt)
                if field == "body" and not kept and isinstance(holder, _DEFS + (ast.If, ast.For, ast.While,
                                                                                    ast.With, ast.Try)):
                    kept = [ast.Pass()]
                setattr(holder, field, kept)
        return ast.dump(node, include_attributes=False)

    def visit(body: list[ast.stmt], scope: str) -> None:
        for stmt in body:
            if isinstance(stmt, _DEFS):
                name = f"{scope}.{stmt.name}" if scope else stmt.name
                found.setdefault(name, []).append(own(stmt))
                if isinstance(stmt, ast.ClassDef):
                    visit(stmt.body, name)
            elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(stmt, field, []) or [], scope)
                for handler in getattr(stmt, "handlers", []) or []:
                    visit(handler.body, scope)

    visit(tree.body, "")
    return {k: "\n".join(v) for k, v in found.items()}


def _member(cls: ast.ClassDef, stmt: ast.stmt) -> bool:
    """A definition of the class's own body (directly or inside if/try there), not deeper."""
    todo = list(cls.body)
    while todo:
        s = todo.pop()
        if s is stmt:
            return True
        if isinstance(s, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                todo += getattr(s, field, []) or []
            for handler in getattr(s, "handlers", []) or []:
                todo += handler.body
    return False


def expected(repo: str, sha: str, parent: str | None, path: str, old_path: str | None,
             status: str) -> set[tuple[str, str]] | None:
    old = symbols(git(repo, "show", f"{parent}:{old_path or path}")) if parent and status != "A" else {}
    new = symbols(git(repo, "show", f"{sha}:{path}")) if status != "D" else {}
    if old is None or new is None:
        return None
    out = set()
    for name in new.keys() | old.keys():
        if name not in old:
            out.add((name, "added"))
        elif name not in new:
            out.add((name, "removed"))
        elif old[name] != new[name]:
            out.add((name, "modified"))
    return out


def reported(symbols_: list[dict], path: str, old_path: str | None = None) -> set[tuple[str, str]]:
    """What the record says of one file, in the audit's terms: a rename is the old name removed
    and the new one added, a move is the name removed from the old file and added to the new.
    A file renamed whole moves its definitions to another module without changing them: the
    audit, which compares the file's two versions, sees no change there."""
    out = set()
    for s in symbols_:
        if s["kind"] not in ("function", "method", "class"):
            continue
        if s["change"] == "moved" and old_path and s.get("old_path") == old_path and s["path"] == path:
            continue
        if s["change"] == "renamed" and s["path"] == path:
            out.add((s["old_name"], "removed"))
            out.add((s["name"], "added"))
        elif s["change"] == "moved":
            if s["path"] == path:
                out.add((s["name"], "added"))
            if s.get("old_path") == path:
                out.add((s["name"], "removed"))
        elif s["path"] == path:
            out.add((s["name"], s["change"]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--since", required=True)
    ap.add_argument("--until", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--base", help="another tree's src/ whose offline Markdown is measured the same way")
    args = ap.parse_args()
    started = time.monotonic()
    twin, md = report(args, None)
    took = time.monotonic() - started
    tally: Counter[str] = Counter()
    files = skipped = 0
    capped = 0
    for section in twin["repos"]:
        for c in section["commits"]:
            sem = c.get("semantic") or {}
            if sem.get("omitted", {}).get("symbols"):
                capped += 1  # the record says it lists only part: not held to the rest
                continue
            parents = git(args.repo, "rev-list", "--parents", "-n", "1", c["sha"]).decode().split()[1:]
            parent = parents[0] if parents else None
            for f in c["files"]:
                if not f["path"].endswith(".py") or f.get("binary") or _test(f["path"]):
                    continue
                if any(s["path"] == f["path"] for s in sem.get("skipped", [])):
                    skipped += 1
                    continue  # marked as not read (or read in part): nothing is claimed for it
                want = expected(args.repo, c["sha"], parent, f["path"], f.get("old_path"), f["status"])
                if want is None:
                    skipped += 1
                    continue
                files += 1
                got = reported(sem.get("symbols", []), f["path"], f.get("old_path"))
                for item in want | got:
                    kind = item[1]
                    if item in want and item in got:
                        tally[f"{kind} both"] += 1
                    elif item in want:
                        tally[f"{kind} missed"] += 1
                        if args.verbose:
                            print(f"missed   {c['sha'][:9]} {f['path']} {item}")
                    else:
                        tally[f"{kind} extra"] += 1
                        if args.verbose:
                            print(f"extra    {c['sha'][:9]} {f['path']} {item}")
    print(f"{args.repo}: {sum(len(s['commits']) for s in twin['repos'])} commits, {files} Python files compared "
          f"({skipped} not compared; {capped} commits over the cap of listed symbols), report in {took:.1f} s")
    total = Counter()
    for kind in ("added", "removed", "modified"):
        both, missed, extra = (tally[f"{kind} {w}"] for w in ("both", "missed", "extra"))
        total.update(both=both, missed=missed, extra=extra)
        print(f"  {kind:9} precision {both / max(both + extra, 1):6.1%}  recall {both / max(both + missed, 1):6.1%}"
              f"  ({both} agree, {extra} only reported, {missed} only in ast)")
    both, missed, extra = total["both"], total["missed"], total["extra"]
    print(f"  {'all':9} precision {both / max(both + extra, 1):6.1%}  recall {both / max(both + missed, 1):6.1%}")
    changed = changed_symbols(twin)
    named = [sha for sha, names in changed.items() if _named(md.get(sha, ""), names, code_spans=True)]
    if args.verbose:
        for sha in changed.keys() - set(named):
            print(f"unnamed  {sha[:9]} {sorted(changed[sha])[:6]}")
    print(f"  offline Markdown names a changed symbol: {len(named)} of {len(changed)} commits "
          f"({len(named) / max(len(changed), 1):.1%})")
    if args.base:
        _, base_md = report(args, args.base)
        named = [sha for sha, names in changed.items() if _named(base_md.get(sha, ""), names, code_spans=False)]
        print(f"  the same, {args.base}: {len(named)} of {len(changed)} commits ({len(named) / max(len(changed), 1):.1%})")
    return 0


def report(args: argparse.Namespace, src: str | None) -> tuple[dict, dict[str, str]]:
    """The window's JSON twin and each commit's Markdown block (by sha), offline, uncached."""
    import os

    env = dict(os.environ, PYTHONPATH=src) if src else None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "commitdigest", "report", "--repo", args.repo, "--since", args.since,
                        "--until", args.until, "--tz", "UTC", "--format", "md,json", "--out", tmp, "-q",
                        "--analyzer", "heuristic", "--cache-dir", str(Path(tmp) / "cache")], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        twin = json.loads(next(Path(tmp).glob("*.json")).read_text())
        text = next(Path(tmp).glob("*.md")).read_text()
    blocks: dict[str, str] = {}
    for block in text.split('<a id="c-')[1:]:
        short = block.split('"', 1)[0]
        blocks[short] = block
    by_sha = {c["sha"]: blocks.get(c["short_sha"], "") for s in twin["repos"] for c in s["commits"]}
    return twin, by_sha


def changed_symbols(twin: dict) -> dict[str, set[str]]:
    """sha → the names of the definitions its semantic facts change, test files aside."""
    out: dict[str, set[str]] = {}
    for section in twin["repos"]:
        for c in section["commits"]:
            names = {s["name"] for s in (c.get("semantic") or {}).get("symbols", []) if not _test(s["path"])}
            if names:
                out[c["sha"]] = names
    return out


def _named(markdown: str, names: set[str], code_spans: bool) -> bool:
    import re

    if code_spans:
        return any(f"`{n}`" in markdown or f"`{n}()`" in markdown for n in names)
    return any(re.search(rf"(?<![\w.]){re.escape(n.rsplit('.', 1)[-1].rsplit('::', 1)[-1])}(?!\w)", markdown)
               for n in names)


def _test(path: str) -> bool:
    from commitdigest import paths

    return paths.area(path) == "test"


if __name__ == "__main__":
    sys.exit(main())
